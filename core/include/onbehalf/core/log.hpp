// Structured log lines (logfmt) with levels and correlation ids; every line is redacted before it is written.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace onbehalf {

enum class log_level { trace, debug, info, warning, error, off };

std::optional<log_level> parse_log_level(std::string_view name);
std::string_view to_string(log_level level);

/// One `key=value` pair of a log line. Values of sensitive keys (see redaction::is_sensitive_name)
/// are masked whole; all other text goes through redaction::redact.
struct log_field {
  std::string_view key;
  std::string value;
  log_field(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  log_field(std::string_view k, std::string_view v) : key(k), value(v) {}
  log_field(std::string_view k, const char* v) : key(k), value(v) {}
  template <class Number>
  requires std::is_arithmetic_v<Number> log_field(std::string_view k, Number n) : key(k), value(std::to_string(n)) {}
};

/// Keeps a flood of one warning from drowning the log. An outage, or a stream of bad requests from
/// anyone, makes a line per failed request; operators need the first few and a count, not
/// thousands a second. A message (its text; fields aside) is written at most `burst` times per
/// `window`; the lines left out are counted, and the next line written with that message says how
/// many. Bounded whatever the messages: it follows `slots` messages at once, and a message that
/// takes another's slot first has the other's count written.
class log_throttle {
public:
  using clock = std::chrono::steady_clock;
  struct decision {
    bool write = false;
    std::uint64_t left_out = 0; // lines with this message left out since its last written one
    std::string displaced;      // a message that lost its slot with lines still left out
    std::uint64_t displaced_left_out = 0;
  };

  explicit log_throttle(std::size_t burst = 10, clock::duration window = std::chrono::seconds(10));
  decision admit(std::string_view message, clock::time_point now);
  void reset();

private:
  struct slot {
    std::string message;
    clock::time_point window_start;
    std::size_t written = 0;
    std::uint64_t left_out = 0;
  };
  std::size_t burst_;
  clock::duration window_;
  std::array<slot, 64> slots_;
};

/// Where finished lines go: stderr by default; tests and embedders may install their own.
using log_sink = std::function<void(std::string_view line)>;

class logger {
public:
  static logger& global();

  void set_level(log_level level) noexcept;
  log_level level() const noexcept;
  bool enabled(log_level level) const noexcept;

  /// Replaces the sink; an empty function restores stderr. The new sink starts with no lines
  /// held back.
  void set_sink(log_sink sink);

  /// Writes a line; warnings and errors go through a log_throttle, so a line repeated by the
  /// thousand is written a few times with the count of those left out (`repeated_lines_left_out`).
  void write(log_level level, std::string_view message, std::initializer_list<log_field> fields = {});

private:
  logger() = default;
  struct state;
  state& shared();
};

/// What an exception says (std::exception::what), for a log line.
std::string what_of(std::exception_ptr e);

/// Formats a line without writing it: time, level, msg, then fields in order, all redacted.
std::string format_log_line(log_level level, std::string_view message, std::initializer_list<log_field> fields);

inline void log_debug(std::string_view m, std::initializer_list<log_field> f = {}) { logger::global().write(log_level::debug, m, f); }
inline void log_info(std::string_view m, std::initializer_list<log_field> f = {}) { logger::global().write(log_level::info, m, f); }
inline void log_warning(std::string_view m, std::initializer_list<log_field> f = {}) { logger::global().write(log_level::warning, m, f); }
inline void log_error(std::string_view m, std::initializer_list<log_field> f = {}) { logger::global().write(log_level::error, m, f); }

} // namespace onbehalf

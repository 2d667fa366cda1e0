// Structured log lines (logfmt) with levels and correlation ids; every line is redacted before it is written.
#pragma once

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

/// Where finished lines go: stderr by default; tests and embedders may install their own.
using log_sink = std::function<void(std::string_view line)>;

class logger {
public:
  static logger& global();

  void set_level(log_level level) noexcept;
  log_level level() const noexcept;
  bool enabled(log_level level) const noexcept;

  /// Replaces the sink; an empty function restores stderr.
  void set_sink(log_sink sink);

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

#include "onbehalf/core/log.hpp"

#include "onbehalf/core/redact.hpp"
#include "onbehalf/core/secret.hpp"
#include "onbehalf/core/text.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace onbehalf {

namespace {

constexpr std::array<std::string_view, 6> level_names = {"trace", "debug", "info", "warning", "error", "off"};

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  return false;
}

// Quotes and escapes so a value can never start a new line or forge another field.
void append_value(std::string& line, std::string_view v) {
  if (!needs_quotes(v)) {
    line += v;
    return;
  }
  line += '"';
  for (char c : v) {
    switch (c) {
    case '"': line += "\\\""; break;
    case '\\': line += "\\\\"; break;
    case '\n': line += "\\n"; break;
    case '\r': line += "\\r"; break;
    case '\t': line += "\\t"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
        line += hex;
      } else {
        line += c;
      }
    }
  }
  line += '"';
}

void append_timestamp(std::string& line) {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  line += buffer;
}

} // namespace

std::optional<log_level> parse_log_level(std::string_view name) {
  for (std::size_t i = 0; i < level_names.size(); ++i)
    if (text::iequals(name, level_names[i])) return static_cast<log_level>(i);
  // The names ASP.NET Core's Logging:LogLevel uses, so copied files keep working.
  if (text::iequals(name, "information")) return log_level::info;
  if (text::iequals(name, "critical")) return log_level::error;
  if (text::iequals(name, "none")) return log_level::off;
  return std::nullopt;
}

std::string_view to_string(log_level level) { return level_names[static_cast<std::size_t>(level)]; }

std::string format_log_line(log_level level, std::string_view message, std::initializer_list<log_field> fields) {
  std::string line;
  line.reserve(128);
  append_timestamp(line);
  line += " level=";
  line += to_string(level);
  line += " msg=";
  append_value(line, redaction::redact(message));
  for (const auto& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    append_value(line, redaction::is_sensitive_name(field.key) ? std::string(secret::mask) : redaction::redact(field.value));
  }
  line += '\n';
  return line;
}

struct logger::state {
  std::atomic<log_level> level{log_level::info};
  std::mutex sink_mutex;
  log_sink sink;
};

logger::state& logger::shared() {
  static state s;
  return s;
}

logger& logger::global() {
  static logger instance;
  return instance;
}

void logger::set_level(log_level level) noexcept { shared().level.store(level, std::memory_order_relaxed); }
log_level logger::level() const noexcept { return const_cast<logger*>(this)->shared().level.load(std::memory_order_relaxed); }
bool logger::enabled(log_level level) const noexcept { return level >= this->level() && level != log_level::off; }

void logger::set_sink(log_sink sink) {
  auto& s = shared();
  std::lock_guard lock(s.sink_mutex);
  s.sink = std::move(sink);
}

void logger::write(log_level level, std::string_view message, std::initializer_list<log_field> fields) {
  if (!enabled(level)) return;
  auto line = format_log_line(level, message, fields);
  auto& s = shared();
  std::lock_guard lock(s.sink_mutex);
  if (s.sink) {
    s.sink(line);
  } else {
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

std::string what_of(std::exception_ptr e) {
  if (!e) return "no exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {}
  return "an exception that is not a std::exception";
}

} // namespace onbehalf

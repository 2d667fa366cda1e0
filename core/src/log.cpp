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
#include <utility>
#include <vector>

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

namespace {

std::string format_line(log_level level, std::string_view message, const log_field* begin, const log_field* end) {
  std::string line;
  line.reserve(128);
  append_timestamp(line);
  line += " level=";
  line += to_string(level);
  line += " msg=";
  append_value(line, redaction::redact(message));
  for (const auto* field = begin; field != end; ++field) {
    line += ' ';
    line += field->key;
    line += '=';
    append_value(line, redaction::is_sensitive_name(field->key) ? std::string(secret::mask) : redaction::redact(field->value));
  }
  line += '\n';
  return line;
}

constexpr std::string_view left_out_key = "repeated_lines_left_out";

} // namespace

std::string format_log_line(log_level level, std::string_view message, std::initializer_list<log_field> fields) {
  return format_line(level, message, fields.begin(), fields.end());
}

log_throttle::log_throttle(std::size_t burst, clock::duration window) : burst_(burst), window_(window) {}

log_throttle::decision log_throttle::admit(std::string_view message, clock::time_point now) {
  auto& s = slots_[std::hash<std::string_view>{}(message) % slots_.size()];
  decision d;
  if (s.message != message) {
    if (s.left_out > 0) {
      d.displaced = std::move(s.message);
      d.displaced_left_out = s.left_out;
    }
    s = slot{std::string(message), now, 0, 0};
  }
  if (now - s.window_start >= window_) {
    s.window_start = now;
    s.written = 0;
  }
  if (s.written >= burst_) {
    ++s.left_out;
    return d;
  }
  ++s.written;
  d.write = true;
  d.left_out = std::exchange(s.left_out, 0);
  return d;
}

void log_throttle::reset() { slots_ = {}; }

struct logger::state {
  std::atomic<log_level> level{log_level::info};
  std::mutex sink_mutex; // held while a line is written, and over the throttle
  log_sink sink;
  log_throttle throttle;

  void put(const std::string& line) {
    if (sink)
      sink(line);
    else
      std::fwrite(line.data(), 1, line.size(), stderr);
  }
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
  s.throttle.reset();
}

void logger::write(log_level level, std::string_view message, std::initializer_list<log_field> fields) {
  if (!enabled(level)) return;
  auto& s = shared();
  if (level < log_level::warning) {
    auto line = format_log_line(level, message, fields);
    std::lock_guard lock(s.sink_mutex);
    return s.put(line);
  }
  std::lock_guard lock(s.sink_mutex);
  auto d = s.throttle.admit(message, log_throttle::clock::now());
  if (!d.displaced.empty()) s.put(format_log_line(level, d.displaced, {{left_out_key, d.displaced_left_out}}));
  if (!d.write) return;
  if (d.left_out == 0) return s.put(format_log_line(level, message, fields));
  std::vector<log_field> counted(fields);
  counted.emplace_back(left_out_key, d.left_out);
  s.put(format_line(level, message, counted.data(), counted.data() + counted.size()));
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

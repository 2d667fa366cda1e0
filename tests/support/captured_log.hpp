// Log lines written while a test runs, collected instead of going to stderr.
#pragma once

#include "onbehalf/core/log.hpp"

#include <mutex>
#include <string>

namespace onbehalf::testing {

struct captured_log {
  std::mutex mutex;
  std::string text;
  captured_log() {
    logger::global().set_sink([this](std::string_view line) {
      std::lock_guard lock(mutex);
      text += line;
    });
  }
  ~captured_log() { logger::global().set_sink({}); }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;
  std::string all() {
    std::lock_guard lock(mutex);
    return text;
  }
};

} // namespace onbehalf::testing

// Starting a host in a test: the test stops, with the host's own words, if it cannot start.
#pragma once

#include "onbehalf/actors/host.hpp"

#include <catch2/catch.hpp>

#include <functional>

namespace onbehalf::testing {

/// Starts `h` and returns the port it listens on.
inline std::uint16_t require_started(actors::host& h) {
  auto started = h.start();
  INFO((started ? std::string() : started.error()));
  REQUIRE(started);
  return *started;
}

/// `s` as `adjust` changes it, when a test gives one.
inline config::app_settings adjusted(config::app_settings s, const std::function<void(config::app_settings&)>& adjust) {
  if (adjust) adjust(s);
  return s;
}

} // namespace onbehalf::testing

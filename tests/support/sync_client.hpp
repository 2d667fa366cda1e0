// Waits for the asynchronous HTTP client, for tests that read best step by step.
#pragma once

#include "onbehalf/http/client.hpp"

#include <catch2/catch.hpp>

#include <future>

namespace onbehalf::testing {

inline std::unique_ptr<http::client> make_client(http::client_options options = {}) {
  auto c = http::client::create(std::move(options));
  INFO((c ? std::string() : c.error()));
  REQUIRE(c);
  return std::move(*c);
}

inline http::client_result send_and_wait(http::client& c, http::client_request r) {
  std::promise<http::client_result> done;
  auto future = done.get_future();
  c.send(std::move(r), [&done](http::client_result outcome) { done.set_value(std::move(outcome)); });
  REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  return future.get();
}

} // namespace onbehalf::testing

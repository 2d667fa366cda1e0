// Just enough of a browser for protocol tests: the dev authority's scripted browser, with a
// failed request failing the test.
#pragma once

#include "sync_client.hpp"

#include "onbehalf/devauthority/scripted_browser.hpp"

#include <catch2/catch.hpp>

namespace onbehalf::testing {

class browser : public devauthority::scripted_browser {
public:
  using devauthority::scripted_browser::scripted_browser;

  http::client_response request(const std::string& method, const std::string& url, const std::string& form = {},
                                const http::header_list& extra_headers = {}) {
    auto reply = scripted_browser::request(method, url, form, extra_headers);
    INFO((reply ? std::string() : reply.error()));
    REQUIRE(reply);
    return std::move(*reply);
  }

  /// Where a redirect points; fails the test for anything but a redirect.
  std::string location(const http::client_response& reply) const {
    INFO("status " << reply.status << ": " << reply.body.substr(0, 600));
    REQUIRE(reply.status / 100 == 3);
    return scripted_browser::location(reply);
  }

  std::size_t cookie_count() const { return cookies().size(); }
};

} // namespace onbehalf::testing

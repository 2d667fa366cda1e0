// Just enough of a browser for protocol tests: keeps cookies, follows what a test tells it to,
// resolves relative redirects, and reads hidden form fields.
#pragma once

#include "sync_client.hpp"

#include "onbehalf/core/text.hpp"

#include <map>
#include <string>

namespace onbehalf::testing {

class browser {
public:
  /// `origin` resolves relative Location headers, e.g. "http://127.0.0.1:5100".
  browser(http::client& web, std::string origin) : web_(web), origin_(std::move(origin)) {}

  /// One request with the cookies collected so far; a form body is sent urlencoded.
  http::client_response request(const std::string& method, const std::string& url, const std::string& form = {},
                                const http::header_list& extra_headers = {}) {
    http::client_request r{method, url, extra_headers, form, {}};
    last_origin_ = url.substr(0, url.find('/', url.find("//") + 2));
    if (!cookies_.empty()) r.headers.set("Cookie", cookie_header());
    if (!form.empty()) r.headers.set("Content-Type", "application/x-www-form-urlencoded");
    auto reply = send_and_wait(web_, r);
    INFO(method << " " << url << ": " << (reply ? std::string() : reply.error().message));
    REQUIRE(reply);
    for (const auto& f : reply->headers.all()) {
      if (!text::iequals(f.name, "Set-Cookie")) continue;
      auto pair = f.value.substr(0, f.value.find(';'));
      auto equals = pair.find('=');
      auto value = pair.substr(equals + 1);
      if (f.value.find("Max-Age=0") != std::string::npos) {
        cookies_.erase(pair.substr(0, equals));
      } else {
        cookies_[pair.substr(0, equals)] = value;
      }
    }
    return *reply;
  }

  /// Where a redirect points, relative locations resolved against the last request's origin;
  /// fails the test for anything but a redirect.
  std::string location(const http::client_response& reply) const {
    INFO("status " << reply.status << ": " << reply.body.substr(0, 600));
    REQUIRE(reply.status / 100 == 3);
    std::string target(reply.headers.find("Location").value_or(""));
    return target.starts_with('/') ? (last_origin_.empty() ? origin_ : last_origin_) + target : target;
  }

  /// The value of a hidden input named `name` in an HTML page, or empty.
  static std::string hidden_field(const std::string& html, const std::string& name) {
    auto at = html.find("name=\"" + name + "\" value=\"");
    if (at == std::string::npos) return {};
    at += name.size() + 15;
    return html.substr(at, html.find('"', at) - at);
  }

  /// The action of the first form in an HTML page (entities in it are not decoded: tests use plain URLs).
  static std::string form_action(const std::string& html) {
    auto at = html.find("action=\"");
    if (at == std::string::npos) return {};
    at += 8;
    return html.substr(at, html.find('"', at) - at);
  }

  std::size_t cookie_count() const { return cookies_.size(); }
  /// The browser's cookie jar, for tests that tamper with it or replay it.
  std::map<std::string, std::string>& cookies() { return cookies_; }

  /// The fields of the first form in an HTML page that are hidden inputs, in order.
  static std::vector<std::pair<std::string, std::string>> hidden_fields(const std::string& html) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto at = html.find("type=\"hidden\" name=\""); at != std::string::npos; at = html.find("type=\"hidden\" name=\"", at + 1)) {
      auto name_at = at + 20;
      auto name = html.substr(name_at, html.find('"', name_at) - name_at);
      out.emplace_back(name, hidden_field(html, name));
    }
    return out;
  }

private:
  std::string cookie_header() const {
    std::string out;
    for (const auto& [name, value] : cookies_) out += (out.empty() ? "" : "; ") + name + "=" + value;
    return out;
  }

  http::client& web_;
  std::string origin_;
  std::string last_origin_;
  std::map<std::string, std::string> cookies_;
};

} // namespace onbehalf::testing

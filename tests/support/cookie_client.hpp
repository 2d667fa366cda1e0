// Requests as signed-in users' browsers send them — each with its user's session cookie — from
// as many threads at once as a test likes: one pooled HTTP client, blocking calls, and no Catch
// assertions inside (they are not safe off the test's own thread), so failures come back as data.
#pragma once

#include "onbehalf/http/client.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

namespace onbehalf::testing {

/// Someone signed in at the app: who, and the cookie their browser sends.
struct signed_in_user {
  std::string name;            // as they signed in at the authority
  std::string home_account_id; // as the app knows them
  std::string cookie;          // the Cookie header: the app's session cookie, nothing else
};

/// An answer, or why there was none.
struct page_answer {
  unsigned status = 0; // 0: no answer (see `failure`)
  std::string body;
  std::string location;   // of a redirect
  std::string expires_on; // X-Token-Expires-On, from GET /token
  std::string failure;

  bool answered() const { return status != 0; }
  /// A redirect to the authority: the app sent the browser to sign in.
  bool sends_to_sign_in(const std::string& authority_origin) const { return status == 302 && location.starts_with(authority_origin + "/"); }
};

class cookie_client {
public:
  cookie_client() {
    http::client_options o;
    o.response_timeout = std::chrono::seconds(15);
    auto created = http::client::create(o);
    if (!created) throw std::runtime_error("cannot create an HTTP client: " + created.error());
    web_ = std::move(*created);
  }

  /// GET `url` with `cookie` as the Cookie header; safe from any thread, waits for the answer.
  page_answer get(const std::string& url, const std::string& cookie) const { return get_with(url, "Cookie", cookie); }

  /// GET `url` as a web API's client calls it: with `access_token` as its bearer token.
  page_answer get_as_bearer(const std::string& url, const std::string& access_token) const {
    return get_with(url, "Authorization", "Bearer " + access_token);
  }

  http::client& web() { return *web_; }

private:
  page_answer get_with(const std::string& url, const char* header, const std::string& value) const {
    http::client_request r{"GET", url, {}, {}, {}};
    if (!value.empty()) r.headers.set(header, value);
    std::promise<http::client_result> done;
    auto future = done.get_future();
    web_->send(std::move(r), [&done](http::client_result outcome) { done.set_value(std::move(outcome)); });
    auto reply = future.get();
    page_answer a;
    if (!reply) {
      a.failure = reply.error().message;
      return a;
    }
    a.status = reply->status;
    a.body = std::move(reply->body);
    a.location = std::string(reply->headers.find("Location").value_or(""));
    a.expires_on = std::string(reply->headers.find("X-Token-Expires-On").value_or(""));
    return a;
  }

  std::unique_ptr<http::client> web_;
};

} // namespace onbehalf::testing

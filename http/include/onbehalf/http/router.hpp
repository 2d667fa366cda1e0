// Maps method + path to a handler. Patterns have literal segments, {name} parameters and an
// optional final {*rest} that takes the remainder of the path.
#pragma once

#include "onbehalf/http/exchange.hpp"
#include "onbehalf/http/principal.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::http {

using handler = std::function<void(const exchange_ptr&)>;

struct route {
  std::string method;
  std::string pattern;
  handler handle;
  bool anonymous = false; // reachable without a signed-in user
  std::vector<claim_requirement> required_claims; // all must hold, or the user gets 403

  /// The user must have claim `type` with one of `any_of` (e.g. roles: Admin).
  route& require_claim(std::string type, std::vector<std::string> any_of) {
    required_claims.push_back({std::move(type), std::move(any_of)});
    return *this;
  }

  struct segment {
    std::string text;
    enum class kind { literal, parameter, rest } type = kind::literal;
  };
  std::vector<segment> segments;
};

class router {
public:
  /// Adds a route. A malformed pattern is a programming error: std::invalid_argument.
  route& add(std::string method, std::string pattern, handler h);
  route& get(std::string pattern, handler h) { return add("GET", std::move(pattern), std::move(h)); }
  route& post(std::string pattern, handler h) { return add("POST", std::move(pattern), std::move(h)); }
  route& put(std::string pattern, handler h) { return add("PUT", std::move(pattern), std::move(h)); }
  route& patch(std::string pattern, handler h) { return add("PATCH", std::move(pattern), std::move(h)); }
  route& del(std::string pattern, handler h) { return add("DELETE", std::move(pattern), std::move(h)); }

  struct match {
    enum class outcome { found, not_found, method_not_allowed } result = outcome::not_found;
    std::size_t route_id = 0; // index into routes(), or unmatched_id()
    std::vector<std::pair<std::string, std::string>> params;
    std::string allow; // methods the path accepts, for 405's Allow header
  };

  /// HEAD requests match GET routes.
  match find(std::string_view method, std::string_view path) const;

  const std::vector<route>& routes() const noexcept { return routes_; }
  /// For changing routes already added, e.g. marking a group of them anonymous.
  std::vector<route>& routes() noexcept { return routes_; }
  std::size_t unmatched_id() const noexcept { return routes_.size(); }

private:
  std::vector<route> routes_;
};

/// Routes an exchange and runs its handler, or answers 404/405 itself. Every dispatcher uses this.
void route_and_handle(const router& r, const exchange_ptr& x);

/// A step before the handler (the sign-in policy): it may answer the exchange itself, or call
/// `proceed` — from any thread, at most once — to run the route's handler.
using admission = std::function<void(const route& matched, const exchange_ptr& x, std::function<void()> proceed)>;

/// route_and_handle with an admission step between matching and the handler.
void route_and_handle(const router& r, const exchange_ptr& x, const admission& admit);

} // namespace onbehalf::http

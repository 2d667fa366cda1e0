#include "onbehalf/actors/call_failure.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/http/www_authenticate.hpp"

namespace onbehalf::actors {

namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

} // namespace

std::string call_failure::message() const {
  return std::visit(overloaded{
                        [](const challenge& c) {
                          return "The user must visit the authority (" + std::string(identity::to_string(c.reason)) + ")" +
                                 (c.scopes.empty() ? std::string() : " for " + text::join(c.scopes, " ")) + (c.detail.empty() ? "" : ": " + c.detail);
                        },
                        [](const service_error& e) {
                          return "The authority could not issue a token: " + e.detail +
                                 (e.retry_after ? "; retry after " + std::to_string(e.retry_after->count()) + " s" : "");
                        },
                        [](const configuration_error& e) { return "The app is misconfigured; check " + e.key + ": " + e.detail; },
                        [](const downstream_error& e) { return "The API " + e.api + " answered HTTP " + std::to_string(e.status); },
                        [](const downstream_unreachable& e) { return "The API " + e.api + " could not be reached: " + e.detail; },
                        [](const unexpected_body& e) { return "The API " + e.api + " answered a body that does not fit: " + e.error.to_string(); },
                    },
                    what_);
}

unsigned call_failure::suggested_status() const noexcept {
  return std::visit(overloaded{
                        [](const challenge&) { return 401u; },
                        [](const service_error&) { return 503u; },
                        [](const configuration_error&) { return 500u; },
                        [](const downstream_error&) { return 502u; },
                        [](const downstream_unreachable&) { return 503u; },
                        [](const unexpected_body&) { return 502u; },
                    },
                    what_);
}

call_failure failure_of(const identity::token_failure& f, const std::vector<std::string>& scopes) {
  using identity::failure_kind;
  switch (f.kind) {
  case failure_kind::interaction_required: {
    challenge c;
    c.scopes = scopes;
    c.claims = f.claims;
    c.reason = f.reason;
    c.detail = f.message();
    return c;
  }
  case failure_kind::configuration_error: return configuration_error{f.config_key, f.message()};
  case failure_kind::service_error:
  case failure_kind::network_error:
  case failure_kind::invalid_response: return service_error{f.message(), f.retry_after};
  }
  return service_error{f.message(), f.retry_after};
}

call_exception::call_exception(call_failure f) : std::runtime_error(f.message()), failure_(std::move(f)) {}

namespace {

struct words {
  std::string_view title;
  std::string_view message;
};

words words_for(const call_failure& f) {
  return std::visit(
      overloaded{
          [](const challenge&) {
            return words{"Access is needed", "This page needs access it does not have yet. Please sign in again."};
          },
          [](const service_error&) {
            return words{"Sign-in is unavailable", "The sign-in service cannot be reached right now. Please try again in a minute."};
          },
          [](const configuration_error&) {
            return words{"This page is misconfigured", "This site's settings are wrong; its operators have been told in the log."};
          },
          [](const downstream_error&) {
            return words{"A service failed", "A service this page needs answered with an error. Please try again later."};
          },
          [](const downstream_unreachable&) {
            return words{"A service is unavailable", "A service this page needs cannot be reached right now. Please try again in a minute."};
          },
          [](const unexpected_body&) {
            return words{"A service failed", "A service this page needs answered with something this site cannot read."};
          },
      },
      f.what());
}

} // namespace

std::string_view user_message(const call_failure& f) { return words_for(f).message; }

http::response failure_page(const call_failure& f, const http::request& r) {
  auto w = words_for(f);
  auto status = f.suggested_status();
  auto page = http::is_api_request(r)
                  ? http::response::json(status, json::serialize(json::object{{"error", std::string(w.title)}, {"message", std::string(w.message)}}))
                  : http::response::page(status, w.title, w.message);
  if (status == 503) {
    const auto* e = f.as<service_error>();
    page.headers.set("Retry-After", std::to_string(e && e->retry_after ? e->retry_after->count() : 30));
  }
  return page;
}

http::response challenge_for_caller(const challenge& c) {
  auto answer = [](unsigned status, std::string header, std::string_view message) {
    auto r = http::response::error(status, message);
    r.headers.set("WWW-Authenticate", std::move(header));
    return r;
  };
  if (!c.claims.empty())
    return answer(
        401,
        "Bearer error=\"insufficient_claims\", error_description=\"a downstream API needs the user to satisfy a claims challenge\", claims=" +
            http::quoted_string(base64::encode(c.claims)),
        "A service this API calls needs more from the user's sign-in: get a token that satisfies the claims challenge.");
  // Anything but consent is done by signing in again, interactively: a revoked or expired
  // sign-in, or a second factor the authority asks for without saying how (no claims).
  if (c.reason != identity::interaction_reason::consent_required)
    return answer(401, "Bearer error=\"invalid_token\", error_description=\"the user must sign in again\", proposedAction=\"login\"",
                  "The user's sign-in is no longer good for the services this API calls: sign in again.");
  std::string header = "Bearer error=\"insufficient_scope\", error_description=\"the user has not consented to what this API needs\"";
  if (!c.scopes.empty()) header += ", scope=" + http::quoted_string(text::join(c.scopes, " "));
  header += ", proposedAction=\"consent\"";
  return answer(403, std::move(header), "The user has not consented to what this API needs from the services it calls.");
}

void log_fallback(std::string_view what, const call_failure& f) {
  log_warning("Optional data is unavailable; showing defaults instead", {{"data", what}, {"reason", f.message()}});
}

} // namespace onbehalf::actors

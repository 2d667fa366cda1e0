// People signing in at a web app instance through an authority's own pages — the dev authority's
// or oidc-provider's — as a browser would; what remains is the session cookie their browser
// then sends to whichever instance answers.
#pragma once

#include "browser.hpp"
#include "cookie_client.hpp"

#include "onbehalf/core/text.hpp"

#include <catch2/catch.hpp>

namespace onbehalf::testing {

/// The app's session cookie (chunks included) from a browser's jar, without the authority's cookies.
inline std::string session_cookie_of(const browser& b) {
  std::string header;
  for (const auto& [name, value] : b.cookies())
    if (name.starts_with(".onbehalf.session")) header += (header.empty() ? "" : "; ") + name + "=" + value;
  return header;
}

/// Signs `who` in at the instance at `origin` through the dev authority's pages (sign-in, consent),
/// by opening GET /whoami there.
inline signed_in_user sign_in_with_dev_authority(http::client& web, const std::string& origin, const devauthority::person& who) {
  browser b(web, origin);
  auto visit = devauthority::browse(b, "GET", origin + "/whoami", who);
  INFO((visit ? std::string() : visit.error()));
  REQUIRE(visit);
  INFO(who.user << "'s sign-in ended at " << visit->last_url << ": " << visit->last.status << " " << visit->last.body.substr(0, 400));
  REQUIRE(visit->last.status == 200);
  auto cookie = session_cookie_of(b);
  REQUIRE_FALSE(cookie.empty());
  return {who.user, visit->last.body, cookie};
}

/// Signs `login` in at the instance at `origin` through oidc-provider's development login and
/// consent pages (any password), by opening GET /whoami there.
inline signed_in_user sign_in_with_oidc_provider(http::client& web, const std::string& origin, const std::string& login) {
  browser b(web, origin);
  auto challenge = b.request("GET", origin + "/whoami");
  REQUIRE(challenge.status == 302);
  auto login_page = b.location(b.request("GET", b.location(challenge)));
  auto resume = b.location(b.request("POST", login_page, "prompt=login&login=" + login + "&password=any"));
  auto consent_page = b.location(b.request("GET", resume));
  auto resume_again = b.location(b.request("POST", consent_page, "prompt=consent"));
  auto form_post = b.request("GET", resume_again);
  INFO(form_post.body.substr(0, 600));
  REQUIRE(form_post.status == 200);
  text::form_fields fields;
  for (const auto& [name, value] : browser::hidden_fields(form_post.body)) fields.add(name, value);
  auto callback = b.request("POST", browser::form_action(form_post.body), fields.encode());
  INFO(callback.body.substr(0, 600));
  REQUIRE(callback.status == 302);
  auto whoami = b.request("GET", b.location(callback));
  REQUIRE(whoami.status == 200);
  auto cookie = session_cookie_of(b);
  REQUIRE_FALSE(cookie.empty());
  return {login, whoami.body, cookie};
}

} // namespace onbehalf::testing

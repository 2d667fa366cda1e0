// A browser driven by a script, for everything that plays a person against the development
// authority without a real browser: the walkthrough, the end-to-end benchmark's sign-ins, and
// tests. It keeps cookies, follows redirects, submits form_post pages, and answers the dev
// authority's own pages (sign-in, consent, second factor, profile, password reset) as the user
// it plays would. Blocking: it is meant for a program's or a test's own thread.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/http/client.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace onbehalf::devauthority {

class scripted_browser {
public:
  /// `origin` resolves relative Location headers before the first request, e.g. "http://127.0.0.1:5000".
  scripted_browser(http::client& web, std::string origin);

  /// One request with the cookies collected so far; a form body is sent urlencoded. Set-Cookie
  /// answers fill the jar; expired cookies leave it.
  result<http::client_response, std::string> request(const std::string& method, const std::string& url, const std::string& form = {},
                                                     const http::header_list& extra_headers = {});

  /// Where a redirect points, relative locations resolved against the last request's origin;
  /// empty for anything but a redirect.
  std::string location(const http::client_response& reply) const;

  /// The value of a hidden input named `name` in an HTML page, or empty.
  static std::string hidden_field(const std::string& html, const std::string& name);
  /// The action of the first form in an HTML page.
  static std::string form_action(const std::string& html);
  /// The hidden inputs of an HTML page, in order.
  static std::vector<std::pair<std::string, std::string>> hidden_fields(const std::string& html);

  std::map<std::string, std::string>& cookies() { return cookies_; }
  const std::map<std::string, std::string>& cookies() const { return cookies_; }
  /// The Cookie header this browser sends.
  std::string cookie_header() const;

private:
  http::client& web_;
  std::string origin_;
  std::string last_origin_;
  std::map<std::string, std::string> cookies_;
};

/// Who the browser plays, and what they answer on the authority's pages.
struct person {
  std::string user = "ada@contoso.onmicrosoft.com";
  std::string password;
  std::string new_display_name; // on the edit-profile page
  std::string new_password;     // on the password-reset page
  std::string mfa_code = "123456";
  bool forgets_password = false;     // asks to reset it from a B2C sign-in page, the first time one is shown
  bool cancels_profile_edit = false; // on the edit-profile page
};

/// What a person did on the authority's pages.
struct pages_answered {
  std::vector<std::string> pages_seen;           // "sign-in", "forgot-password", "consent", "mfa", "edit-profile", "cancel", "reset"
  std::vector<std::string> consent_scopes_shown; // the scopes the consent page asked for
};

/// Answers one of the dev authority's pages as `who` would; nullopt when `page` is none of them.
std::optional<result<http::client_response, std::string>> answer_authority_page(scripted_browser& b, const http::client_response& page,
                                                                                const person& who, pages_answered& seen);

/// Where a browser ends after following a link: redirects followed, the authority's pages
/// answered, form_post pages submitted; it stops at the first page none of that applies to.
struct visit {
  http::client_response last;
  std::string last_url;
  pages_answered authority_pages;
};

/// With `stop_before`, a redirect to an address starting with it is not followed: `last` is the
/// redirect and `last_url` its target — how a client that is not a web app reads its authorization code.
result<visit, std::string> browse(scripted_browser& b, const std::string& method, const std::string& url, const person& who,
                                  const std::string& form = {}, const std::string& stop_before = {});

} // namespace onbehalf::devauthority

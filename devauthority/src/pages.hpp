// The dev authority's HTML pages: sign-in, consent, second factor, errors, form_post.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onbehalf::devauthority::pages {

std::string escape(std::string_view text);

/// In a B2C user flow (`b2c`), with "Forgot your password?" beside the sign-in button, as B2C's
/// own page has it.
std::string sign_in(std::string_view action, std::string_view flow, std::string_view app_name, std::string_view login_hint, std::string_view error,
                    bool b2c);
/// What a user consents to: for the app, and for each API app it calls that lists it as a known
/// client (combined consent: that API app's name and its permissions).
struct permissions_asked {
  std::vector<std::string> for_app;
  std::vector<std::pair<std::string, std::vector<std::string>>> for_apis_it_calls;
  bool empty() const { return for_app.empty() && for_apis_it_calls.empty(); }
};
std::string consent(std::string_view action, std::string_view flow, std::string_view app_name, std::string_view user_name,
                    const permissions_asked& asked);
std::string second_factor(std::string_view action, std::string_view flow, std::string_view user_name, std::string_view error);
/// B2C edit-profile flow: the user changes their display name, or cancels.
std::string edit_profile(std::string_view action, std::string_view flow, std::string_view display_name);
/// B2C password-reset flow: the user names their account and chooses a new password.
std::string reset_password(std::string_view action, std::string_view flow, std::string_view login_hint, std::string_view error);
std::string error(std::string_view title, std::string_view message);
std::string signed_out(std::string_view user_name);
/// The page that posts the authorization response to the app (response_mode=form_post).
std::string form_post(std::string_view redirect_uri, const std::vector<std::pair<std::string, std::string>>& fields);

/// The one-time code the second-factor page accepts; a development authority has no phones.
inline constexpr std::string_view mfa_code = "123456";

} // namespace onbehalf::devauthority::pages

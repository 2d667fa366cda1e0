// The dev authority's HTML pages: sign-in, consent, second factor, errors, form_post.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onbehalf::devauthority::pages {

std::string escape(std::string_view text);

std::string sign_in(std::string_view action, std::string_view flow, std::string_view app_name, std::string_view login_hint, std::string_view error);
std::string consent(std::string_view action, std::string_view flow, std::string_view app_name, std::string_view user_name,
                    const std::vector<std::string>& scopes);
std::string second_factor(std::string_view action, std::string_view flow, std::string_view user_name, std::string_view error);
/// B2C edit-profile flow: the user changes their display name.
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

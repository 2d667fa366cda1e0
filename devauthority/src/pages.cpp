#include "pages.hpp"

#include "onbehalf/core/text.hpp"

namespace onbehalf::devauthority::pages {

namespace {

std::string layout(std::string_view title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title) +
         " - onbehalf dev authority</title>"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<style>body{font-family:system-ui,sans-serif;background:#f3f4f6;margin:0}"
         "main{max-width:26rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 4px #0002}"
         "h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0 .2rem}"
         "input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}"
         "button{margin-top:1rem;padding:.5rem 1.2rem;background:#2563eb;color:#fff;border:0;border-radius:.3rem;cursor:pointer}"
         "button.secondary{background:#6b7280}.error{color:#b91c1c}small{color:#6b7280}</style></head><body><main>\n" +
         body + "\n<p><small>onbehalf development authority &mdash; not for production</small></p></main></body></html>\n";
}

std::string hidden_flow(std::string_view flow) { return "<input type=\"hidden\" name=\"flow\" value=\"" + escape(flow) + "\">"; }

std::string error_line(std::string_view error) {
  return error.empty() ? std::string() : "<p class=\"error\" role=\"alert\">" + escape(error) + "</p>";
}

} // namespace

std::string escape(std::string_view text) { return text::html_escape(text); }

std::string sign_in(std::string_view action, std::string_view flow, std::string_view app_name, std::string_view login_hint, std::string_view error,
                    bool b2c) {
  return layout("Sign in", "<h1>Sign in</h1><p>to continue to <strong>" + escape(app_name) + "</strong></p>" + error_line(error) +
                               "<form method=\"post\" action=\"" + escape(action) + "\">" + hidden_flow(flow) +
                               "<label for=\"username\">Email or user name</label>"
                               "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" value=\"" +
                               escape(login_hint) +
                               "\" required>"
                               "<label for=\"password\">Password</label>"
                               "<input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>"
                               "<button type=\"submit\">Sign in</button>" +
                               (b2c ? " <button type=\"submit\" name=\"forgot\" value=\"1\" formnovalidate class=\"secondary\">Forgot your "
                                      "password?</button>"
                                    : "") +
                               "</form>");
}

std::string consent(std::string_view action, std::string_view flow, std::string_view app_name, std::string_view user_name,
                    const permissions_asked& asked) {
  auto list = [](const std::vector<std::string>& scopes) {
    std::string items;
    for (const auto& s : scopes) items += "<li><code>" + escape(s) + "</code></li>";
    return "<ul>" + items + "</ul>";
  };
  auto app = "<strong>" + escape(app_name) + "</strong>";
  auto user = "<strong>" + escape(user_name) + "</strong>";
  std::string body;
  if (!asked.for_app.empty()) body = "<p>" + app + " would like to act on behalf of " + user + " with these permissions:</p>" + list(asked.for_app);
  for (const auto& [api, scopes] : asked.for_apis_it_calls) {
    auto named = "<strong>" + escape(api) + "</strong>, an API it calls, ";
    body += body.empty() ? "<p>" + app + " would like " + named + "to act on behalf of " + user + " with these permissions:</p>"
                         : "<p>And " + named + "with these:</p>";
    body += list(scopes);
  }
  return layout("Permissions requested", "<h1>Permissions requested</h1>" + body + "<form method=\"post\" action=\"" + escape(action) + "\">" +
                                             hidden_flow(flow) +
                                             "<button type=\"submit\" name=\"decision\" value=\"accept\">Accept</button> "
                                             "<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Cancel</button></form>");
}

std::string second_factor(std::string_view action, std::string_view flow, std::string_view user_name, std::string_view error) {
  return layout("Verify your identity",
                "<h1>Verify your identity</h1><p>The resource requires multi-factor authentication for <strong>" + escape(user_name) +
                    "</strong>. Enter the code from your authenticator (for this development authority: <code>" + std::string(mfa_code) +
                    "</code>).</p>" + error_line(error) + "<form method=\"post\" action=\"" + escape(action) + "\">" + hidden_flow(flow) +
                    "<label for=\"code\">Code</label><input type=\"text\" id=\"code\" name=\"code\" "
                    "inputmode=\"numeric\" autocomplete=\"one-time-code\" required>"
                    "<button type=\"submit\">Verify</button></form>");
}

std::string edit_profile(std::string_view action, std::string_view flow, std::string_view display_name) {
  return layout("Edit profile", "<h1>Edit your profile</h1><form method=\"post\" action=\"" + escape(action) + "\">" + hidden_flow(flow) +
                                    "<label for=\"display_name\">Display name</label>"
                                    "<input type=\"text\" id=\"display_name\" name=\"display_name\" value=\"" +
                                    escape(display_name) +
                                    "\" required><button type=\"submit\">Save</button> "
                                    "<button type=\"submit\" name=\"cancel\" value=\"1\" formnovalidate class=\"secondary\">Cancel</button></form>");
}

std::string reset_password(std::string_view action, std::string_view flow, std::string_view login_hint, std::string_view error) {
  return layout("Reset password", "<h1>Reset your password</h1>" + error_line(error) + "<form method=\"post\" action=\"" + escape(action) + "\">" +
                                      hidden_flow(flow) +
                                      "<label for=\"username\">Email or user name</label>"
                                      "<input type=\"text\" id=\"username\" name=\"username\" value=\"" +
                                      escape(login_hint) +
                                      "\" required>"
                                      "<label for=\"new_password\">New password</label>"
                                      "<input type=\"password\" id=\"new_password\" name=\"new_password\" autocomplete=\"new-password\" required>"
                                      "<button type=\"submit\">Reset password</button></form>");
}

std::string error(std::string_view title, std::string_view message) {
  return layout(title, "<h1>" + escape(title) + "</h1><p class=\"error\">" + escape(message) + "</p>");
}

std::string signed_out(std::string_view user_name) {
  return layout("Signed out", "<h1>You signed out</h1><p>" + escape(user_name.empty() ? "You" : user_name) +
                                  " signed out of the development authority. You can close this page.</p>");
}

std::string form_post(std::string_view redirect_uri, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string inputs;
  for (const auto& [name, value] : fields) inputs += "<input type=\"hidden\" name=\"" + escape(name) + "\" value=\"" + escape(value) + "\">";
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Working...</title></head>"
         "<body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"" +
         escape(redirect_uri) + "\">" + inputs + "<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>\n";
}

} // namespace onbehalf::devauthority::pages

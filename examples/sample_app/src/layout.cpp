#include "layout.hpp"

#include "onbehalf/core/text.hpp"

namespace onbehalf::sample {

namespace {

constexpr std::string_view style = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2937; background: #f8fafc; }
header { background: #1e3a8a; color: white; padding: 0.75rem 1.5rem; display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
header a { color: #dbeafe; text-decoration: none; }
header a:hover { text-decoration: underline; }
header .who { margin-left: auto; }
main { max-width: 52rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.5rem; }
table { border-collapse: collapse; width: 100%; background: white; }
td, th { border-bottom: 1px solid #e5e7eb; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top; }
.notice { background: #fef3c7; border: 1px solid #f59e0b; padding: 0.6rem 0.9rem; border-radius: 4px; }
.card { background: white; border: 1px solid #e5e7eb; border-radius: 6px; padding: 1rem 1.2rem; margin-bottom: 1rem; }
form.inline { display: inline; }
button, input[type=submit] { background: #2563eb; color: white; border: 0; border-radius: 4px; padding: 0.35rem 0.8rem; cursor: pointer; }
input[type=text] { padding: 0.3rem; border: 1px solid #cbd5e1; border-radius: 4px; }
code { background: #eef2ff; padding: 0 0.25rem; border-radius: 3px; }
)";

constexpr std::string_view links[][2] = {{"/", "Home"},           {"/profile", "Profile"},     {"/emails", "Emails"},
                                         {"/todos", "Todos"},      {"/dashboard", "Dashboard"}, {"/parallel", "Parallel"},
                                         {"/blobs", "Blobs"},      {"/send-mail", "Send mail"}, {"/live/todos", "Live todos"},
                                         {"/me", "My claims"}};

} // namespace

std::string html(std::string_view text) { return text::html_escape(text); }

http::response page(const http::exchange_ptr& x, std::string_view title, const std::string& body, unsigned status) {
  std::string nav;
  for (const auto& [href, label] : links) nav += "<a href=\"" + std::string(href) + "\">" + std::string(label) + "</a>";
  std::string who = x->user ? "<span class=\"who\">" + html(x->user->display_name()) + " · <a href=\"/MicrosoftIdentity/Account/SignOut\">Sign out</a></span>"
                            : "<span class=\"who\"><a href=\"/MicrosoftIdentity/Account/SignIn\">Sign in</a></span>";
  http::response r;
  r.status = status;
  r.headers.set("Content-Type", "text/html; charset=utf-8");
  r.headers.set("Cache-Control", "no-store");
  r.body = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<title>" + html(title) + " · onbehalf sample</title><style>" + std::string(style) + "</style></head><body>\n<header><strong>onbehalf sample</strong>" +
           nav + who + "</header>\n<main>\n<h1>" + html(title) + "</h1>\n" + body + "\n</main>\n</body></html>\n";
  return r;
}

std::string notice(std::string_view text) { return "<p class=\"notice\">" + html(text) + "</p>"; }

} // namespace onbehalf::sample

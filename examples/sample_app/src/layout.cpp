#include "layout.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"
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

constexpr std::string_view links[][2] = {{"/", "Home"},
                                         {"/profile", "Profile"},
                                         {"/emails", "Emails"},
                                         {"/todos", "Todos"},
                                         {"/dashboard", "Dashboard"},
                                         {"/parallel", "Parallel"},
                                         {"/overview", "Overview"},
                                         {"/inbox", "Inbox"},
                                         {"/blobs", "Blobs"},
                                         {"/send-mail", "Send mail"},
                                         {"/live/todos", "Live todos"},
                                         {"/me", "My claims"}};

} // namespace

std::string html(std::string_view text) { return text::html_escape(text); }

// The stylesheet's address carries a digest of its text, so browsers may keep it for a year:
// a changed stylesheet has a new address.
const std::string& stylesheet_path() {
  static const std::string path = "/styles/site-" + base64::encode(crypto::sha256(style).substr(0, 6), base64::alphabet::url) + ".css";
  return path;
}

void add_stylesheet(http::router& r) {
  r.get(stylesheet_path(), [](const http::exchange_ptr& x) {
     auto reply = http::response::text(200, std::string(style));
     reply.headers.set("Content-Type", "text/css; charset=utf-8");
     reply.headers.set("Cache-Control", "public, max-age=31536000, immutable");
     x->respond(std::move(reply));
   }).anonymous = true;
}

// Everything after the title up to the user's name is the same on every page: built once, so a
// page costs one allocation for its text (pages are what the end-to-end benchmark measures).
const std::string& after_title() {
  static const std::string text = [] {
    std::string t = " · onbehalf sample</title><link rel=\"stylesheet\" href=\"" + stylesheet_path() +
                    "\"></head><body>\n<header><strong>onbehalf sample</strong>";
    for (const auto& [href, label] : links) t.append("<a href=\"").append(href).append("\">").append(label).append("</a>");
    return t;
  }();
  return text;
}

http::response page(const http::exchange_ptr& x, std::string_view title, const std::string& body, unsigned status) {
  auto escaped_title = html(title);
  http::response r;
  r.status = status;
  r.headers.set("Content-Type", "text/html; charset=utf-8");
  r.headers.set("Cache-Control", "no-store");
  auto& out = r.body;
  out.reserve(after_title().size() + body.size() + 2 * escaped_title.size() + 512);
  out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, "
             "initial-scale=1\"><title>")
      .append(escaped_title)
      .append(after_title());
  if (x->user) {
    out.append("<span class=\"who\">")
        .append(html(x->user->display_name()))
        .append(" · <a href=\"/MicrosoftIdentity/Account/SignOut\">Sign out</a></span>");
  } else {
    out.append("<span class=\"who\"><a href=\"/MicrosoftIdentity/Account/SignIn\">Sign in</a></span>");
  }
  out.append("</header>\n<main>\n<h1>").append(escaped_title).append("</h1>\n").append(body).append("\n</main>\n</body></html>\n");
  return r;
}

std::string notice(std::string_view text) { return "<p class=\"notice\">" + html(text) + "</p>"; }

} // namespace onbehalf::sample

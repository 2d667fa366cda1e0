#include "onbehalf/http/message.hpp"

#include "onbehalf/core/text.hpp"

#include <algorithm>

namespace onbehalf::http {

std::optional<std::string_view> header_list::find(std::string_view name) const {
  for (const auto& f : fields_)
    if (text::iequals(f.name, name)) return std::string_view(f.value);
  return std::nullopt;
}

void header_list::set(std::string_view name, std::string value) {
  std::erase_if(fields_, [&](const header_field& f) { return text::iequals(f.name, name); });
  add(name, std::move(value));
}

void header_list::add(std::string_view name, std::string value) {
  if (fields_.capacity() == 0) fields_.reserve(8); // most messages have a few fields: one allocation, not one per doubling
  fields_.push_back({std::string(name), std::move(value)});
}

std::optional<std::string> find_cookie(const header_list& headers, std::string_view name) {
  for (const auto& f : headers.all()) {
    if (!text::iequals(f.name, "Cookie")) continue;
    for (std::string_view rest = f.value; !rest.empty();) {
      auto pair = text::trim(text::next_part(rest, ';'));
      auto equals = pair.find('=');
      if (equals != std::string_view::npos && pair.substr(0, equals) == name) return std::string(pair.substr(equals + 1));
    }
  }
  return std::nullopt;
}

namespace {
response with_body(unsigned status, std::string_view content_type, std::string body) {
  response r;
  r.status = status;
  r.headers.set("Content-Type", std::string(content_type));
  r.body = std::move(body);
  return r;
}
} // namespace

response response::text(unsigned status, std::string body) { return with_body(status, "text/plain; charset=utf-8", std::move(body)); }

response response::json(unsigned status, std::string body) { return with_body(status, "application/json", std::move(body)); }

response response::error(unsigned status, std::string_view message) { return text(status, std::string(message) + "\n"); }

namespace {

// `action_html` is markup this file wrote, with every value in it escaped.
response html_page(unsigned status, std::string_view title, std::string_view message, const std::string& action_html) {
  response r;
  r.status = status;
  r.headers.set("Content-Type", "text/html; charset=utf-8");
  r.headers.set("Cache-Control", "no-store");
  r.body = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + text::html_escape(title) +
           "</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2937}"
           "h1{font-size:1.4rem}a{color:#2563eb}</style></head><body>\n<h1>" +
           text::html_escape(title) + "</h1>\n<p>" + text::html_escape(message) + "</p>\n" + action_html + "\n</body></html>\n";
  return r;
}

} // namespace

response response::page(unsigned status, std::string_view title, std::string_view message, std::string_view link_text, std::string_view link) {
  return html_page(status, title, message, "<p><a href=\"" + text::html_escape(link) + "\">" + text::html_escape(link_text) + "</a></p>");
}

response response::confirmation_page(unsigned status, std::string_view title, std::string_view message, std::string_view button_text,
                                     std::string_view action) {
  return html_page(status, title, message,
                   "<form method=\"post\" action=\"" + text::html_escape(action) + "\"><button type=\"submit\">" + text::html_escape(button_text) +
                       "</button></form>");
}

response response::redirect(std::string location) {
  response r;
  r.status = 302;
  r.headers.set("Location", std::move(location));
  r.headers.set("Cache-Control", "no-store");
  return r;
}

bool is_api_request(const request& r) {
  // A WebSocket handshake cannot follow a redirect either.
  if (auto upgrade = r.headers.find("Upgrade"); upgrade && text::iequals(*upgrade, "websocket")) return true;
  if (auto requested_with = r.headers.find("X-Requested-With"); requested_with && text::iequals(*requested_with, "XMLHttpRequest")) return true;
  auto accept = text::to_lower(r.headers.find("Accept").value_or(""));
  return accept.find("application/json") != std::string::npos && accept.find("text/html") == std::string::npos;
}

} // namespace onbehalf::http

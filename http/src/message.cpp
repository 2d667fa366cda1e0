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

void header_list::add(std::string_view name, std::string value) { fields_.push_back({std::string(name), std::move(value)}); }

std::optional<std::string> find_cookie(const header_list& headers, std::string_view name) {
  for (const auto& f : headers.all()) {
    if (!text::iequals(f.name, "Cookie")) continue;
    for (auto pair : text::split(f.value, ';')) {
      pair = text::trim(pair);
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

response response::error(unsigned status, std::string_view message) {
  return text(status, std::string(message) + "\n");
}

} // namespace onbehalf::http

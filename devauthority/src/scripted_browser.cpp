#include "onbehalf/devauthority/scripted_browser.hpp"

#include "onbehalf/core/text.hpp"

#include <algorithm>
#include <future>

namespace onbehalf::devauthority {

scripted_browser::scripted_browser(http::client& web, std::string origin) : web_(web), origin_(std::move(origin)) {}

result<http::client_response, std::string> scripted_browser::request(const std::string& method, const std::string& url, const std::string& form,
                                                                     const http::header_list& extra_headers) {
  http::client_request r{method, url, extra_headers, form, {}};
  last_origin_ = url.substr(0, url.find('/', url.find("//") + 2));
  if (!cookies_.empty()) r.headers.set("Cookie", cookie_header());
  if (!form.empty()) r.headers.set("Content-Type", "application/x-www-form-urlencoded");
  std::promise<http::client_result> done;
  auto future = done.get_future();
  web_.send(std::move(r), [&done](http::client_result outcome) { done.set_value(std::move(outcome)); });
  auto reply = future.get();
  if (!reply) return failure{method + " " + url + ": " + reply.error().message};
  for (const auto& f : reply->headers.all()) {
    if (!text::iequals(f.name, "Set-Cookie")) continue;
    auto pair = f.value.substr(0, f.value.find(';'));
    auto equals = pair.find('=');
    if (f.value.find("Max-Age=0") != std::string::npos) {
      cookies_.erase(pair.substr(0, equals));
    } else {
      cookies_[pair.substr(0, equals)] = pair.substr(equals + 1);
    }
  }
  return *reply;
}

std::string scripted_browser::location(const http::client_response& reply) const {
  if (reply.status / 100 != 3) return {};
  std::string target(reply.headers.find("Location").value_or(""));
  return target.starts_with('/') ? (last_origin_.empty() ? origin_ : last_origin_) + target : target;
}

std::string scripted_browser::hidden_field(const std::string& html, const std::string& name) {
  auto at = html.find("name=\"" + name + "\" value=\"");
  if (at == std::string::npos) return {};
  at += name.size() + 15;
  return html.substr(at, html.find('"', at) - at);
}

std::string scripted_browser::form_action(const std::string& html) {
  auto at = html.find("action=\"");
  if (at == std::string::npos) return {};
  at += 8;
  return html.substr(at, html.find('"', at) - at);
}

std::vector<std::pair<std::string, std::string>> scripted_browser::hidden_fields(const std::string& html) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto at = html.find("type=\"hidden\" name=\""); at != std::string::npos; at = html.find("type=\"hidden\" name=\"", at + 1)) {
    auto name_at = at + 20;
    auto name = html.substr(name_at, html.find('"', name_at) - name_at);
    out.emplace_back(name, hidden_field(html, name));
  }
  return out;
}

std::string scripted_browser::cookie_header() const {
  std::string out;
  for (const auto& [name, value] : cookies_) out += (out.empty() ? "" : "; ") + name + "=" + value;
  return out;
}

std::optional<result<http::client_response, std::string>> answer_authority_page(scripted_browser& b, const http::client_response& page,
                                                                                const person& who, pages_answered& seen) {
  if (page.status != 200) return std::nullopt;
  auto flow = scripted_browser::hidden_field(page.body, "flow");
  if (flow.empty()) return std::nullopt;
  auto action = scripted_browser::form_action(page.body);
  text::form_fields form;
  form.add("flow", flow);
  auto has = [&page](std::string_view marker) { return page.body.find(marker) != std::string::npos; };
  if (has("name=\"new_password\"")) {
    seen.pages_seen.push_back("reset");
    return b.request("POST", action, form.add("username", who.user).add("new_password", who.new_password).encode());
  }
  if (has("name=\"password\"")) {
    bool asked_before = std::find(seen.pages_seen.begin(), seen.pages_seen.end(), "forgot-password") != seen.pages_seen.end();
    if (who.forgets_password && has("name=\"forgot\"") && !asked_before) {
      seen.pages_seen.push_back("forgot-password");
      return b.request("POST", action, form.add("forgot", "1").encode());
    }
    seen.pages_seen.push_back("sign-in");
    return b.request("POST", action, form.add("username", who.user).add("password", who.password).encode());
  }
  if (has("value=\"accept\"")) {
    seen.pages_seen.push_back("consent");
    for (auto at = page.body.find("<code>"); at != std::string::npos; at = page.body.find("<code>", at + 1))
      seen.consent_scopes_shown.push_back(page.body.substr(at + 6, page.body.find("</code>", at) - at - 6));
    return b.request("POST", action, form.add("decision", "accept").encode());
  }
  if (has("name=\"display_name\"")) {
    if (who.cancels_profile_edit) {
      seen.pages_seen.push_back("cancel");
      return b.request("POST", action, form.add("cancel", "1").encode());
    }
    seen.pages_seen.push_back("edit-profile");
    return b.request("POST", action, form.add("display_name", who.new_display_name).encode());
  }
  if (has("name=\"code\"")) {
    seen.pages_seen.push_back("mfa");
    return b.request("POST", action, form.add("code", who.mfa_code).encode());
  }
  return std::nullopt;
}

result<visit, std::string> browse(scripted_browser& b, const std::string& method, const std::string& url, const person& who, const std::string& form,
                                  const std::string& stop_before) {
  visit v;
  v.last_url = url;
  auto first = b.request(method, url, form);
  if (!first) return failure{first.error()};
  v.last = std::move(*first);
  for (int step = 0; step < 16; ++step) {
    result<http::client_response, std::string> next = failure{std::string()};
    if (v.last.status / 100 == 3) {
      v.last_url = b.location(v.last);
      if (!stop_before.empty() && v.last_url.starts_with(stop_before)) return v;
      next = b.request("GET", v.last_url);
    } else if (v.last.body.find("document.forms[0].submit()") != std::string::npos) { // form_post back to the app
      text::form_fields f;
      for (const auto& [name, value] : scripted_browser::hidden_fields(v.last.body)) f.add(name, value);
      v.last_url = scripted_browser::form_action(v.last.body);
      next = b.request("POST", v.last_url, f.encode());
    } else if (auto answered = answer_authority_page(b, v.last, who, v.authority_pages)) {
      next = std::move(*answered);
    } else {
      return v;
    }
    if (!next) return failure{next.error()};
    v.last = std::move(*next);
  }
  return failure{"the browser went round in circles; last page: " + std::to_string(v.last.status) + " " + v.last.body.substr(0, 300)};
}

} // namespace onbehalf::devauthority

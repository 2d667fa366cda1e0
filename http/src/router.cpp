#include "onbehalf/http/router.hpp"

#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"

#include <stdexcept>

namespace onbehalf::http {

namespace {

std::vector<route::segment> parse_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  std::vector<route::segment> segments;
  auto parts = text::split(pattern.substr(1), '/');
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto part = parts[i];
    if (part.starts_with('{') && part.ends_with('}')) {
      auto name = part.substr(1, part.size() - 2);
      bool rest = name.starts_with('*');
      if (rest) name.remove_prefix(1);
      if (name.empty()) throw std::invalid_argument("route parameter needs a name: " + std::string(pattern));
      if (rest && i + 1 != parts.size())
        throw std::invalid_argument("{*" + std::string(name) + "} must be the last segment: " + std::string(pattern));
      segments.push_back({std::string(name), rest ? route::segment::kind::rest : route::segment::kind::parameter});
    } else if (part.find_first_of("{}") != std::string_view::npos) {
      throw std::invalid_argument("braces must enclose a whole segment: " + std::string(pattern));
    } else {
      segments.push_back({std::string(part), route::segment::kind::literal});
    }
  }
  return segments;
}

bool matches(const route& r, const std::vector<std::string_view>& parts, std::vector<std::pair<std::string, std::string>>& params) {
  params.clear();
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const auto& seg = r.segments[i];
    if (seg.type == route::segment::kind::rest) {
      std::string rest;
      for (std::size_t j = i; j < parts.size(); ++j) rest += (j > i ? "/" : "") + std::string(parts[j]);
      auto decoded = text::percent_decode(rest);
      if (!decoded) return false;
      params.emplace_back(seg.text, std::move(*decoded));
      return true;
    }
    if (i >= parts.size()) return false;
    if (seg.type == route::segment::kind::literal) {
      if (seg.text != parts[i]) return false;
    } else {
      auto decoded = text::percent_decode(parts[i]);
      if (!decoded || decoded->empty()) return false;
      params.emplace_back(seg.text, std::move(*decoded));
    }
  }
  return parts.size() == r.segments.size();
}

} // namespace

route& router::add(std::string method, std::string pattern, handler h) {
  auto segments = parse_pattern(pattern);
  route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.handle = std::move(h);
  r.segments = std::move(segments);
  routes_.push_back(std::move(r));
  return routes_.back();
}

router::match router::find(std::string_view method, std::string_view path) const {
  match m;
  m.route_id = unmatched_id();
  if (path.empty() || path.front() != '/') return m;
  auto parts = text::split(path.substr(1), '/');
  std::vector<std::pair<std::string, std::string>> params;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& r = routes_[i];
    if (!matches(r, parts, params)) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      m.result = match::outcome::found;
      m.route_id = i;
      m.params = std::move(params);
      return m;
    }
    m.result = match::outcome::method_not_allowed;
    if (m.allow.find(r.method) == std::string::npos) m.allow += (m.allow.empty() ? "" : ", ") + r.method;
  }
  return m;
}

void router::handle_exception(const route& matched, const exchange_ptr& x, std::exception_ptr e) const {
  if (on_exception && on_exception(matched, x, e)) return;
  log_error("A request handler threw an exception; sent 500", {{"cid", x->req().correlation_id}, {"route", matched.pattern}, {"error", what_of(e)}});
  x->respond(response::error(500, "The server could not complete the request."));
}

namespace {

// The edge where a handler's exception stops: the client gets an answer, the server goes on.
void run_handler(const router& r, const route& matched, const exchange_ptr& x) {
  try {
    matched.handle(x);
  } catch (...) {
    r.handle_exception(matched, x, std::current_exception());
  }
}

} // namespace

void route_and_handle(const router& r, const exchange_ptr& x) { route_and_handle(r, x, nullptr); }

void route_and_handle(const router& r, const exchange_ptr& x, const admission& admit) {
  auto m = r.find(x->req().method, x->req().path);
  x->route_id = m.route_id;
  switch (m.result) {
  case router::match::outcome::found: {
    x->set_params(std::move(m.params));
    const auto& matched = r.routes()[m.route_id];
    if (!admit) return run_handler(r, matched, x);
    try {
      admit(matched, x, [&r, &matched, x] { run_handler(r, matched, x); });
    } catch (const std::exception& e) {
      log_error("Checking a request's sign-in failed; sent 500", {{"cid", x->req().correlation_id}, {"route", matched.pattern}, {"error", e.what()}});
      x->respond(response::error(500, "The server could not complete the request."));
    }
    return;
  }
  case router::match::outcome::method_not_allowed: {
    auto reply = response::error(405, "This address does not accept " + x->req().method + " requests; it accepts " + m.allow + ".");
    reply.headers.set("Allow", m.allow);
    x->respond(std::move(reply));
    return;
  }
  case router::match::outcome::not_found: x->respond(response::error(404, "Nothing is served at " + x->req().path + ".")); return;
  }
}

} // namespace onbehalf::http

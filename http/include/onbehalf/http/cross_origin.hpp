// Whether a request that acts with the user's cookies came from this site's own pages. Browsers say
// where a request comes from (Sec-Fetch-Site, and Origin on every POST and WebSocket handshake);
// a page of another site that posts a form here, or opens a live socket, is told apart without a
// token in every form — the check Go 1.25's CrossOriginProtection makes. A request with neither
// header is not from a browser that could be misled, and passes.
#pragma once

#include "onbehalf/http/message.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::http {

/// True for what a cross-site page must not make a user's browser do: methods other than GET,
/// HEAD and OPTIONS, and WebSocket handshakes (which the same-origin policy does not cover).
bool acts_for_user(const request& r);

/// True when `r` comes from another origin than `own_origin` ("https://app.example:8443") and from
/// none of `trusted_origins` (exact origins, as browsers send them).
bool is_cross_origin(const request& r, std::string_view own_origin, const std::vector<std::string>& trusted_origins);

/// Whether `r` may use a control meant for this machine only (a dev authority's /admin/...,
/// /metrics without a listener of its own): it comes from this machine, names this machine as its
/// host (a page that rebinds its own name to 127.0.0.1 names itself), no browser says another
/// page sent it, and no proxy says it forwarded it. Scripts, curl and a local Prometheus pass; a
/// form on any web page, even one served from another port of localhost, does not.
bool is_local_tool_request(const request& r);

} // namespace onbehalf::http

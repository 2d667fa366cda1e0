#include "onbehalf/identity/discovery.hpp"

#include "onbehalf/core/text.hpp"
#include "onbehalf/identity/json_object.hpp"

namespace onbehalf::identity {

namespace {

bool acceptable_endpoint(std::string_view url) {
  if (url.starts_with("https://")) return url.size() > 8;
  for (std::string_view loopback : {"http://127.0.0.1", "http://localhost", "http://[::1]"})
    if (url.starts_with(loopback) && (url.size() == loopback.size() || url[loopback.size()] == ':' || url[loopback.size()] == '/')) return true;
  return false;
}

// An issuer or authority URL in the parts the comparison needs: "scheme://host[:port]" in lower
// case, and the path without trailing slashes.
struct issuer_url {
  std::string origin;
  std::string host;
  std::string_view path;
};

std::optional<issuer_url> split_issuer(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  auto path_start = std::min(url.size(), url.find('/', scheme_end + 3));
  auto authority = url.substr(scheme_end + 3, path_start - scheme_end - 3);
  if (authority.empty() || url.find_first_of("?#") != std::string_view::npos) return std::nullopt;
  issuer_url out{text::to_lower(url.substr(0, path_start)), text::to_lower(authority.substr(0, authority.rfind(':'))), url.substr(path_start)};
  if (authority.starts_with('[')) out.host = text::to_lower(authority.substr(0, authority.find(']') + 1));
  while (out.path.ends_with('/')) out.path.remove_suffix(1);
  return out;
}

// "/{one segment}/v2.0": where Entra (and B2C, and the dev authority) put the tenant's id.
bool is_tenant_issuer_path(std::string_view path) {
  auto segments = text::split(path.substr(std::min<std::size_t>(1, path.size())), '/');
  return path.starts_with('/') && segments.size() == 2 && !segments[0].empty() && segments[1] == "v2.0";
}

// `expected` may hold Entra's "{tenantid}", which stands for one path segment.
bool names_issuer(std::string_view iss, std::string_view expected) {
  constexpr std::string_view placeholder = "{tenantid}";
  auto at = expected.find(placeholder);
  if (at == std::string_view::npos) return iss == expected;
  auto before = expected.substr(0, at);
  auto after = expected.substr(at + placeholder.size());
  if (iss.size() <= before.size() + after.size() || !iss.starts_with(before) || !iss.ends_with(after)) return false;
  return iss.substr(before.size(), iss.size() - before.size() - after.size()).find('/') == std::string_view::npos;
}

} // namespace

bool issuer_belongs_to_authority(std::string_view issuer, std::string_view authority) {
  auto i = split_issuer(issuer);
  auto a = split_issuer(authority);
  if (!i || !a) return false;
  if (i->origin == a->origin && i->path == a->path) return true;
  // Entra names its tenants in several ways (a domain, "common", a B2C policy path); its issuer
  // always names the tenant's id instead, on the same host, or on the tenant's own host under
  // ciamlogin.com (External ID).
  bool entra_shaped = a->path.ends_with("/v2.0") && is_tenant_issuer_path(i->path);
  if (!entra_shaped) return false;
  if (i->origin == a->origin) return true;
  constexpr std::string_view ciam = ".ciamlogin.com";
  auto tenant = text::split(i->path.substr(1), '/').front();
  return issuer.starts_with("https://") && authority.starts_with("https://") && a->host.ends_with(ciam) &&
         i->host == text::to_lower(tenant) + std::string(ciam);
}

std::optional<std::string> authorization_response_issuer_problem(const provider_metadata& m, std::optional<std::string_view> iss) {
  if (!iss) {
    if (!m.authorization_response_iss_parameter_supported) return std::nullopt;
    return "the answer does not name its issuer (iss), which this authority always does";
  }
  if (names_issuer(*iss, m.issuer)) return std::nullopt;
  return "the answer comes from issuer \"" + std::string(iss->substr(0, 200)) + "\", not from this sign-in's authority (" + m.issuer + ")";
}

std::string metadata_address(std::string_view authority) {
  std::string base(authority);
  while (base.ends_with('/')) base.pop_back();
  return base + "/.well-known/openid-configuration";
}

result<provider_metadata, std::string> parse_provider_metadata(std::string_view json) {
  auto doc = json_object::parse(json);
  if (!doc) return failure{"the discovery document " + doc.error()};
  provider_metadata m;
  struct required_member {
    std::string_view name;
    std::string* into;
    bool endpoint;
  };
  for (auto [name, into, endpoint] :
       {required_member{"issuer", &m.issuer, false}, required_member{"authorization_endpoint", &m.authorization_endpoint, true},
        required_member{"token_endpoint", &m.token_endpoint, true}, required_member{"jwks_uri", &m.jwks_uri, true}}) {
    auto value = doc->string(name);
    if (!value || value->empty())
      return failure{"the discovery document has no \"" + std::string(name) + "\"" + (doc->wrong_type(name, "string") ? " string" : "")};
    if (endpoint && !acceptable_endpoint(*value))
      return failure{"the discovery document's \"" + std::string(name) + "\" must be an https URL, not \"" + *value + "\""};
    *into = std::move(*value);
  }
  m.authorization_response_iss_parameter_supported = doc->boolean("authorization_response_iss_parameter_supported").value_or(false);
  m.end_session_endpoint = doc->string("end_session_endpoint").value_or("");
  m.userinfo_endpoint = doc->string("userinfo_endpoint").value_or("");
  m.response_modes_supported = doc->strings("response_modes_supported").value_or(std::vector<std::string>{});
  m.code_challenge_methods_supported = doc->strings("code_challenge_methods_supported").value_or(std::vector<std::string>{});
  m.token_endpoint_auth_methods_supported = doc->strings("token_endpoint_auth_methods_supported").value_or(std::vector<std::string>{});
  return m;
}

} // namespace onbehalf::identity

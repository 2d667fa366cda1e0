// Binds layered configuration to app_settings: reads each key once, validates it, records
// where every used value came from, and warns about keys nobody reads.
#include "onbehalf/config/load.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/redact.hpp"
#include "onbehalf/core/text.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace onbehalf::config {

namespace {

// AZURE_FEDERATED_TOKEN_FILE, as configuration::add_platform_variables names it.
const std::string workload_token_file_key = "Onbehalf:WorkloadIdentity:TokenFile";

constexpr std::array<std::string_view, 3> our_sections = {"AzureAd", "DownstreamApis", "Onbehalf"};

std::string environment_value(char** environment, std::string_view name) {
  for (char** variable = environment; variable && *variable; ++variable) {
    std::string_view assignment(*variable);
    if (assignment.size() > name.size() && assignment.starts_with(name) && assignment[name.size()] == '=')
      return std::string(assignment.substr(name.size() + 1));
  }
  return {};
}

std::string join(std::string_view a, std::string_view b) { return std::string(a) + ":" + std::string(b); }

std::string parent_of(std::string_view key) {
  auto colon = key.rfind(':');
  return colon == std::string_view::npos ? std::string() : std::string(key.substr(0, colon));
}

class binder {
public:
  explicit binder(const configuration& layers) : layers_(layers) {}

  load_outcome take() { return std::move(out_); }

  std::string text(const std::string& key, std::string fallback = {}) {
    query(key);
    if (auto* e = present(key)) {
      record(key, e->value, e->source.to_string());
      return e->value;
    }
    if (!fallback.empty()) record(key, fallback, "default");
    return fallback;
  }

  std::string required_text(const std::string& key, std::string_view why) {
    auto value = text(key);
    if (value.empty()) error(key, "is required: " + std::string(why));
    return value;
  }

  onbehalf::secret secret_text(const std::string& key) {
    query(key);
    auto* e = present(key);
    if (!e) return {};
    record(key, std::string(secret::mask), e->source.to_string());
    // From here on the value is masked in every log line, wherever it turns up.
    redaction::register_secret(e->value);
    return onbehalf::secret(e->value);
  }

  bool boolean(const std::string& key, bool fallback) {
    query(key);
    auto* e = present(key);
    if (!e) {
      record(key, fallback ? "true" : "false", "default");
      return fallback;
    }
    record(key, e->value, e->source.to_string());
    if (text::iequals(e->value, "true")) return true;
    if (text::iequals(e->value, "false")) return false;
    error(key, "must be true or false, not '" + e->value + "'");
    return fallback;
  }

  unsigned long long number(const std::string& key, unsigned long long fallback, unsigned long long min, unsigned long long max) {
    query(key);
    auto* e = present(key);
    if (!e) {
      record(key, std::to_string(fallback), "default");
      return fallback;
    }
    record(key, e->value, e->source.to_string());
    auto n = text::parse_unsigned(e->value);
    if (!n || *n < min || *n > max) {
      error(key, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", not '" + e->value + "'");
      return fallback;
    }
    return *n;
  }

  /// An array of strings, e.g. Scopes. A plain string where an array belongs is an error,
  /// because ASP.NET Core would silently bind it to nothing.
  std::vector<std::string> list(const std::string& key, std::string_view example) {
    query(key);
    std::vector<std::string> values;
    if (auto* e = layers_.find(key); e && !e->value.empty()) {
      error(key, "must be a JSON array, like " + std::string(example) + ", not a single string");
      return values;
    }
    for (const auto& index : layers_.children(key)) {
      auto item = join(key, index);
      if (!text::parse_unsigned(index)) {
        error(item, "is not an array element; " + key + " must be a JSON array, like " + std::string(example));
        continue;
      }
      values.push_back(text(item));
    }
    return values;
  }

  /// A key the application reads itself once bound (a route's scopes_key): known, not bound.
  void accept(const std::string& key) {
    query(key);
    for (const auto& child : layers_.children(key)) query(join(key, child));
  }

  std::map<std::string, std::string> dictionary(const std::string& key) {
    query(key);
    std::map<std::string, std::string> values;
    // Headers such as Authorization or x-api-key carry credentials: treat those values as secrets.
    for (const auto& name : layers_.children(key))
      values[name] = redaction::is_sensitive_name(name) ? secret_text(join(key, name)).reveal() : text(join(key, name));
    return values;
  }

  /// A key given, even as an empty object or null, or one with keys under it.
  bool present_or_has_children(const std::string& key) {
    query(key);
    return layers_.find(key) || !layers_.children(key).empty();
  }

  std::vector<std::string> children(const std::string& key) {
    query(key);
    return layers_.children(key);
  }

  void error(const std::string& key, std::string message) { out_.errors.push_back(make_problem(key, std::move(message))); }
  void warning(const std::string& key, std::string message) { out_.warnings.push_back(make_problem(key, std::move(message))); }

  /// Warns about keys in our sections that nothing read, suggesting the key probably meant.
  void warn_about_unread_keys() {
    std::set<std::string> reported;
    for (const auto& [lowered, e] : layers_.entries()) {
      auto segments = text::split(e.key, ':');
      std::string prefix;
      for (std::size_t i = 0; i < segments.size(); ++i) {
        std::string next = prefix.empty() ? std::string(segments[i]) : join(prefix, segments[i]);
        if (!asked_for(text::to_lower(next))) {
          if (reported.insert(text::to_lower(next)).second) warn_unknown(next, e, i == 0);
          break;
        }
        prefix = std::move(next);
      }
    }
  }

private:
  const entry* present(const std::string& key) const {
    auto* e = layers_.find(key);
    return e && !e->value.empty() ? e : nullptr;
  }

  void query(const std::string& key) { original_.try_emplace(text::to_lower(key), key); }

  // Whether the binder asked for the key `lowered`, or for one under it.
  bool asked_for(const std::string& lowered) const {
    if (original_.contains(lowered)) return true;
    auto section = lowered + ":";
    auto first_under = original_.lower_bound(section);
    return first_under != original_.end() && first_under->first.starts_with(section);
  }

  void record(const std::string& key, std::string shown, std::string origin) { out_.effective.push_back({key, std::move(shown), std::move(origin)}); }

  problem make_problem(const std::string& key, std::string message) const {
    auto* e = layers_.find(key);
    return problem{key, e ? e->source : source_location{}, std::move(message)};
  }

  void warn_unknown(const std::string& key, const entry& e, bool top_level) {
    std::vector<std::string_view> candidates;
    if (top_level) {
      candidates.assign(our_sections.begin(), our_sections.end());
      auto guess = text::closest_match(key, candidates);
      if (!guess) return; // another section of the application's own, not ours to judge
      out_.warnings.push_back({key, e.source, "unknown section; did you mean " + *guess + "?"});
      return;
    }
    // The keys asked for under the same parent sort together, after the parent's own.
    auto under_parent = text::to_lower(parent_of(key)) + ":";
    for (auto it = original_.lower_bound(under_parent); it != original_.end() && it->first.starts_with(under_parent); ++it)
      if (it->first.find(':', under_parent.size()) == std::string::npos)
        candidates.push_back(std::string_view(it->second).substr(under_parent.size()));
    auto guess = text::closest_match(key.substr(key.rfind(':') + 1), candidates);
    out_.warnings.push_back({key, e.source, guess ? "unknown key, ignored; did you mean " + *guess + "?" : "unknown key, ignored"});
  }

  const configuration& layers_;
  std::map<std::string, std::string> original_; // lowered key: the key as the binder asked for it
  load_outcome out_;
};

bool is_loopback_host(std::string_view host) { return host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host.starts_with("127."); }

/// Checks an absolute URL; plain http only for loopback hosts, where the dev authority runs.
void check_url(binder& b, const std::string& key, const std::string& url, bool allow_plain_http_on_loopback) {
  if (url.empty()) return;
  auto scheme_end = url.find("://");
  auto scheme = scheme_end == std::string::npos ? std::string() : text::to_lower(url.substr(0, scheme_end));
  auto rest = scheme_end == std::string::npos ? std::string_view() : std::string_view(url).substr(scheme_end + 3);
  auto host = rest.substr(0, rest.find_first_of(":/?#"));
  if ((scheme != "https" && scheme != "http") || host.empty()) {
    b.error(key, "must be an absolute URL such as https://login.microsoftonline.com/, not '" + url + "'");
  } else if (scheme == "http" && !(allow_plain_http_on_loopback && is_loopback_host(host))) {
    b.error(key, "must use https:// (plain http is allowed only for localhost), not '" + url + "'");
  }
}

void check_path(binder& b, const std::string& key, const std::string& path) {
  if (!path.empty() && path.front() != '/') b.error(key, "must be a path starting with '/', not '" + path + "'");
}

void check_readable_file(binder& b, const std::string& key, const std::string& path) {
  if (!path.empty() && !std::ifstream(path)) b.error(key, "cannot read the file '" + path + "' (does it exist?)");
}

// A lone credential's file must be readable at start; in a chain, one that is not is passed over.
void check_credential_file(binder& b, const std::string& key, const std::string& path, bool lone) {
  if (lone) return check_readable_file(b, key, path);
  if (!path.empty() && !std::ifstream(path)) b.warning(key, "cannot read the file '" + path + "'; the next credential will be used");
}

std::vector<client_credential> bind_credentials(binder& b) {
  std::vector<client_credential> credentials;
  const std::string section = "AzureAd:ClientCredentials";
  // A chain of credentials passes over one that cannot be loaded (the next is tried at start);
  // a file that cannot be read is then a warning, and an error only for a lone credential.
  auto indexes = b.children(section);
  auto workload_token_file = b.text(workload_token_file_key);
  for (const auto& index : indexes) {
    auto key = join(section, index);
    client_credential c;
    auto type =
        b.required_text(join(key, "SourceType"), "ClientSecret, Path, Base64Encoded, SignedAssertionFilePath or SignedAssertionFromManagedIdentity");
    if (text::iequals(type, "ClientSecret")) {
      c.type = client_credential::source_type::client_secret;
      c.client_secret = b.secret_text(join(key, "ClientSecret"));
      if (c.client_secret.empty()) b.error(join(key, "ClientSecret"), "is required when SourceType is ClientSecret");
    } else if (text::iequals(type, "Path")) {
      c.type = client_credential::source_type::path;
      c.certificate_disk_path = b.required_text(join(key, "CertificateDiskPath"), "the certificate file (PEM or .pfx)");
      check_credential_file(b, join(key, "CertificateDiskPath"), c.certificate_disk_path, indexes.size() == 1);
      c.certificate_password = b.secret_text(join(key, "CertificatePassword"));
    } else if (text::iequals(type, "Base64Encoded")) {
      c.type = client_credential::source_type::base64_encoded;
      c.certificate_base64_value = b.secret_text(join(key, "Base64EncodedValue"));
      if (c.certificate_base64_value.empty()) b.error(join(key, "Base64EncodedValue"), "is required when SourceType is Base64Encoded");
      c.certificate_password = b.secret_text(join(key, "CertificatePassword"));
    } else if (text::iequals(type, "SignedAssertionFilePath")) {
      c.type = client_credential::source_type::signed_assertion_file_path;
      c.signed_assertion_file_path = b.text(join(key, "SignedAssertionFileDiskPath"), workload_token_file);
      if (c.signed_assertion_file_path.empty())
        b.error(join(key, "SignedAssertionFileDiskPath"),
                "is required when SourceType is SignedAssertionFilePath and AZURE_FEDERATED_TOKEN_FILE is not set");
      check_credential_file(b, join(key, "SignedAssertionFileDiskPath"), c.signed_assertion_file_path, indexes.size() == 1);
    } else if (text::iequals(type, "SignedAssertionFromManagedIdentity")) {
      c.type = client_credential::source_type::signed_assertion_from_managed_identity;
      c.managed_identity_client_id = b.text(join(key, "ManagedIdentityClientId"));
      c.token_exchange_url = b.text(join(key, "TokenExchangeUrl"), c.token_exchange_url);
    } else if (!type.empty()) {
      b.error(join(key, "SourceType"),
              "'" + type +
                  "' is not supported; use ClientSecret, Path, Base64Encoded, SignedAssertionFilePath or SignedAssertionFromManagedIdentity");
    }
    credentials.push_back(std::move(c));
  }
  // AzureAd:ClientSecret, the older single-secret form, still works.
  if (auto legacy = b.secret_text("AzureAd:ClientSecret"); !legacy.empty())
    credentials.push_back({client_credential::source_type::client_secret, legacy, {}, {}, {}});
  return credentials;
}

azure_ad_options bind_azure_ad(binder& b) {
  azure_ad_options o;
  o.instance = b.text("AzureAd:Instance");
  o.tenant_id = b.text("AzureAd:TenantId");
  o.authority = b.text("AzureAd:Authority");
  o.client_id = b.required_text("AzureAd:ClientId", "the application (client) id registered with the authority");
  o.domain = b.text("AzureAd:Domain");
  o.callback_path = b.text("AzureAd:CallbackPath", o.callback_path);
  o.signed_out_callback_path = b.text("AzureAd:SignedOutCallbackPath", o.signed_out_callback_path);
  o.sign_up_sign_in_policy_id = b.text("AzureAd:SignUpSignInPolicyId");
  o.edit_profile_policy_id = b.text("AzureAd:EditProfilePolicyId");
  o.reset_password_policy_id = b.text("AzureAd:ResetPasswordPolicyId");
  o.client_credentials = bind_credentials(b);
  o.audience = b.text("AzureAd:Audience");
  // MIW's web API samples keep the scopes their routes require here; routes read it themselves
  // (a token requirement's scopes_key), after binding.
  b.accept("AzureAd:Scopes");
  o.allowed_tenants = b.list("AzureAd:AllowedTenants", "[\"72f988bf-86f1-41af-91ab-2d7cd011db47\"]");
  o.allow_web_api_to_be_authorized_by_acl = b.boolean("AzureAd:AllowWebApiToBeAuthorizedByACL", false);
  o.on_behalf_of_grant = b.text("AzureAd:OnBehalfOfGrant", o.on_behalf_of_grant);
  o.client_capabilities = b.list("AzureAd:ClientCapabilities", "[\"cp1\"]");
  auto is_name = [](const std::string& c) {
    return !c.empty() && std::all_of(c.begin(), c.end(), [](unsigned char ch) { return std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.'; });
  };
  for (const auto& c : o.client_capabilities)
    if (!is_name(c)) b.error("AzureAd:ClientCapabilities", "'" + c + "' is not a capability name; Entra knows \"cp1\"");
  // As Cache:Backend and SignIn:ResponseMode, in any case; kept in the spelling the code compares.
  for (const char* grant : {"JwtBearer", "TokenExchange"})
    if (text::iequals(o.on_behalf_of_grant, grant)) o.on_behalf_of_grant = grant;
  if (o.on_behalf_of_grant != "JwtBearer" && o.on_behalf_of_grant != "TokenExchange")
    b.error("AzureAd:OnBehalfOfGrant", "'" + o.on_behalf_of_grant + "' is not supported; use JwtBearer (Entra) or TokenExchange (RFC 8693)");

  if (o.instance.empty() && o.authority.empty()) {
    b.error("AzureAd:Instance", "is required (with AzureAd:TenantId), or set AzureAd:Authority to the issuer URL of any OpenID provider");
  } else if (!o.instance.empty() && o.tenant_id.empty() && o.sign_up_sign_in_policy_id.empty()) {
    b.error("AzureAd:TenantId", "is required with AzureAd:Instance: a tenant id, a domain, 'common' or 'organizations'");
  }
  if (!o.instance.empty() && !o.authority.empty()) b.warning("AzureAd:Authority", "is ignored because AzureAd:Instance and AzureAd:TenantId are set");
  check_url(b, "AzureAd:Instance", o.instance, true);
  check_url(b, "AzureAd:Authority", o.authority, true);
  check_path(b, "AzureAd:CallbackPath", o.callback_path);
  check_path(b, "AzureAd:SignedOutCallbackPath", o.signed_out_callback_path);
  return o;
}

acquire_token_options bind_token_options(binder& b, const std::string& section) {
  acquire_token_options o;
  o.tenant = b.text(join(section, "Tenant"));
  o.user_flow = b.text(join(section, "UserFlow"));
  o.claims = b.text(join(section, "Claims"));
  o.correlation_id = b.text(join(section, "CorrelationId"));
  o.authentication_options_name = b.text(join(section, "AuthenticationOptionsName"));
  // MIW picks the options of a named authentication scheme; an onbehalf host has one, the
  // AzureAd section's OpenID Connect scheme, so any other name would silently mean nothing.
  if (!o.authentication_options_name.empty() && !text::iequals(o.authentication_options_name, "OpenIdConnect") &&
      !text::iequals(o.authentication_options_name, "AzureAd"))
    b.error(join(section, "AuthenticationOptionsName"), "names an authentication scheme this app does not have ('" + o.authentication_options_name +
                                                            "'); the one scheme is 'OpenIdConnect', configured by the AzureAd section");
  o.force_refresh = b.boolean(join(section, "ForceRefresh"), false);
  o.extra_query_parameters = b.dictionary(join(section, "ExtraQueryParameters"));
  if (auto identity = join(section, "ManagedIdentity"); b.present_or_has_children(identity))
    o.managed_identity = b.text(join(identity, "UserAssignedClientId"));
  return o;
}

managed_identity_options bind_managed_identity(binder& b) {
  managed_identity_options o;
  o.imds_endpoint = b.text("Onbehalf:ManagedIdentity:ImdsEndpoint", o.imds_endpoint);
  o.identity_endpoint = b.text("Onbehalf:ManagedIdentity:IdentityEndpoint");
  o.identity_header = b.secret_text("Onbehalf:ManagedIdentity:IdentityHeader");
  if (!o.identity_endpoint.empty() && o.identity_header.empty())
    b.error("Onbehalf:ManagedIdentity:IdentityHeader",
            "is required with IdentityEndpoint (App Service sets IDENTITY_HEADER beside IDENTITY_ENDPOINT)");
  return o;
}

// `entra`: the authority is Entra ID (Instance + TenantId), whose app tokens are asked for with a
// resource's ".default" scope; other providers name the scope their own way.
std::vector<downstream_api_options> bind_downstream_apis(binder& b, bool entra) {
  std::vector<downstream_api_options> apis;
  constexpr std::array<std::string_view, 7> methods = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
  for (const auto& name : b.children("DownstreamApis")) {
    auto key = join("DownstreamApis", name);
    downstream_api_options api;
    api.name = name;
    api.base_url = b.required_text(join(key, "BaseUrl"), "the API's address, e.g. https://graph.microsoft.com/v1.0");
    check_url(b, join(key, "BaseUrl"), api.base_url, true);
    api.relative_path = b.text(join(key, "RelativePath"));
    api.http_method = text::to_lower(b.text(join(key, "HttpMethod"), api.http_method));
    for (auto& c : api.http_method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (std::find(methods.begin(), methods.end(), api.http_method) == methods.end())
      b.error(join(key, "HttpMethod"), "must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, not '" + api.http_method + "'");
    api.scopes = b.list(join(key, "Scopes"), "[\"user.read\"]");
    api.request_app_token = b.boolean(join(key, "RequestAppToken"), false);
    if (api.scopes.empty()) {
      b.error(join(key, "Scopes"),
              api.request_app_token ? "needs the app scope, like [\"api://my-api-id/.default\"]" : "needs at least one scope, like [\"user.read\"]");
    } else if (api.request_app_token && entra && !(api.scopes.size() == 1 && api.scopes[0].ends_with("/.default"))) {
      b.error(join(key, "Scopes"), "must be one scope ending in /.default when RequestAppToken is true, like [\"api://my-api-id/.default\"]");
    } else if (api.request_app_token && api.scopes.size() != 1) {
      b.error(join(key, "Scopes"), "must be one scope when RequestAppToken is true: the scope the provider grants apps for this API");
    }
    api.accept_header = b.text(join(key, "AcceptHeader"), api.accept_header);
    api.content_type = b.text(join(key, "ContentType"), api.content_type);
    api.protocol_scheme = b.text(join(key, "ProtocolScheme"), api.protocol_scheme);
    api.extra_header_parameters = b.dictionary(join(key, "ExtraHeaderParameters"));
    api.extra_query_parameters = b.dictionary(join(key, "ExtraQueryParameters"));
    for (auto& [k, v] : b.dictionary(join(key, "QueryParameters"))) api.extra_query_parameters[k] = v;
    api.token_options = bind_token_options(b, join(key, "AcquireTokenOptions"));
    if (auto timeout = b.number(join(key, "TimeoutSeconds"), 0, 0, 3600); timeout > 0) api.timeout = std::chrono::seconds(timeout);
    api.max_retries = static_cast<unsigned>(b.number(join(key, "MaxRetries"), api.max_retries, 0, 10));
    api.max_retry_delay = std::chrono::seconds(b.number(join(key, "MaxRetryDelaySeconds"), 2, 0, 60));
    apis.push_back(std::move(api));
  }
  return apis;
}

std::chrono::seconds seconds(binder& b, const std::string& key, std::chrono::seconds fallback) {
  return std::chrono::seconds(b.number(key, static_cast<unsigned long long>(fallback.count()), 1, 86400));
}

std::vector<cache_key> bind_keys(binder& b, const std::string& section) {
  std::vector<cache_key> keys;
  std::set<std::string> ids;
  for (const auto& index : b.children(section)) {
    auto key = join(section, index);
    cache_key k;
    k.id = b.required_text(join(key, "Id"), "a short name for the key, so it can be rotated");
    k.key = b.secret_text(join(key, "Key"));
    auto bytes = base64::decode(k.key.reveal());
    if (!bytes || bytes->size() != 32) b.error(join(key, "Key"), "must be 32 random bytes in base64; make one with `onbehalf generate-key`");
    if (!k.id.empty() && !ids.insert(k.id).second) b.error(join(key, "Id"), "'" + k.id + "' is used by two keys");
    if (k.id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
      b.error(join(key, "Id"), "'" + k.id + "' may only hold letters, digits, '-' and '_' (it is stored with every encrypted value)");
    keys.push_back(std::move(k));
  }
  return keys;
}

sign_in_options bind_sign_in(binder& b) {
  sign_in_options o;
  o.initial_scopes = b.list("Onbehalf:SignIn:InitialScopes", "[\"api://my-api/access_as_user\"]");
  o.sign_out_path = b.text("Onbehalf:SignIn:SignOutPath");
  if (!o.sign_out_path.empty()) check_path(b, "Onbehalf:SignIn:SignOutPath", o.sign_out_path);
  auto mode = b.text("Onbehalf:SignIn:ResponseMode", "FormPost");
  if (text::iequals(mode, "Query")) {
    o.form_post = false;
  } else if (!text::iequals(mode, "FormPost")) {
    b.error("Onbehalf:SignIn:ResponseMode", "must be FormPost or Query, not '" + mode + "'");
  }
  o.idle_timeout = std::chrono::minutes(
      b.number("Onbehalf:SignIn:IdleTimeoutMinutes", static_cast<unsigned long long>(o.idle_timeout.count()), 1, 60ull * 24 * 366));
  o.absolute_lifetime = std::chrono::hours(
      b.number("Onbehalf:SignIn:AbsoluteLifetimeHours", static_cast<unsigned long long>(o.absolute_lifetime.count()), 1, 24ull * 366));
  o.cookie_keys = bind_keys(b, "Onbehalf:SignIn:CookieEncryptionKeys");
  o.correlation_lifetime = std::chrono::seconds(b.number("Onbehalf:SignIn:CorrelationLifetimeSeconds", 900, 1, 3600));
  o.prompt = b.text("Onbehalf:SignIn:Prompt");
  if (!o.prompt.empty() && o.prompt != "none" && o.prompt != "login" && o.prompt != "consent" && o.prompt != "select_account")
    b.error("Onbehalf:SignIn:Prompt", "must be none, login, consent or select_account, not '" + o.prompt + "'");
  o.revalidation_interval = std::chrono::seconds(b.number("Onbehalf:SignIn:RevalidationIntervalSeconds", 30, 1, 3600));
  o.trusted_origins = b.list("Onbehalf:SignIn:TrustedOrigins", "[\"https://portal.example\"]");
  for (const auto& origin : o.trusted_origins)
    if (!(origin.starts_with("https://") || origin.starts_with("http://")) || origin.find('/', origin.find("//") + 2) != std::string::npos)
      b.error("Onbehalf:SignIn:TrustedOrigins", "holds '" + origin + "', which is not an origin: scheme://host[:port], without a path");
  return o;
}

redis_options bind_redis(binder& b) {
  redis_options o;
  o.host = b.text("Onbehalf:Redis:Host", o.host);
  o.port = static_cast<std::uint16_t>(b.number("Onbehalf:Redis:Port", o.port, 1, 65535));
  o.cluster = b.boolean("Onbehalf:Redis:Cluster", false);
  o.user = b.text("Onbehalf:Redis:User");
  o.password = b.secret_text("Onbehalf:Redis:Password");
  if (!o.user.empty() && o.password.empty())
    b.error("Onbehalf:Redis:Password", "is required with Onbehalf:Redis:User: Redis signs an ACL user in with its password");
  o.database = static_cast<unsigned>(b.number("Onbehalf:Redis:Database", 0, 0, 1'000'000));
  if (o.cluster && o.database != 0) b.error("Onbehalf:Redis:Database", "must be 0 with Onbehalf:Redis:Cluster: a Redis Cluster has only database 0");
  o.key_prefix = b.text("Onbehalf:Redis:KeyPrefix", o.key_prefix);
  if (o.key_prefix.find_first_of("{} \t\r\n") != std::string::npos)
    b.error("Onbehalf:Redis:KeyPrefix",
            "must not hold braces or spaces (braces would change where Redis Cluster puts the keys), not '" + o.key_prefix + "'");
  auto& t = o.tls;
  t.enabled = b.boolean("Onbehalf:Redis:Tls:Enabled", false);
  t.ca_bundle_path = b.text("Onbehalf:Redis:Tls:CaBundlePath");
  t.server_name = b.text("Onbehalf:Redis:Tls:ServerName");
  t.client_certificate_path = b.text("Onbehalf:Redis:Tls:ClientCertificatePath");
  t.client_key_path = b.text("Onbehalf:Redis:Tls:ClientKeyPath");
  check_readable_file(b, "Onbehalf:Redis:Tls:CaBundlePath", t.ca_bundle_path);
  check_readable_file(b, "Onbehalf:Redis:Tls:ClientCertificatePath", t.client_certificate_path);
  check_readable_file(b, "Onbehalf:Redis:Tls:ClientKeyPath", t.client_key_path);
  if (t.client_certificate_path.empty() != t.client_key_path.empty())
    b.error(t.client_key_path.empty() ? "Onbehalf:Redis:Tls:ClientKeyPath" : "Onbehalf:Redis:Tls:ClientCertificatePath",
            "a client certificate needs both Onbehalf:Redis:Tls:ClientCertificatePath and Onbehalf:Redis:Tls:ClientKeyPath");
  if (!t.enabled && (!t.ca_bundle_path.empty() || !t.client_certificate_path.empty()))
    b.error("Onbehalf:Redis:Tls:Enabled", "must be true when TLS files are configured for Redis");
  o.connect_timeout = std::chrono::milliseconds(b.number("Onbehalf:Redis:ConnectTimeoutMilliseconds", 1000, 50, 60'000));
  o.command_timeout = std::chrono::milliseconds(b.number("Onbehalf:Redis:CommandTimeoutMilliseconds", 500, 10, 60'000));
  o.connections = static_cast<unsigned>(b.number("Onbehalf:Redis:Connections", 2, 1, 64));
  o.lease_time = std::chrono::seconds(b.number("Onbehalf:Redis:LeaseSeconds", 15, 2, 600));
  return o;
}

std::string listen_address(binder& b, const std::string& key, const std::string& fallback) {
  auto address = b.text(key, fallback);
  in6_addr scratch{};
  if (inet_pton(AF_INET, address.c_str(), &scratch) != 1 && inet_pton(AF_INET6, address.c_str(), &scratch) != 1)
    b.error(key, "must be an IP address such as 127.0.0.1 or ::1, not '" + address + "'");
  return address;
}

host_options bind_host(binder& b) {
  host_options o;
  o.listen_address = listen_address(b, "Onbehalf:ListenAddress", o.listen_address);
  o.port = static_cast<std::uint16_t>(b.number("Onbehalf:Port", o.port, 0, 65535));
  auto& m = o.metrics;
  m.own_listener = !b.text("Onbehalf:Metrics:Port").empty();
  m.port = static_cast<std::uint16_t>(b.number("Onbehalf:Metrics:Port", m.port, 0, 65535));
  m.listen_address = listen_address(b, "Onbehalf:Metrics:ListenAddress", m.listen_address);
  if (m.own_listener && m.port != 0 && m.port == o.port && m.listen_address == o.listen_address)
    b.error("Onbehalf:Metrics:Port", "must differ from Onbehalf:Port: metrics get a listener of their own");
  o.tls.certificate_path = b.text("Onbehalf:Tls:CertificatePath");
  o.tls.key_path = b.text("Onbehalf:Tls:KeyPath");
  if (o.tls.certificate_path.empty() != o.tls.key_path.empty())
    b.error(o.tls.key_path.empty() ? "Onbehalf:Tls:KeyPath" : "Onbehalf:Tls:CertificatePath",
            "TLS needs both Onbehalf:Tls:CertificatePath and Onbehalf:Tls:KeyPath");
  check_readable_file(b, "Onbehalf:Tls:CertificatePath", o.tls.certificate_path);
  check_readable_file(b, "Onbehalf:Tls:KeyPath", o.tls.key_path);
  auto cores = std::max(1u, std::thread::hardware_concurrency());
  o.io_threads = static_cast<unsigned>(b.number("Onbehalf:IoThreads", cores, 1, 256));
  o.actor_threads = static_cast<unsigned>(b.number("Onbehalf:ActorThreads", cores, 1, 256));

  auto& l = o.limits;
  l.max_request_header_bytes =
      static_cast<std::uint32_t>(b.number("Onbehalf:Limits:MaxRequestHeaderBytes", l.max_request_header_bytes, 1024, 1 << 20));
  l.max_request_body_bytes = b.number("Onbehalf:Limits:MaxRequestBodyBytes", l.max_request_body_bytes, 0, 1ull << 32);
  l.request_headers_timeout = seconds(b, "Onbehalf:Limits:RequestHeadersTimeoutSeconds", l.request_headers_timeout);
  l.keep_alive_timeout = seconds(b, "Onbehalf:Limits:KeepAliveTimeoutSeconds", l.keep_alive_timeout);
  l.shutdown_timeout = seconds(b, "Onbehalf:Limits:ShutdownTimeoutSeconds", l.shutdown_timeout);
  l.max_connections = b.number("Onbehalf:Limits:MaxConnections", l.max_connections, 1, 1'000'000);
  l.max_websocket_message_bytes = b.number("Onbehalf:Limits:MaxWebSocketMessageBytes", l.max_websocket_message_bytes, 125, 16 << 20);
  l.max_websocket_backlog_bytes = b.number("Onbehalf:Limits:MaxWebSocketBacklogBytes", l.max_websocket_backlog_bytes, 4096, 1ull << 30);

  auto& c = o.cache;
  auto backend = b.text("Onbehalf:Cache:Backend", "RocksDb");
  if (text::iequals(backend, "Memory")) {
    c.backend = cache_options::backend_type::memory;
  } else if (text::iequals(backend, "RocksDb")) {
    c.backend = cache_options::backend_type::rocksdb;
  } else if (text::iequals(backend, "Redis")) {
    c.backend = cache_options::backend_type::redis;
  } else {
    b.error("Onbehalf:Cache:Backend", "must be Memory, RocksDb or Redis, not '" + backend + "'");
  }
  c.path = b.text("Onbehalf:Cache:Path", c.path);
  c.memory_limit_bytes = b.number("Onbehalf:Cache:MemoryLimitBytes", c.memory_limit_bytes, 1 << 20, 1ull << 40);
  c.encryption_keys = bind_keys(b, "Onbehalf:Cache:EncryptionKeys");
  if (c.backend != cache_options::backend_type::memory && c.encryption_keys.empty())
    b.error("Onbehalf:Cache:EncryptionKeys",
            "a persistent cache encrypts tokens at rest and needs a key: add [{\"Id\": \"k1\", \"Key\": \"<base64>\"}] "
            "(make one with `onbehalf generate-key`), or set Onbehalf:Cache:Backend to Memory");

  o.token_refresh_margin = seconds(b, "Onbehalf:TokenRefreshMarginSeconds", o.token_refresh_margin);
  o.ca_bundle_path = b.text("Onbehalf:CaBundlePath");
  check_readable_file(b, "Onbehalf:CaBundlePath", o.ca_bundle_path);
  o.proxy.address = b.secret_text("Onbehalf:Proxy:Address").reveal(); // it may carry a password: shown masked
  if (!o.proxy.address.empty() && o.proxy.address.find("://") != std::string::npos &&
      !text::iequals(std::string_view(o.proxy.address).substr(0, 7), "http://"))
    b.error("Onbehalf:Proxy:Address", "must be an http:// proxy address, like http://proxy.internal:3128");
  // NO_PROXY arrives as one comma-separated string; in a file, Bypass is a list.
  if (auto bypass = b.text("Onbehalf:Proxy:Bypass"); !bypass.empty()) {
    for (auto host : text::split(bypass, ','))
      if (!text::trim(host).empty()) o.proxy.bypass.emplace_back(text::trim(host));
  } else {
    o.proxy.bypass = b.list("Onbehalf:Proxy:Bypass", "[\"localhost\", \".internal.example\"]");
  }

  o.redis = bind_redis(b);

  o.sign_in = bind_sign_in(b);
  o.known_proxies = b.list("Onbehalf:ForwardedHeaders:KnownProxies", "[\"10.0.0.5\"]");
  for (const auto& proxy : o.known_proxies) {
    in6_addr address{};
    if (inet_pton(AF_INET, proxy.c_str(), &address) != 1 && inet_pton(AF_INET6, proxy.c_str(), &address) != 1)
      b.error("Onbehalf:ForwardedHeaders:KnownProxies", "'" + proxy + "' is not an IP address; list the proxies' addresses, like [\"10.0.0.5\"]");
  }

  o.log_level = b.text("Onbehalf:LogLevel", o.log_level);
  if (!parse_log_level(o.log_level)) b.error("Onbehalf:LogLevel", "must be trace, debug, info, warning, error or off, not '" + o.log_level + "'");
  return o;
}

} // namespace

load_outcome bind_settings(const configuration& layers) {
  binder b(layers);
  app_settings s;
  for (const auto& [lower, e] : layers.entries()) s.values[lower] = e.value;
  s.azure_ad = bind_azure_ad(b);
  s.downstream_apis = bind_downstream_apis(b, !s.azure_ad.instance.empty());
  bool needs_app_credential = std::any_of(s.downstream_apis.begin(), s.downstream_apis.end(),
                                          [](const downstream_api_options& api) { return !api.token_options.managed_identity; });
  if (needs_app_credential && s.azure_ad.client_credentials.empty())
    b.error("AzureAd:ClientCredentials",
            "calling downstream APIs needs a client credential: add [{\"SourceType\": \"ClientSecret\", \"ClientSecret\": \"...\"}] "
            "or a certificate");
  s.host = bind_host(b);
  s.managed_identity = bind_managed_identity(b);
  b.warn_about_unread_keys();
  auto outcome = b.take();
  if (outcome.errors.empty()) outcome.settings = std::move(s);
  return outcome;
}

result<app_settings, std::string> settings_from_file(const std::string& path, char** environment) {
  auto outcome = load_settings(path, environment);
  for (const auto& w : outcome.warnings) log_warning("Configuration: " + w.to_string());
  if (outcome.settings) return std::move(*outcome.settings);
  std::string all;
  for (const auto& e : outcome.errors) all += (all.empty() ? "error: " : "\nerror: ") + e.to_string();
  return failure{all};
}

load_outcome load_settings(const std::string& path, char** environment) {
  configuration layers;
  load_outcome failed;
  if (auto r = layers.add_json_file(path, false); !r) {
    failed.errors.push_back(r.error());
    return failed;
  }
  if (auto name = environment_value(environment, environment_variable); !name.empty()) {
    auto dot = path.rfind('.');
    auto slash = path.rfind('/');
    bool has_extension = dot != std::string::npos && (slash == std::string::npos || dot > slash);
    auto specific = has_extension ? path.substr(0, dot) + "." + name + path.substr(dot) : path + "." + name;
    failed.effective.push_back({environment_variable, name, "environment variable " + std::string(environment_variable)});
    if (auto r = layers.add_json_file(specific, true); !r) {
      failed.errors.push_back(r.error());
      return failed;
    }
  }
  layers.add_platform_variables(environment);
  layers.add_environment(environment);
  auto outcome = bind_settings(layers);
  outcome.effective.insert(outcome.effective.begin(), failed.effective.begin(), failed.effective.end());
  return outcome;
}

} // namespace onbehalf::config

#include "onbehalf/identity/token_response.hpp"

#include "onbehalf/core/text.hpp"
#include "onbehalf/core/untrusted_time.hpp"
#include "onbehalf/identity/json_object.hpp"

#include <algorithm>
#include <array>

namespace onbehalf::identity {

namespace {

// The one table that turns Entra's AADSTS codes into what the app should do.
struct aadsts_rule {
  long code;
  failure_kind kind;
  interaction_reason reason;
  std::string_view config_key;
};

constexpr std::array<aadsts_rule, 13> aadsts_rules = {{
    {65001, failure_kind::interaction_required, interaction_reason::consent_required, {}},
    {50076, failure_kind::interaction_required, interaction_reason::mfa_required, {}},
    {50079, failure_kind::interaction_required, interaction_reason::mfa_required, {}},
    {700082, failure_kind::interaction_required, interaction_reason::refresh_token_expired, {}},
    {700084, failure_kind::interaction_required, interaction_reason::refresh_token_expired, {}},
    {50173, failure_kind::interaction_required, interaction_reason::refresh_token_expired, {}},
    {70008, failure_kind::interaction_required, interaction_reason::login_required, {}},
    {7000215, failure_kind::configuration_error, interaction_reason::none, "AzureAd:ClientCredentials"},
    {7000222, failure_kind::configuration_error, interaction_reason::none, "AzureAd:ClientCredentials"},
    {700027, failure_kind::configuration_error, interaction_reason::none, "AzureAd:ClientCredentials"},
    {700016, failure_kind::configuration_error, interaction_reason::none, "AzureAd:ClientId"},
    {90002, failure_kind::configuration_error, interaction_reason::none, "AzureAd:TenantId"},
    {50011, failure_kind::configuration_error, interaction_reason::none, "AzureAd:CallbackPath"},
}};

// OAuth 2.0 / OpenID Connect error codes, for any provider.
struct oauth_rule {
  std::string_view error;
  failure_kind kind;
  interaction_reason reason;
  std::string_view config_key;
};

constexpr std::array<oauth_rule, 9> oauth_rules = {{
    {"consent_required", failure_kind::interaction_required, interaction_reason::consent_required, {}},
    {"login_required", failure_kind::interaction_required, interaction_reason::login_required, {}},
    {"interaction_required", failure_kind::interaction_required, interaction_reason::login_required, {}},
    {"invalid_grant", failure_kind::interaction_required, interaction_reason::login_required, {}},
    {"invalid_client", failure_kind::configuration_error, interaction_reason::none, "AzureAd:ClientCredentials"},
    {"unauthorized_client", failure_kind::configuration_error, interaction_reason::none, "AzureAd:ClientId"},
    {"invalid_scope", failure_kind::configuration_error, interaction_reason::none, "DownstreamApis:{name}:Scopes"},
    {"unsupported_grant_type", failure_kind::configuration_error, interaction_reason::none, "AzureAd:ClientId"},
    {"temporarily_unavailable", failure_kind::service_error, interaction_reason::none, {}},
}};

// Entra puts codes in error_codes; older replies only in the text ("AADSTS65001: ...").
std::vector<long> codes_in(const json_object& doc, const std::string& description) {
  if (auto codes = doc.integers("error_codes")) return {codes->begin(), codes->end()};
  std::vector<long> found;
  for (auto at = description.find("AADSTS"); at != std::string::npos; at = description.find("AADSTS", at + 6)) {
    auto digits = description.substr(at + 6, description.find_first_not_of("0123456789", at + 6) - at - 6);
    if (auto n = text::parse_unsigned(digits)) found.push_back(static_cast<long>(*n));
  }
  return found;
}

void classify(token_failure& f) {
  for (const auto& rule : aadsts_rules) {
    if (f.has_code(rule.code)) {
      f.kind = rule.kind;
      f.reason = rule.reason;
      f.config_key = std::string(rule.config_key);
      return;
    }
  }
  for (const auto& rule : oauth_rules) {
    if (f.error == rule.error) {
      f.kind = rule.kind;
      f.reason = rule.reason;
      f.config_key = std::string(rule.config_key);
      if (f.kind == failure_kind::interaction_required && !f.claims.empty()) f.reason = interaction_reason::claims_challenge;
      return;
    }
  }
  f.kind = f.http_status >= 500 || f.http_status == 429 ? failure_kind::service_error : failure_kind::invalid_response;
}

} // namespace

bool token_failure::has_code(long aadsts) const { return std::find(error_codes.begin(), error_codes.end(), aadsts) != error_codes.end(); }

std::string_view to_string(failure_kind k) {
  switch (k) {
  case failure_kind::interaction_required: return "interaction_required";
  case failure_kind::configuration_error: return "configuration_error";
  case failure_kind::service_error: return "service_error";
  case failure_kind::network_error: return "network_error";
  case failure_kind::invalid_response: return "invalid_response";
  }
  return "unknown";
}

std::string_view to_string(interaction_reason r) {
  switch (r) {
  case interaction_reason::none: return "none";
  case interaction_reason::consent_required: return "consent_required";
  case interaction_reason::mfa_required: return "mfa_required";
  case interaction_reason::refresh_token_expired: return "refresh_token_expired";
  case interaction_reason::login_required: return "login_required";
  case interaction_reason::claims_challenge: return "claims_challenge";
  }
  return "unknown";
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view header) {
  auto seconds = text::parse_unsigned(text::trim(header));
  if (!seconds) return std::nullopt; // an HTTP date is rare from authorities; treated as "no hint"
  return std::chrono::seconds(static_cast<long long>(std::min<unsigned long long>(*seconds, 86400)));
}

std::string token_failure::message() const {
  std::string detail = error.empty() ? std::string() : " (" + error + (description.empty() ? "" : ": " + description) + ")";
  switch (kind) {
  case failure_kind::interaction_required:
    return "The user must sign in again or approve access at the authority: " + std::string(to_string(reason)) + detail;
  case failure_kind::configuration_error:
    // Without an OAuth error it was refused here, before asking: the description says why.
    if (error.empty() && !description.empty()) return "The app's configuration does not allow this: " + description + "; check " + config_key;
    return "The authority rejected the app's configuration; check " + config_key + detail;
  case failure_kind::service_error:
    // Without an HTTP status the failure is not the authority's answer: a timeout, or the shared
    // token cache or another instance that could not deliver; the description names it.
    if (http_status == 0 && !description.empty())
      return "No token could be had just now: " + description + (retry_after ? "; retry after " + std::to_string(retry_after->count()) + " s" : "");
    return "The authority is failing or busy (HTTP " + std::to_string(http_status) + ")" +
           (retry_after ? "; retry after " + std::to_string(retry_after->count()) + " s" : "") + detail;
  case failure_kind::network_error: return "The authority could not be reached: " + description;
  case failure_kind::invalid_response: return "The authority's answer was not a token response: " + description;
  }
  return description;
}

token_failure network_failure(std::string what) {
  token_failure f;
  f.kind = failure_kind::network_error;
  f.description = std::move(what);
  return f;
}

token_failure as_refresh_failure(token_failure f) {
  if (f.error == "invalid_scope" && f.error_codes.empty()) {
    f.kind = failure_kind::interaction_required;
    f.reason = interaction_reason::consent_required;
    f.config_key.clear();
  }
  return f;
}

result<token_response, token_failure> read_token_response(unsigned http_status, std::string_view body, std::string_view retry_after) {
  token_failure f;
  f.http_status = http_status;
  f.retry_after = parse_retry_after(retry_after);
  auto doc = json_object::parse(body);
  bool success = http_status >= 200 && http_status < 300;
  if (!doc) {
    f.kind = success ? failure_kind::invalid_response
                     : (http_status >= 500 || http_status == 429 ? failure_kind::service_error : failure_kind::invalid_response);
    f.description = "the reply " + doc.error();
    return failure{std::move(f)};
  }
  if (!success || doc->has("error")) {
    f.error = doc->string("error").value_or("");
    f.description = doc->string("error_description").value_or("");
    f.error_codes = codes_in(*doc, f.description);
    f.claims = doc->string("claims").value_or("");
    f.correlation_id = doc->string("correlation_id").value_or("");
    classify(f);
    return failure{std::move(f)};
  }
  auto invalid = [&](std::string why) {
    f.kind = failure_kind::invalid_response;
    f.description = std::move(why);
    return failure{std::move(f)};
  };
  auto access_token = doc->string("access_token");
  if (!access_token || access_token->empty())
    return invalid(doc->wrong_type("access_token", "string") ? "\"access_token\" is not a string" : "there is no \"access_token\"");
  auto expires_in = doc->integer("expires_in");
  if (!expires_in || *expires_in <= 0)
    return invalid(doc->has("expires_in") ? "\"expires_in\" is not a positive number" : "there is no \"expires_in\"");
  for (std::string_view member : {"token_type", "refresh_token", "id_token", "scope", "client_info"})
    if (doc->wrong_type(member, "string")) return invalid("\"" + std::string(member) + "\" is not a string");

  token_response t;
  t.access_token = secret(std::move(*access_token));
  t.token_type = doc->string("token_type").value_or("Bearer");
  t.refresh_token = secret(doc->string("refresh_token").value_or(""));
  t.id_token = doc->string("id_token").value_or("");
  auto granted = doc->string("scope").value_or("");
  for (auto s : text::split(granted, ' '))
    if (!s.empty()) t.scopes.emplace_back(s);
  // The authority's numbers are clamped before they meet a clock (untrusted_time.hpp).
  t.expires_in = duration_from_untrusted(*expires_in, longest_token_lifetime);
  if (auto refresh_in = doc->integer("refresh_in"); refresh_in && *refresh_in > 0)
    t.refresh_in = duration_from_untrusted(*refresh_in, longest_token_lifetime);
  t.client_info = doc->string("client_info").value_or("");
  return t;
}

} // namespace onbehalf::identity

#include "onbehalf/config/settings.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/text.hpp"

namespace onbehalf::config {

std::string azure_ad_options::effective_authority() const {
  if (instance.empty()) return authority;
  std::string base = instance;
  if (!base.ends_with('/')) base += '/';
  // B2C authorities name the user flow: {Instance}/tfp/{Domain}/{Policy}/v2.0
  if (!sign_up_sign_in_policy_id.empty()) return base + "tfp/" + (domain.empty() ? tenant_id : domain) + "/" + sign_up_sign_in_policy_id + "/v2.0";
  return base + tenant_id + "/v2.0";
}

std::string azure_ad_options::authority_for_flow(std::string_view user_flow) const {
  if (!is_b2c() || user_flow.empty() || text::iequals(user_flow, sign_up_sign_in_policy_id)) return effective_authority();
  std::string base = instance;
  if (!base.ends_with('/')) base += '/';
  return base + "tfp/" + (domain.empty() ? tenant_id : domain) + "/" + std::string(user_flow) + "/v2.0";
}

std::string azure_ad_options::authority_for_tenant(std::string_view tenant) const {
  if (is_b2c() || tenant.empty()) return effective_authority();
  if (!instance.empty()) {
    std::string base = instance;
    if (!base.ends_with('/')) base += '/';
    return base + std::string(tenant) + "/v2.0";
  }
  // An Authority URL names its tenant as a path segment, as Entra's do; others have no tenants.
  if (tenant_id.empty()) return {};
  auto at = authority.find("/" + tenant_id + "/");
  if (at == std::string::npos) at = authority.ends_with("/" + tenant_id) ? authority.size() - tenant_id.size() - 1 : std::string::npos;
  if (at == std::string::npos) return {};
  return authority.substr(0, at + 1) + std::string(tenant) + authority.substr(at + 1 + tenant_id.size());
}

result<key_ring, std::string> make_key_ring(const std::vector<cache_key>& keys) {
  std::vector<sealing_key> ring;
  for (const auto& k : keys) {
    auto bytes = base64::decode(k.key.reveal());
    if (!bytes) return failure{"key '" + k.id + "' is not base64"};
    ring.push_back({k.id, secret(std::move(*bytes))});
  }
  return key_ring::make(std::move(ring));
}

const downstream_api_options* app_settings::find_downstream_api(std::string_view name) const {
  for (const auto& api : downstream_apis)
    if (text::iequals(api.name, name)) return &api;
  return nullptr;
}

std::vector<std::string> app_settings::values_at(std::string_view key) const {
  auto lower = text::to_lower(key);
  if (auto it = values.find(lower); it != values.end()) return {it->second};
  std::vector<std::string> list;
  for (std::size_t i = 0;; ++i) {
    auto it = values.find(lower + ":" + std::to_string(i));
    if (it == values.end()) break;
    list.push_back(it->second);
  }
  if (!list.empty()) return list;
  // DownstreamApis:{name}:Scopes[:{index}] from the structured settings.
  auto parts = text::split(key, ':');
  if (parts.size() < 3 || !text::iequals(parts[0], "DownstreamApis") || !text::iequals(parts[2], "Scopes") || parts.size() > 4) return {};
  const auto* api = find_downstream_api(parts[1]);
  if (!api) return {};
  if (parts.size() == 3) return api->scopes;
  auto index = text::parse_unsigned(parts[3]);
  if (!index || *index >= api->scopes.size()) return {};
  return {api->scopes[*index]};
}

} // namespace onbehalf::config

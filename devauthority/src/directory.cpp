#include "onbehalf/devauthority/directory.hpp"

#include "onbehalf/config/reader.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/identity/authorize.hpp"

#include <algorithm>
#include <fstream>

namespace onbehalf::devauthority {

const user* tenant::find_user(std::string_view user_name) const {
  auto it = std::find_if(users.begin(), users.end(), [&](const user& u) { return text::iequals(u.user_name, user_name); });
  return it == users.end() ? nullptr : &*it;
}

bool tenant::has_user_flow(std::string_view policy) const {
  return std::any_of(user_flows.begin(), user_flows.end(), [&](const std::string& f) { return text::iequals(f, policy); });
}

const app* tenant::find_app(std::string_view client_id) const {
  auto it = std::find_if(apps.begin(), apps.end(), [&](const app& a) { return a.client_id == client_id; });
  return it == apps.end() ? nullptr : &*it;
}

const resource* tenant::resource_for_scope(std::string_view scope) const {
  auto uri = identity::resource_of_scope(scope);
  auto it = std::find_if(resources.begin(), resources.end(), [&](const resource& r) { return r.app_id_uri == uri || r.app_id == uri; });
  return it == resources.end() ? nullptr : &*it;
}

const tenant* directory::find_tenant(std::string_view id_or_domain) const {
  auto it =
      std::find_if(tenants.begin(), tenants.end(), [&](const tenant& t) { return t.id == id_or_domain || text::iequals(t.domain, id_or_domain); });
  return it == tenants.end() ? nullptr : &*it;
}

const tenant* directory::home_tenant_of(std::string_view user_name) const {
  auto it = std::find_if(tenants.begin(), tenants.end(), [&](const tenant& t) { return t.find_user(user_name) != nullptr; });
  return it == tenants.end() ? nullptr : &*it;
}

result<directory, std::vector<config::problem>> read_directory(const config::configuration& c) {
  config::section_reader r(c);
  directory d;
  d.listen_address = r.text("DevAuthority:ListenAddress", d.listen_address);
  d.port = static_cast<std::uint16_t>(r.number("DevAuthority:Port", d.port));
  d.admin_enabled = r.flag("DevAuthority:AdminEnabled");
  d.identity_header = secret(r.text("DevAuthority:ManagedIdentity:IdentityHeader", d.identity_header.reveal()));
  d.token_lifetimes.access_token = std::chrono::seconds(r.number("DevAuthority:Lifetimes:AccessTokenSeconds", 3600));
  d.token_lifetimes.cae_access_token = std::chrono::seconds(r.number("DevAuthority:Lifetimes:CaeAccessTokenSeconds", 86400));
  d.token_lifetimes.refresh_token = std::chrono::seconds(r.number("DevAuthority:Lifetimes:RefreshTokenSeconds", 7776000));
  d.token_lifetimes.authorization_code = std::chrono::seconds(r.number("DevAuthority:Lifetimes:AuthorizationCodeSeconds", 300));
  for (const auto& ti : r.children("DevAuthority:Tenants")) {
    auto tk = "DevAuthority:Tenants:" + ti;
    tenant t;
    t.id = r.required(tk + ":Id");
    t.domain = r.text(tk + ":Domain");
    t.user_flows = r.list(tk + ":UserFlows");
    for (const auto& ui : r.children(tk + ":Users")) {
      auto uk = tk + ":Users:" + ui;
      user u{r.required(uk + ":UserName"), secret(r.required(uk + ":Password")), r.text(uk + ":DisplayName"), r.required(uk + ":ObjectId")};
      t.users.push_back(std::move(u));
    }
    for (const auto& ri : r.children(tk + ":Resources")) {
      auto rk = tk + ":Resources:" + ri;
      resource res{r.required(rk + ":AppIdUri"), r.required(rk + ":AppId"),   r.list(rk + ":Scopes"),
                   r.list(rk + ":AppRoles"),     r.flag(rk + ":RequiresMfa"), static_cast<int>(r.number(rk + ":AccessTokenVersion", 2))};
      if (res.access_token_version != 1 && res.access_token_version != 2) r.problem(rk + ":AccessTokenVersion", "must be 1 or 2");
      t.resources.push_back(std::move(res));
    }
    for (const auto& ai : r.children(tk + ":Apps")) {
      auto ak = tk + ":Apps:" + ai;
      app a;
      a.client_id = r.required(ak + ":ClientId");
      a.display_name = r.text(ak + ":DisplayName", a.client_id);
      for (const auto& s : r.list(ak + ":Secrets")) a.secrets.emplace_back(s);
      auto certificate_paths = r.list(ak + ":CertificatePaths");
      for (std::size_t i = 0; i < certificate_paths.size(); ++i) {
        std::ifstream in(certificate_paths[i]);
        std::string pem((std::istreambuf_iterator<char>(in)), {});
        auto certificate = identity::trusted_certificate::from_pem(pem);
        if (certificate) {
          a.certificates.push_back(std::move(*certificate));
        } else {
          r.problem(ak + ":CertificatePaths:" + std::to_string(i),
                    "cannot read a certificate from '" + certificate_paths[i] + "': " + certificate.error());
        }
      }
      for (const auto& fi : r.children(ak + ":FederatedCredentials")) {
        auto fk = ak + ":FederatedCredentials:" + fi;
        a.federated_credentials.push_back(
            {r.required(fk + ":Issuer"), r.required(fk + ":Subject"), r.text(fk + ":Audience", "api://AzureADTokenExchange")});
      }
      a.redirect_uris = r.list(ak + ":RedirectUris");
      a.post_logout_redirect_uris = r.list(ak + ":PostLogoutRedirectUris");
      a.required_permissions = r.map_of_lists(ak + ":RequiredPermissions");
      a.application_permissions = r.map_of_lists(ak + ":ApplicationPermissions");
      a.known_client_applications = r.list(ak + ":KnownClientApplications");
      if (a.redirect_uris.empty() && a.secrets.empty() && a.certificates.empty() && a.federated_credentials.empty())
        r.problem(ak, "an app needs RedirectUris (to sign users in) or a credential (to call APIs)");
      t.apps.push_back(std::move(a));
    }
    for (const auto& mi : r.children(tk + ":ManagedIdentities")) {
      auto mk = tk + ":ManagedIdentities:" + mi;
      t.managed_identities.push_back({r.required(mk + ":ClientId"), r.required(mk + ":ObjectId"), r.flag(mk + ":SystemAssigned"),
                                      r.map_of_lists(mk + ":ApplicationPermissions")});
    }
    d.tenants.push_back(std::move(t));
  }
  if (d.tenants.empty()) r.problem("DevAuthority:Tenants", "at least one tenant is required");
  if (!r.problems.empty()) return failure{std::move(r.problems)};
  return d;
}

result<directory, std::vector<config::problem>> load_directory(const std::string& path, char** environment) {
  auto layers = config::load_layers(path, environment);
  if (!layers) return failure{std::move(layers.error())};
  return read_directory(*layers);
}

} // namespace onbehalf::devauthority

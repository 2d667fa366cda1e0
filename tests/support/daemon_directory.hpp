// A dev authority directory with one daemon app allowed to call one API as itself.
#pragma once

#include "onbehalf/devauthority/directory.hpp"

namespace onbehalf::testing {

/// Tenant "tenant-1"; app "daemon" (secret "daemon-secret-1") with Orders.Read.All on api://orders.
inline devauthority::directory daemon_directory(std::chrono::seconds access_token_lifetime = std::chrono::hours(1)) {
  devauthority::directory d;
  d.port = 0;
  d.token_lifetimes.access_token = access_token_lifetime;
  devauthority::tenant t;
  t.id = "tenant-1";
  t.resources = {{"api://orders", "orders-app-id", {"read"}, {"Orders.Read.All"}, false}};
  devauthority::app a;
  a.client_id = "daemon";
  a.secrets = {secret("daemon-secret-1")};
  a.application_permissions = {{"api://orders", {"Orders.Read.All"}}};
  t.apps = {a};
  d.tenants = {t};
  return d;
}

} // namespace onbehalf::testing

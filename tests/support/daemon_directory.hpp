// A dev authority directory with one daemon app allowed to call one API as itself.
#pragma once

#include "onbehalf/devauthority/directory.hpp"

namespace onbehalf::testing {

/// Tenant "tenant-1"; app "daemon" (secret "daemon-secret-1") with Orders.Read.All on api://orders
/// and Stock.Read.All on api://inventory. The same app is provisioned in "tenant-2" (a customer's
/// tenant of a multi-tenant app) with Orders.Read.All.
inline devauthority::directory daemon_directory(std::chrono::seconds access_token_lifetime = std::chrono::hours(1)) {
  devauthority::directory d;
  d.port = 0;
  d.token_lifetimes.access_token = access_token_lifetime;
  devauthority::tenant t;
  t.id = "tenant-1";
  t.resources = {{"api://orders", "orders-app-id", {"read"}, {"Orders.Read.All"}, false},
                 {"api://inventory", "inventory-app-id", {"read"}, {"Stock.Read.All"}, false}};
  devauthority::app a;
  a.client_id = "daemon";
  a.secrets = {secret("daemon-secret-1")};
  a.application_permissions = {{"api://orders", {"Orders.Read.All"}}, {"api://inventory", {"Stock.Read.All"}}};
  t.apps = {a};
  devauthority::tenant customer;
  customer.id = "tenant-2";
  customer.resources = {t.resources.front()};
  devauthority::app provisioned = a;
  provisioned.application_permissions = {{"api://orders", {"Orders.Read.All"}}};
  customer.apps = {provisioned};
  d.tenants = {t, customer};
  return d;
}

} // namespace onbehalf::testing

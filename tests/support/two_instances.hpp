// Instances of one web app sharing users through one Redis, signed in at through the dev
// authority in the test's own process: the authority that knows the instances' redirect URIs,
// the people who sign in, and two instances A and B with a redis-server of their own.
#pragma once

#include "cookie_client.hpp"
#include "devauthority_fixture.hpp"
#include "instance_process.hpp"
#include "instance_sign_in.hpp"
#include "ports.hpp"
#include "redis_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace onbehalf::testing {

inline devauthority::person person(std::string user, std::string password) {
  devauthority::person p;
  p.user = std::move(user);
  p.password = std::move(password);
  return p;
}

inline const std::vector<devauthority::person> people = {
    person("ada@contoso.onmicrosoft.com", "ada-password-1"),
    person("grace@contoso.onmicrosoft.com", "grace-password-1"),
    person("alan@contoso.onmicrosoft.com", "alan-password-1"),
};

/// "http://host:port" of a URL.
inline std::string origin_of(const std::string& url) { return url.substr(0, url.find('/', url.find("//") + 2)); }

/// The dev authority in this process, knowing the instances' redirect URIs, with short-lived access tokens.
struct dev_authority_peer {
  self_signed client_cert{true};
  devauthority::dev_authority authority;

  dev_authority_peer(const std::vector<std::uint16_t>& instance_ports, std::chrono::seconds access_token_lifetime)
      : authority(directory(instance_ports, access_token_lifetime)) {
    REQUIRE(authority.start());
  }

  devauthority::directory directory(const std::vector<std::uint16_t>& instance_ports, std::chrono::seconds access_token_lifetime) {
    devauthority::lifetimes lifetimes;
    lifetimes.access_token = access_token_lifetime;
    auto d = dev::sample_directory(client_cert, lifetimes);
    auto& tenant = d.tenants[0];
    tenant.users.push_back({"alan@contoso.onmicrosoft.com", secret("alan-password-1"), "Alan Turing", "oid-alan"});
    for (auto port : instance_ports) {
      auto origin = "http://127.0.0.1:" + std::to_string(port);
      tenant.apps[0].redirect_uris.push_back(origin + "/signin-oidc");
      tenant.apps[0].post_logout_redirect_uris.push_back(origin + "/signout-callback-oidc");
    }
    return d;
  }

  instance_settings settings_for(const redis_server& redis, std::chrono::seconds refresh_margin) const {
    instance_settings s;
    s.authority = authority.authority(dev::tenant_id);
    s.client_id = dev::client_id;
    s.client_secret = "web-app-secret-1";
    s.scopes = {dev::todo_api + "/access_as_user"};
    s.redis_port = redis.port();
    s.refresh_margin = refresh_margin;
    return s;
  }

  std::size_t refresh_grants() const { return authority.token_requests("refresh_token"); }
  std::string origin() const { return origin_of(authority.base_url()); }
};

inline std::vector<signed_in_user> sign_in_everyone(cookie_client& client, const instance_process& at) {
  std::vector<signed_in_user> users;
  for (const auto& person : people) users.push_back(sign_in_with_dev_authority(client.web(), at.origin(), person));
  return users;
}

/// What differs between the tests that use two instances.
struct two_instances_options {
  std::chrono::seconds access_token_lifetime{3600};
  std::chrono::seconds refresh_margin{300};
  std::chrono::seconds lease{15};                 // Onbehalf:Redis:LeaseSeconds
  std::chrono::seconds revalidation_interval{30}; // Onbehalf:SignIn:RevalidationIntervalSeconds
  redis_server_options redis{};
  std::vector<std::string> a_overrides{}; // environment settings of A alone ("Onbehalf__Redis__User=a")
};

/// Two instances A and B, one Redis, the dev authority, and a browser for the people who sign in.
struct two_instances {
  explicit two_instances(const std::string& program, const two_instances_options& o = {})
      : redis(o.redis), peer(ports, o.access_token_lifetime), config(write_instance_config(dir, settings(o))),
        a(program, config, "A", ports[0], o.a_overrides), b(program, config, "B", ports[1]) {}

  /// Signs `who` out at `at` and checks that `at` itself has forgotten the session; when that was.
  std::chrono::steady_clock::time_point sign_out(const instance_process& at, const signed_in_user& who) {
    auto signed_out = client.get(at.url("/MicrosoftIdentity/Account/SignOut"), who.cookie);
    INFO("sign-out at " << at.name() << ": " << signed_out.status << " to " << signed_out.location);
    REQUIRE(signed_out.status == 302);
    auto when = std::chrono::steady_clock::now();
    REQUIRE(client.get(at.url("/whoami"), who.cookie).sends_to_sign_in(authority));
    return when;
  }

  redis_server redis;
  std::vector<std::uint16_t> ports{free_loopback_port(), free_loopback_port()};
  dev_authority_peer peer;
  temp_dir dir;
  std::string config;
  instance_process a;
  instance_process b;
  std::string authority = peer.origin();
  cookie_client client;

private:
  instance_settings settings(const two_instances_options& o) const {
    auto s = peer.settings_for(redis, o.refresh_margin);
    s.lease = o.lease;
    s.revalidation_interval = o.revalidation_interval;
    return s;
  }
};

} // namespace onbehalf::testing

// oidc-provider (tests/interop/provider.mjs) as a separate node process of the test's own, with
// the opt-in settings of provider.mjs passed as environment variables, and its grant counts.
#pragma once

#include "child_process.hpp"
#include "ports.hpp"
#include "self_signed.hpp"
#include "sync_client.hpp"
#include "temp_dir.hpp"

#include "onbehalf/identity/client_assertion.hpp"
#include "onbehalf/identity/discovery.hpp"
#include "onbehalf/identity/json_object.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

namespace onbehalf::testing {

inline const std::string oidc_provider_client_id = "interop-secret-client";
inline const std::string oidc_provider_client_secret = "interop-client-secret-0123456789";

/// Token requests the provider saw by grant type (granted or refused), and grants it revoked.
struct oidc_provider_grants {
  std::int64_t authorization_code = 0;
  std::int64_t refresh_token = 0;
  std::int64_t refresh_token_refused = 0;
  std::int64_t revoked = 0;
};

class oidc_provider_process {
public:
  /// `interop_dir` holds provider.mjs and its node_modules; web apps on `app_ports` may sign users
  /// in; `environment` holds provider.mjs's opt-in settings ("ROTATE_REFRESH_TOKENS=1").
  oidc_provider_process(const std::string& interop_dir, const std::vector<std::uint16_t>& app_ports, std::vector<std::string> environment = {}) {
    if (!std::filesystem::exists(interop_dir + "/node_modules/oidc-provider"))
      FAIL("oidc-provider is not installed: run `npm ci --prefix tests/interop` (scripts/test does this)");
    auto jwk_path = dir_.write("client-jwk.json", client_jwk());
    std::string ports;
    for (auto p : app_ports) ports += (ports.empty() ? "" : ",") + std::to_string(p);
    std::vector<std::string> command{"env"};
    command.insert(command.end(), environment.begin(), environment.end());
    command.insert(command.end(), {"node", interop_dir + "/provider.mjs", std::to_string(port_), jwk_path, ports});
    node_ = std::make_unique<child_process>(command, dir_.path("provider.log"));
    web_ = make_client();
    using namespace std::chrono_literals;
    for (int i = 0; i < 150 && node_->running(); ++i) {
      auto reply = send_and_wait(*web_, {"GET", identity::metadata_address(issuer()), {}, {}, {}});
      if (reply && reply->status == 200) return;
      std::this_thread::sleep_for(100ms);
    }
    FAIL("oidc-provider did not start:\n" << log());
  }

  std::string issuer() const { return "http://127.0.0.1:" + std::to_string(port_); }

  oidc_provider_grants grants() {
    auto reply = send_and_wait(*web_, {"GET", issuer() + "/admin/grants", {}, {}, {}});
    REQUIRE(reply);
    REQUIRE(reply->status == 200);
    auto counts = identity::json_object::parse(reply->body);
    REQUIRE(counts);
    return {counts->integer("authorization_code").value_or(-1), counts->integer("refresh_token").value_or(-1),
            counts->integer("refresh_token_refused").value_or(-1), counts->integer("revoked").value_or(-1)};
  }

  std::string log() const {
    std::ifstream in(dir_.path("provider.log"));
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }

private:
  // provider.mjs registers a private_key_jwt client too, and needs its public key.
  std::string client_jwk() {
    self_signed source{true};
    auto path = dir_.path("client.pem");
    source.write_pem(path, path);
    auto certificate = identity::client_certificate::from_file(path);
    REQUIRE(certificate);
    return certificate->key().public_part().to_jwk("interop-client-key");
  }

  temp_dir dir_;
  std::uint16_t port_ = free_loopback_port();
  std::unique_ptr<child_process> node_;
  std::unique_ptr<http::client> web_;
};

} // namespace onbehalf::testing

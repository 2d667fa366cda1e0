#include "../../support/temp_dir.hpp"

#include "onbehalf/devauthority/directory.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf;
using namespace onbehalf::devauthority;

TEST_CASE("the example dev authority configuration loads") {
  auto d = load_directory(ONBEHALF_SOURCE_DIR "/examples/devauthority.json");
  INFO((d ? std::string() : d.error().front().to_string()));
  REQUIRE(d);
  REQUIRE(d->tenants.size() == 1);
  const auto& t = d->tenants[0];
  CHECK(d->find_tenant("contoso.onmicrosoft.com") == &t);
  CHECK(t.find_user("ADA@contoso.onmicrosoft.com")->display_name == "Ada Lovelace");
  const auto* a = t.find_app("11111111-1111-1111-1111-111111111111");
  REQUIRE(a);
  CHECK(a->required_permissions.at("api://22222222-2222-2222-2222-222222222222") == std::vector<std::string>{"access_as_user"});
  CHECK(t.resource_for_scope("mail.read")->app_id == "00000003-0000-0000-c000-000000000000");
  CHECK(t.resource_for_scope("api://33333333-3333-3333-3333-333333333333/access_as_user")->requires_mfa);
}

TEST_CASE("environment variables override the dev authority configuration") {
  testing::fake_environment env{"DevAuthority__Port=0"};
  auto d = load_directory(ONBEHALF_SOURCE_DIR "/examples/devauthority.json", env.get());
  REQUIRE(d);
  CHECK(d->port == 0);
}

TEST_CASE("a dev authority configuration with a missing key names it") {
  testing::temp_dir dir;
  auto path = dir.write("bad.json", R"({"DevAuthority": {"Tenants": [{"Domain": "x", "Users": [{"UserName": "u", "Password": "p"}]}]}})");
  auto d = load_directory(path);
  REQUIRE_FALSE(d);
  std::vector<std::string> keys;
  for (const auto& p : d.error()) keys.push_back(p.key);
  CHECK(keys == std::vector<std::string>{"DevAuthority:Tenants:0:Id", "DevAuthority:Tenants:0:Users:0:ObjectId"});
}

TEST_CASE("a dev authority app whose certificate file is unreadable names the key and the path") {
  testing::temp_dir dir;
  auto path = dir.write(
      "bad.json",
      R"({"DevAuthority": {"Tenants": [{"Id": "t", "Apps": [{"ClientId": "c", "Secrets": ["s"], "CertificatePaths": ["/no/cert.pem"]}]}]}})");
  auto d = load_directory(path);
  REQUIRE_FALSE(d);
  CHECK(d.error().front().key == "DevAuthority:Tenants:0:Apps:0:CertificatePaths:0");
  CHECK(d.error().front().message.find("/no/cert.pem") != std::string::npos);
}

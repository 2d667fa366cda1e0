// A web app that signs people in and shows what an API says about them: `hello appsettings.json`.
#include <iostream>
#include <onbehalf/onbehalf.hpp>

using namespace onbehalf;

struct profile {
  std::string display_name;
};
BOOST_DESCRIBE_STRUCT(profile, (), (display_name))

task<void> greet(downstream_api& apis, http::exchange_ptr x) {
  auto at_profile = [](downstream_call_options& o) { o.relative_path = "api/profile"; };
  auto me = or_throw(co_await apis.get_for_user<profile>(x, "MyAPI", at_profile));
  x->respond(http::response::page(200, "Hello", "Hello " + me.display_name + ", from an API that saw your token.", "Sign out",
                                  "/MicrosoftIdentity/Account/SignOut"));
}

int main(int argc, char** argv) {
  auto app = host::from_file(argc > 1 ? argv[1] : "appsettings.json");
  if (!app) {
    std::cerr << app.error() << '\n';
    return 1;
  }
  auto& apis = app->downstream_apis();
  app->routes()
      .get("/", [&apis](http::exchange_ptr x) { return greet(apis, std::move(x)); })
      .authorize_for_scopes({.scope_key_section = "DownstreamApis:MyAPI:Scopes"});
  return app->run();
}

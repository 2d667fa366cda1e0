// onbehalf-sample: the sample web app of the spec, on the onbehalf host.
//
//   onbehalf-sample --config examples/appsettings.json
#include "pages.hpp"
#include "program.hpp"

extern char** environ;

int main(int argc, char** argv) {
  using namespace onbehalf;
  auto settings = examples::settings_of(argc, argv, environ, "onbehalf-sample");
  if (!settings) return argc == 3 ? 1 : 2;
  auto blob_endpoint = settings->values_at("Sample:BlobEndpoint");
  actors::host app(std::move(*settings));
  sample::add_pages(app, blob_endpoint.empty() ? std::string() : blob_endpoint.front());
  return examples::run_until_stopped(app, "onbehalf-sample");
}

// onbehalf-sample: the sample web app of the spec, on the onbehalf host.
//
//   onbehalf-sample --config examples/appsettings.json
#include "pages.hpp"
#include "program.hpp"

int main(int argc, char** argv) {
  using namespace onbehalf;
  int exit_status = 0;
  auto app = examples::host_of(argc, argv, "onbehalf-sample", exit_status);
  if (!app) return exit_status;
  auto blob_endpoint = app->settings().values_at("Sample:BlobEndpoint");
  sample::add_pages(*app, blob_endpoint.empty() ? std::string() : blob_endpoint.front());
  return app->run();
}

// A daemon: no web server, no signed-in user. It reads the same appsettings.json a web app
// does, acquires a token as the app itself, and calls a downstream API with it (MIW's
// TokenAcquirerFactory.GetDefaultInstance() in a console app) — and a web API that admits
// applications by their role, when one is configured.
//
//   onbehalf-daemon-example --config examples/daemon.json
#include "onbehalf/actors/token_acquirer_factory.hpp"

#include "contract.hpp" // the sample web API's

#include <boost/describe/class.hpp>

#include <iostream>
#include <string_view>

extern char** environ;

namespace {

struct todo {
  std::int64_t id = 0;
  std::string title;
  bool done = false;
  std::string owner;
};
BOOST_DESCRIBE_STRUCT(todo, (), (id, title, done, owner))

} // namespace

int main(int argc, char** argv) {
  using namespace onbehalf;
  if (argc != 3 || std::string_view(argv[1]) != "--config") {
    std::cerr << "usage: onbehalf-daemon-example --config FILE\n";
    return 2;
  }
  auto factory = actors::token_acquirer_factory::from_file(argv[2], environ);
  if (!factory) {
    std::cerr << "error: " << factory.error() << "\nthe daemon did not start: fix the configuration above\n";
    return 1;
  }
  if (auto built = (*factory)->build(); !built) {
    std::cerr << "error: " << built.error() << '\n';
    return 1;
  }
  // Every todo of every user: the app's own token carries the Todo.Read.All role.
  auto todos = sync_wait((*factory)->downstream_apis().get_for_app<std::vector<todo>>(
      "TodoApp", [](actors::downstream_call_options& o) { o.relative_path = "api/todos"; }));
  if (!todos) {
    std::cerr << "error: " << todos.error().message() << '\n';
    return 1;
  }
  std::cout << todos->size() << " todos\n";
  for (const auto& t : *todos) std::cout << "#" << t.id << " [" << (t.done ? "x" : " ") << "] " << t.title << " (" << t.owner << ")\n";
  // A web API that admits applications by role (the sample web API's Overview.Read.All), when configured.
  if ((*factory)->downstream_apis().find("Overview")) {
    auto summary = sync_wait((*factory)->downstream_apis().get_for_app<sample_webapi::summary>(
        "Overview", [](actors::downstream_call_options& o) { o.relative_path = "api/summary"; }));
    if (!summary) {
      std::cerr << "error: " << summary.error().message() << '\n';
      return 1;
    }
    std::cout << "the sample web API admitted the app " << summary->caller << " by its role, and counted " << summary->todos << " todos\n";
  }
  return 0;
}

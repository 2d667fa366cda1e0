// onbehalf-walkthrough: the sample app's story, told on a terminal. It plays a person in a
// browser — signs in, consents, reads the profile, consents to mail, creates, renames, finishes
// and deletes a todo, calls two APIs at once, calls a web API that calls two more on the user's
// behalf (and consents through the app to a permission that web API gained), signs out — and
// prints what happens at each step.
//
//   onbehalf-walkthrough [--app http://127.0.0.1:5000] [--authority http://127.0.0.1:5100]
//                        [--user ada@contoso.onmicrosoft.com] [--password ada-dev-password]
#include "onbehalf/core/text.hpp"
#include "onbehalf/devauthority/scripted_browser.hpp"

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

using namespace onbehalf;

namespace {

struct options {
  std::string app = "http://127.0.0.1:5000";
  std::string authority = "http://127.0.0.1:5100"; // the development authority, for its admin endpoint
  devauthority::person who{"ada@contoso.onmicrosoft.com", "ada-dev-password", {}, {}, "123456"};
};

// The text between `after` and the next '<' of a page: a value the page shows.
std::string shown_after(const std::string& html, std::string_view after) {
  auto at = html.find(after);
  if (at == std::string::npos) return {};
  at += after.size();
  return html.substr(at, html.find('<', at) - at);
}

class walkthrough {
public:
  walkthrough(http::client& web, options o) : o_(std::move(o)), browser_(web, o_.app) {}

  int run() {
    step("Open the home page without signing in");
    auto home = get("/");
    expect(home.last.body.find("Sign in") != std::string::npos, "the home page offers to sign in");

    step("Open the profile: sign in at the authority and consent to the profile API");
    auto profile = get("/profile");
    report_authority(profile);
    expect(profile.last_url == url("/profile"), "back on the profile page after signing in");
    say("the profile API says: " + shown_after(profile.last.body, "<tr><th>Name</th><td>") + " (" +
        shown_after(profile.last.body, "<tr><th>Sign-in name</th><td>") + ")");

    step("Open the emails: incremental consent for Mail.Read, then Microsoft Graph's messages");
    auto emails = get("/emails");
    report_authority(emails);
    expect(emails.last.body.find("messages from Microsoft Graph") != std::string::npos, "the emails page lists messages");
    auto count = shown_after(emails.last.body, "<p>Your latest ");
    say(count.substr(0, count.find(' ')) + " messages shown, the newest from " + shown_after(emails.last.body, "</tr><tr><td>"));

    step("Open the todos: incremental consent for Todo.ReadWrite");
    auto todos = get("/todos");
    report_authority(todos);
    expect(todos.last.status == 200, "the todo list is shown");

    step("Create a todo (POST to the app, POST to the API)");
    auto created = post("/todos", "title=Write+the+walkthrough");
    auto id = todo_id(created.last.body);
    expect(!id.empty(), "the new todo is listed");
    say("created todo #" + id + ": \"Write the walkthrough\"");

    step("Rename it (PUT to the API)");
    auto renamed = post("/todos/" + id + "/rename", "title=Walk+through+onbehalf");
    expect(renamed.last.body.find("Walk through onbehalf") != std::string::npos, "the todo has its new title");
    say("renamed to \"Walk through onbehalf\"");

    step("Mark it done (PATCH to the API)");
    auto done = post("/todos/" + id + "/done", "");
    expect(done.last.body.find("✔") != std::string::npos, "the todo is marked done");
    say("marked done");

    step("Delete it (DELETE to the API)");
    auto deleted = post("/todos/" + id + "/delete", "");
    expect(deleted.last.body.find("Walk through onbehalf") == std::string::npos, "the todo is gone");
    say("deleted");

    step("Open the parallel page: the profile API and Graph called at once");
    auto parallel = get("/parallel");
    expect(parallel.last.body.find("From Graph") != std::string::npos, "both answers are shown");
    say(shown_after(parallel.last.body, "<p>Both calls ran concurrently; ").substr(0, 60));

    step("Open the overview: consent to the sample web API, which calls the sample API and Graph on your behalf");
    auto overview = get("/overview");
    report_authority(overview);
    expect(overview.last.body.find("<th>Graph saw</th><td>") != std::string::npos, "the overview shows what each API saw");
    say("the sample web API saw " + shown_after(overview.last.body, "<th>The sample web API saw</th><td>") + "; the sample API saw " +
        shown_after(overview.last.body, "<th>The sample API saw</th><td>") + "; Graph saw " +
        shown_after(overview.last.body, "<th>Graph saw</th><td>"));

    step("The sample web API gains Mail.Read; open the inbox: its consent challenge comes back through the app to you");
    auto added = browser_.request("POST", o_.authority + "/admin/required-permission",
                                  "client_id=44444444-4444-4444-4444-444444444444&resource=https%3A%2F%2Fgraph.microsoft.com&scope=mail.read");
    if (!added || added->status != 200) fail("the development authority at " + o_.authority + " did not take the new permission");
    say("an administrator added Mail.Read to the sample web API's registration (the development authority's admin endpoint)");
    auto inbox = get("/inbox");
    report_authority(inbox);
    expect(inbox.last.body.find("The sample web API read ") != std::string::npos, "the inbox shows what the sample web API read");
    say(shown_after(inbox.last.body, "<p>The sample web API read ").substr(0, 40) + "...");

    step("Open the dashboard: optional data, with defaults if a service fails");
    auto dashboard = get("/dashboard");
    expect(dashboard.last.status == 200, "the dashboard is shown");
    say(shown_after(dashboard.last.body, "</div><div class=\"card\">"));

    step("See what onbehalf keeps: the sign-in's claims and the scopes of cached tokens (never the tokens)");
    auto me = get("/me");
    expect(me.last.body.find("Cached tokens") != std::string::npos, "the claims page is shown");
    for (auto at = me.last.body.find("<h2>Cached tokens</h2>"); (at = me.last.body.find("<tr><td>", at + 1)) != std::string::npos;)
      say("cached: " + shown_after(me.last.body.substr(at), "<tr><td>") + " — " + shown_after(me.last.body.substr(at), "</td><td>"));

    step("Sign out: the session, the cached tokens, and the authority's session end");
    auto out = get("/MicrosoftIdentity/Account/SignOut");
    expect(out.last.body.find("You have signed out") != std::string::npos, "the signed-out page is shown");

    step("Open the profile again: a sign-in is needed");
    auto again = browser_.request("GET", url("/profile"));
    expect(again && again->status == 302, "the app sends the browser to the authority");
    std::cout << "\nwalkthrough: all " << steps_ << " steps passed\n";
    return 0;
  }

private:
  std::string url(const std::string& path) const { return o_.app + path; }

  devauthority::visit get(const std::string& path) { return go("GET", path, ""); }
  devauthority::visit post(const std::string& path, const std::string& form) { return go("POST", path, form); }

  devauthority::visit go(const std::string& method, const std::string& path, const std::string& form) {
    auto v = devauthority::browse(browser_, method, url(path), o_.who, form);
    if (!v) fail("could not load " + path + ": " + v.error() + " (is the sample app running? scripts/run starts it)");
    if (v->last.status >= 400) fail(method + " " + path + " answered " + std::to_string(v->last.status) + ": " + v->last.body.substr(0, 200));
    return std::move(*v);
  }

  void report_authority(const devauthority::visit& v) {
    for (const auto& page : v.authority_pages.pages_seen) say("at the authority: the " + page + " page");
    if (!v.authority_pages.consent_scopes_shown.empty()) say("consented to: " + text::join(v.authority_pages.consent_scopes_shown, ", "));
    if (v.authority_pages.pages_seen.empty()) say("no visit to the authority was needed");
  }

  static std::string todo_id(const std::string& html) {
    auto at = html.rfind("action=\"/todos/");
    if (at == std::string::npos) return {};
    at += 15;
    return html.substr(at, html.find('/', at) - at);
  }

  void step(const std::string& what) { std::cout << "\nstep " << ++steps_ << ": " << what << '\n'; }
  static void say(const std::string& what) { std::cout << "  " << what << '\n'; }
  void expect(bool ok, const std::string& what) {
    if (!ok) fail("expected " + what);
    say("ok: " + what);
  }
  [[noreturn]] void fail(const std::string& why) {
    std::cout << "  FAILED: " << why << "\nwalkthrough: step " << steps_ << " failed\n";
    std::exit(1);
  }

  options o_;
  devauthority::scripted_browser browser_;
  int steps_ = 0;
};

} // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--app")
      o.app = argv[i + 1];
    else if (flag == "--authority")
      o.authority = argv[i + 1];
    else if (flag == "--user")
      o.who.user = argv[i + 1];
    else if (flag == "--password")
      o.who.password = argv[i + 1];
    else {
      std::cerr << "usage: onbehalf-walkthrough [--app URL] [--authority URL] [--user NAME] [--password PASSWORD]\n";
      return 2;
    }
  }
  auto web = http::client::create();
  if (!web) {
    std::cerr << "error: " << web.error() << '\n';
    return 1;
  }
  std::cout << "walkthrough: playing " << o.who.user << " in a browser against " << o.app << '\n';
  return walkthrough(**web, o).run();
}

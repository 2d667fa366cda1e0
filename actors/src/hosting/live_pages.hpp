// The live pages open now, by account. A session can end while its page's socket stays open (a
// sign-out in another tab or on another instance, the session's lifetime): the socket must not
// go on serving a browser that is signed out. When an account's sessions change, and before each
// message, a live page asks whether its session is still there; one whose session has ended is
// sent back to its page, where the browser finds itself signed out, and closed.
#pragma once

#include "onbehalf/actors/live_page.hpp"
#include "onbehalf/actors/session_service.hpp"

#include <memory>
#include <string>

namespace onbehalf::actors {

class live_pages {
public:
  explicit live_pages(session_service& sessions);
  ~live_pages(); // stops hearing of account changes
  live_pages(const live_pages&) = delete;
  live_pages& operator=(const live_pages&) = delete;

  /// A signed-in user's live page has connected, in session `session_id`.
  void opened(const live_connection_ptr& c, std::string session_id, std::string page);
  /// Its socket has ended.
  void closed(const live_connection& c);
  /// Runs `serve` when the page's session is still live; otherwise closes the page. A page
  /// without a session (an anonymous route) is served.
  void if_live(const live_connection_ptr& c, std::function<void()> serve);
  /// Live pages of signed-in users open now.
  std::size_t open() const;

  struct state;

private:
  std::shared_ptr<state> state_;
};

} // namespace onbehalf::actors

#include "hosting/live_pages.hpp"

#include "onbehalf/core/log.hpp"
#include "onbehalf/json/value.hpp"

#include <mutex>
#include <unordered_map>
#include <vector>

namespace onbehalf::actors {

namespace {

struct page_entry {
  std::weak_ptr<live_connection> connection;
  std::string session_id;
  std::string page;
};

const std::string& account_of(const live_connection& c) { return c.handshake->user->home_account_id; }

} // namespace

struct live_pages::state : std::enable_shared_from_this<state> {
  session_service& sessions;
  mutable std::mutex mutex;
  std::unordered_map<std::string, std::vector<page_entry>> by_account;

  explicit state(session_service& s) : sessions(s) {}

  std::vector<page_entry> pages_of(const std::string* account) const {
    std::lock_guard lock(mutex);
    std::vector<page_entry> out;
    for (const auto& [a, pages] : by_account)
      if (!account || a == *account) out.insert(out.end(), pages.begin(), pages.end());
    return out;
  }

  std::optional<page_entry> entry_of(const live_connection& c) const {
    std::lock_guard lock(mutex);
    auto it = by_account.find(account_of(c));
    if (it == by_account.end()) return std::nullopt;
    for (const auto& e : it->second)
      if (e.connection.lock().get() == &c) return e;
    return std::nullopt;
  }

  // Asks the session service; `live` runs when the session is there, or when the store could not
  // be read (Redis away: the session may well be live, and the user is not signed out for it).
  void check(const page_entry& e, const std::string& account, std::function<void()> live) {
    if (sessions.find_published(account, e.session_id)) {
      if (live) live();
      return;
    }
    sessions.find(account, e.session_id, [e, live = std::move(live)](session_service::found user) {
      if (!user || *user) {
        if (live) live();
        return;
      }
      auto c = e.connection.lock();
      if (!c) return;
      log_info("A live page's session has ended; sent the browser back to its page and closed the socket",
               {{"cid", c->handshake->req().correlation_id}, {"account", account_of(*c)}});
      c->send(json::serialize(json::object{{"type", "navigate"}, {"url", e.page}}));
      c->socket->close();
    });
  }

  void recheck(const std::string* account) {
    for (const auto& e : pages_of(account))
      if (auto c = e.connection.lock()) check(e, account_of(*c), {});
  }
};

live_pages::live_pages(session_service& sessions) : state_(std::make_shared<state>(sessions)) {
  std::weak_ptr<state> weak = state_;
  sessions.observe_account_changes(
      [weak](const std::string& account) {
        if (auto s = weak.lock()) s->recheck(&account);
      },
      [weak] {
        if (auto s = weak.lock()) s->recheck(nullptr);
      });
}

live_pages::~live_pages() { state_->sessions.observe_account_changes({}, {}); }

void live_pages::opened(const live_connection_ptr& c, std::string session_id, std::string page) {
  std::lock_guard lock(state_->mutex);
  state_->by_account[account_of(*c)].push_back({c, std::move(session_id), std::move(page)});
}

void live_pages::closed(const live_connection& c) {
  std::lock_guard lock(state_->mutex);
  auto it = state_->by_account.find(account_of(c));
  if (it == state_->by_account.end()) return;
  std::erase_if(it->second, [&c](const page_entry& e) {
    auto held = e.connection.lock();
    return !held || held.get() == &c;
  });
  if (it->second.empty()) state_->by_account.erase(it);
}

void live_pages::if_live(const live_connection_ptr& c, std::function<void()> serve) {
  auto e = c->handshake->user ? state_->entry_of(*c) : std::nullopt;
  if (!e) return serve();
  state_->check(*e, account_of(*c), std::move(serve));
}

std::size_t live_pages::open() const {
  std::lock_guard lock(state_->mutex);
  std::size_t n = 0;
  for (const auto& [_, pages] : state_->by_account) n += pages.size();
  return n;
}

} // namespace onbehalf::actors

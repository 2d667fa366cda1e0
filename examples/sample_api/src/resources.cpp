#include "resources.hpp"

#include "onbehalf/core/text.hpp"

#include <cstdio>

namespace onbehalf::sample_api::served {

std::vector<todo> todo_store::of(const std::string& owner) const {
  std::lock_guard lock(mutex_);
  std::vector<todo> out;
  for (const auto& [id, t] : todos_)
    if (t.owner == owner) out.push_back(t);
  return out;
}

std::vector<todo> todo_store::all() const {
  std::lock_guard lock(mutex_);
  std::vector<todo> out;
  for (const auto& [id, t] : todos_) out.push_back(t);
  return out;
}

todo todo_store::add(const std::string& owner, todo_change change) {
  std::lock_guard lock(mutex_);
  todo t;
  t.id = next_id_++;
  t.title = change.title.value_or("");
  t.done = change.done.value_or(false);
  t.owner = owner;
  todos_[t.id] = t;
  return t;
}

std::optional<todo> todo_store::change(const std::string& owner, std::int64_t id, const todo_change& change) {
  std::lock_guard lock(mutex_);
  auto it = todos_.find(id);
  if (it == todos_.end() || (!owner.empty() && it->second.owner != owner)) return std::nullopt;
  if (change.title) it->second.title = *change.title;
  if (change.done) it->second.done = *change.done;
  return it->second;
}

bool todo_store::remove(const std::string& owner, std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto it = todos_.find(id);
  if (it == todos_.end() || (!owner.empty() && it->second.owner != owner)) return false;
  todos_.erase(it);
  return true;
}

std::vector<message> mailbox_of(const std::string& display_name, const std::string& address) {
  static const char* senders[] = {"Charles Babbage", "Mary Somerville", "Alan Turing"};
  std::vector<message> out;
  for (int n = 1; n <= 23; ++n) {
    message m;
    m.id = "msg-" + std::to_string(n);
    m.subject = "Message " + std::to_string(n) + " for " + display_name;
    std::string sender = senders[n % 3];
    m.from.email_address.name = sender;
    m.from.email_address.address = text::to_lower(sender.substr(0, sender.find(' '))) + "@contoso.com";
    char when[32];
    std::snprintf(when, sizeof when, "2026-11-%02dT%02d:00:00Z", 28 - n, (n * 7) % 24); // newest first
    m.received_date_time = when;
    m.is_read = n % 3 == 0;
    m.body_preview = "Dear " + display_name + " (" + address + "), this is message " + std::to_string(n) + ".";
    out.push_back(std::move(m));
  }
  return out;
}

} // namespace onbehalf::sample_api::served

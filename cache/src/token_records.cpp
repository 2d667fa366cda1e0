#include "onbehalf/cache/token_records.hpp"

#include "onbehalf/core/text.hpp"
#include "onbehalf/core/untrusted_time.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace onbehalf::cache {

namespace keys {
namespace {
// A part of a key may hold the separator: a `sub` of "auth0|123" is common. Such parts are
// escaped ('%' and '|' as %25 and %7C) so that one account's partition is never a prefix of
// another's; parts without either character, which is nearly all of them, stay as they are.
class part {
public:
  explicit part(std::string_view raw) : view_(raw) {
    if (raw.find_first_of("|%") == std::string_view::npos) return;
    for (char c : raw) escaped_ += c == '|' ? std::string_view("%7C") : c == '%' ? std::string_view("%25") : std::string_view(&c, 1);
    view_ = escaped_;
  }
  part(const part&) = delete;
  part& operator=(const part&) = delete;
  operator std::string_view() const noexcept { return view_; }

private:
  std::string escaped_;
  std::string_view view_;
};

// One allocation per key: these are built on every cached-token lookup.
template <class... Parts>
std::string joined(const Parts&... parts) {
  std::string out;
  out.reserve((std::string_view(parts).size() + ...));
  (out.append(std::string_view(parts)), ...);
  return out;
}
std::string lower_flow(std::string key, std::size_t flow_size) {
  for (auto i = key.size() - flow_size; i < key.size(); ++i) key[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[i])));
  return key;
}
} // namespace
std::string user_partition(std::string_view home_account_id) { return joined("u|", part(home_account_id), "|"); }
std::string app_partition(std::string_view client_id, std::string_view tenant) { return joined("a|", part(client_id), "|", part(tenant), "|"); }
std::string caller_partition(std::string_view client_id, std::string_view assertion_digest) {
  return joined("o|", part(client_id), "|", part(assertion_digest), "|");
}
std::string access_tokens(std::string_view partition, std::string_view resource, std::string_view user_flow) {
  part flow(user_flow);
  return lower_flow(joined(partition, "at|", part(resource), "|", flow), std::string_view(flow).size());
}
std::string access_tokens_in_tenant(std::string_view partition, std::string_view tenant, std::string_view resource, std::string_view user_flow) {
  part flow(user_flow);
  return lower_flow(joined(partition, "at|", part(tenant), "|", part(resource), "|", flow), std::string_view(flow).size());
}
std::string user_access_tokens(std::string_view home_account_id, std::string_view resource, std::string_view user_flow) {
  part flow(user_flow);
  return lower_flow(joined("u|", part(home_account_id), "|at|", part(resource), "|", flow), std::string_view(flow).size());
}
std::string refresh_token(std::string_view partition, std::string_view user_flow) {
  return joined(partition, "rt|", part(text::to_lower(user_flow)));
}
std::string account(std::string_view partition) { return joined(partition, "account"); }
} // namespace keys

namespace {

bool covers(const std::vector<std::string>& granted, const std::vector<std::string>& requested) {
  return std::all_of(requested.begin(), requested.end(), [&](const std::string& r) {
    return std::any_of(granted.begin(), granted.end(), [&](const std::string& g) { return text::iequals(g, r); });
  });
}

long long seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
// Times come from storage: clamped before they become nanoseconds.
std::chrono::system_clock::time_point time_of(std::uint64_t s) { return instant_from_untrusted(s); }

// Length-prefixed fields: 4-byte big-endian sizes and 8-byte times.
void put_number(std::string& out, std::uint64_t n, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
}
void put_text(std::string& out, std::string_view s) {
  put_number(out, s.size(), 4);
  out += s;
}

struct reader {
  std::string_view in;
  bool ok = true;
  std::uint64_t number(int bytes) {
    if (in.size() < static_cast<std::size_t>(bytes)) return ok = false, 0;
    std::uint64_t n = 0;
    for (int i = 0; i < bytes; ++i) n = (n << 8) | static_cast<unsigned char>(in[static_cast<std::size_t>(i)]);
    in.remove_prefix(static_cast<std::size_t>(bytes));
    return n;
  }
  std::string_view view() {
    auto size = number(4);
    if (!ok || in.size() < size) return ok = false, std::string_view();
    auto s = in.substr(0, size);
    in.remove_prefix(size);
    return s;
  }
  std::string text() {
    auto size = number(4);
    if (!ok || in.size() < size) return ok = false, std::string();
    std::string s(in.substr(0, size));
    in.remove_prefix(size);
    return s;
  }
};

constexpr char format_version = 1;

} // namespace

const cached_access_token* access_token_records::best_for(const std::vector<std::string>& requested, std::chrono::system_clock::time_point now,
                                                          std::chrono::seconds margin) const {
  const cached_access_token* best = nullptr;
  for (const auto& t : tokens_) {
    if (t.expires_on <= now + margin || !covers(t.scopes, requested)) continue;
    if (!best || t.expires_on >= best->expires_on) best = &t; // on a tie the later one: it carries the latest consent
  }
  return best;
}

void access_token_records::store(cached_access_token t, std::chrono::system_clock::time_point now) {
  // A new token serves every request an older one with fewer (or the same) scopes served, for at
  // least as long: the older one goes.
  std::erase_if(tokens_, [&](const cached_access_token& old) {
    return old.expires_on <= now || (covers(t.scopes, old.scopes) && old.expires_on <= t.expires_on);
  });
  tokens_.push_back(std::move(t));
  if (tokens_.size() > max_tokens) {
    auto soonest = std::min_element(tokens_.begin(), tokens_.end(), [](const auto& a, const auto& b) { return a.expires_on < b.expires_on; });
    tokens_.erase(soonest);
  }
}

std::optional<access_token_view> access_token_records::find_best(std::string_view encoded, const std::vector<std::string>& requested,
                                                                 std::chrono::system_clock::time_point now, std::chrono::seconds margin) {
  if (encoded.empty() || encoded.front() != format_version) return std::nullopt;
  reader r{encoded.substr(1)};
  auto count = r.number(4);
  if (!r.ok || count > max_tokens) return std::nullopt;
  std::optional<access_token_view> best;
  for (std::uint64_t i = 0; i < count && r.ok; ++i) {
    auto scope_count = r.number(4);
    if (!r.ok || scope_count > 256) return std::nullopt;
    // Each requested scope is looked for among this token's scopes, read again from here.
    auto scopes_start = r;
    for (std::uint64_t s = 0; s < scope_count && r.ok; ++s) r.view();
    bool all = std::all_of(requested.begin(), requested.end(), [&](const std::string& wanted) {
      auto scan = scopes_start;
      for (std::uint64_t s = 0; s < scope_count; ++s) {
        auto granted = scan.view();
        if (granted == wanted || text::iequals(granted, wanted)) return true; // exact first: the usual case, and cheaper
      }
      return false;
    });
    access_token_view t;
    t.token = r.view();
    t.expires_on = time_of(r.number(8));
    if (auto refresh = r.number(8); refresh != 0) t.refresh_on = time_of(refresh);
    if (!r.ok) return std::nullopt;
    if (!all || t.expires_on <= now + margin) continue;
    if (!best || t.expires_on >= best->expires_on) best = t; // as best_for: the later one on a tie
  }
  if (!r.in.empty()) return std::nullopt; // bytes after the records: not what encode() made, as decode() says
  return best;
}

std::string access_token_records::encode() const {
  std::string out(1, format_version);
  put_number(out, tokens_.size(), 4);
  for (const auto& t : tokens_) {
    put_number(out, t.scopes.size(), 4);
    for (const auto& s : t.scopes) put_text(out, s);
    put_text(out, t.token);
    put_number(out, static_cast<std::uint64_t>(seconds_of(t.expires_on)), 8);
    put_number(out, t.refresh_on ? static_cast<std::uint64_t>(seconds_of(*t.refresh_on)) : 0, 8);
  }
  return out;
}

std::optional<access_token_records> access_token_records::decode(std::string_view bytes) {
  if (bytes.empty() || bytes.front() != format_version) return std::nullopt;
  reader r{bytes.substr(1)};
  auto count = r.number(4);
  if (!r.ok || count > max_tokens) return std::nullopt;
  access_token_records records;
  for (std::uint64_t i = 0; i < count && r.ok; ++i) {
    cached_access_token t;
    auto scopes = r.number(4);
    if (scopes > 256) return std::nullopt;
    for (std::uint64_t s = 0; s < scopes && r.ok; ++s) t.scopes.push_back(r.text());
    t.token = r.text();
    t.expires_on = time_of(r.number(8));
    if (auto refresh = r.number(8); refresh != 0) t.refresh_on = time_of(refresh);
    records.tokens_.push_back(std::move(t));
  }
  if (!r.ok || !r.in.empty()) return std::nullopt;
  return records;
}

std::chrono::system_clock::time_point account_record::expires_on() const {
  std::chrono::system_clock::time_point latest{};
  for (const auto& s : sessions) latest = std::max(latest, s.expires_on);
  return latest;
}

std::string account_record::encode() const {
  std::string out(1, format_version);
  put_number(out, claims.size(), 4);
  for (const auto& [type, value] : claims) {
    put_text(out, type);
    put_text(out, value);
  }
  put_number(out, sessions.size(), 4);
  for (const auto& s : sessions) {
    put_text(out, s.id);
    put_number(out, static_cast<std::uint64_t>(seconds_of(s.expires_on)), 8);
  }
  return out;
}

std::optional<account_record> account_record::decode(std::string_view bytes) {
  if (bytes.empty() || bytes.front() != format_version) return std::nullopt;
  reader r{bytes.substr(1)};
  account_record record;
  auto claim_count = r.number(4);
  if (!r.ok || claim_count > max_claims) return std::nullopt;
  for (std::uint64_t i = 0; i < claim_count && r.ok; ++i) {
    auto type = r.text();
    record.claims.emplace_back(std::move(type), r.text());
  }
  auto session_count = r.number(4);
  if (!r.ok || session_count > max_sessions) return std::nullopt;
  for (std::uint64_t i = 0; i < session_count && r.ok; ++i) {
    auto id = r.text();
    record.sessions.push_back({std::move(id), time_of(r.number(8))});
  }
  if (!r.ok || !r.in.empty()) return std::nullopt;
  return record;
}

} // namespace onbehalf::cache

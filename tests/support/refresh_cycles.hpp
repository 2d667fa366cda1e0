// Signed-in users' requests arriving at several instances at once, around each moment their
// access tokens need refreshing: the traffic that makes instances sharing a cache race to
// redeem the same refresh token. Requests go to GET /token of onbehalf-test-instance, whose
// answers say which token was served and when it expires.
#pragma once

#include "cookie_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace onbehalf::testing {

using wall_clock = std::chrono::system_clock;

/// When the token a GET /token answer names expires (its X-Token-Expires-On).
inline std::optional<wall_clock::time_point> expiry_of(const page_answer& a) {
  auto ms = std::strtoll(a.expires_on.c_str(), nullptr, 10);
  if (ms <= 0) return std::nullopt;
  return wall_clock::time_point(std::chrono::milliseconds(ms));
}

/// What a stretch of traffic got back.
struct traffic_figures {
  std::size_t requests = 0;
  std::size_t served = 0;          // 200: a token
  std::size_t sent_to_sign_in = 0; // 302 to the authority: the user must sign in again
  std::size_t other = 0;           // any other answer
  std::size_t unanswered = 0;      // no answer at all (refused, timed out)
  std::string example_of_other;    // the first such answer or failure, to say what went wrong
  std::set<std::string> users_sent_to_sign_in;
  std::set<std::string> tokens_served;                 // fingerprints
  std::optional<wall_clock::time_point> latest_expiry; // of the tokens served

  void record(const page_answer& a, const signed_in_user& user, const std::string& authority_origin) {
    ++requests;
    if (!a.answered()) {
      ++unanswered;
      if (example_of_other.empty()) example_of_other = "no answer: " + a.failure;
    } else if (a.status == 200) {
      ++served;
      tokens_served.insert(a.body);
      if (auto expiry = expiry_of(a)) latest_expiry = std::max(latest_expiry.value_or(*expiry), *expiry);
    } else if (a.sends_to_sign_in(authority_origin)) {
      ++sent_to_sign_in;
      users_sent_to_sign_in.insert(user.name);
    } else {
      ++other;
      if (example_of_other.empty()) example_of_other = std::to_string(a.status) + " " + a.body.substr(0, 200);
    }
  }

  void add(const traffic_figures& f) {
    requests += f.requests;
    served += f.served;
    sent_to_sign_in += f.sent_to_sign_in;
    other += f.other;
    unanswered += f.unanswered;
    if (example_of_other.empty()) example_of_other = f.example_of_other;
    users_sent_to_sign_in.insert(f.users_sent_to_sign_in.begin(), f.users_sent_to_sign_in.end());
    tokens_served.insert(f.tokens_served.begin(), f.tokens_served.end());
    if (f.latest_expiry) latest_expiry = std::max(latest_expiry.value_or(*f.latest_expiry), *f.latest_expiry);
  }

  /// "412 requests: 380 served a token, 32 sent to sign in (2 users), 0 other, 0 unanswered; 9 distinct tokens"
  std::string summary() const {
    std::ostringstream out;
    out << requests << " requests: " << served << " served a token, " << sent_to_sign_in << " sent to sign in (" << users_sent_to_sign_in.size()
        << " users), " << other << " other, " << unanswered << " unanswered; " << tokens_served.size() << " distinct tokens";
    if (!example_of_other.empty()) out << "; e.g. " << example_of_other;
    return out.str();
  }
};

/// Until `until`, `threads` threads each send GET /token back to back (a `pause` apart), each
/// request for the next user at the next instance, so every thread alternates between instances
/// and every user's requests land on all of them at nearly the same moments.
inline traffic_figures send_concurrently(const cookie_client& client, const std::vector<signed_in_user>& users,
                                         const std::vector<std::string>& origins, const std::string& authority_origin, int threads,
                                         std::chrono::milliseconds pause, wall_clock::time_point until) {
  std::vector<traffic_figures> per_thread(static_cast<std::size_t>(threads));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto& figures = per_thread[static_cast<std::size_t>(t)];
      for (auto k = static_cast<std::size_t>(t); wall_clock::now() < until; ++k) {
        const auto& user = users[k % users.size()];
        figures.record(client.get(origins[k % origins.size()] + "/token", user.cookie), user, authority_origin);
        std::this_thread::sleep_for(pause);
      }
    });
  }
  for (auto& w : workers) w.join();
  traffic_figures total;
  for (const auto& f : per_thread) total.add(f);
  return total;
}

struct refresh_schedule {
  std::chrono::seconds access_token_lifetime{6};
  std::chrono::seconds refresh_margin{2}; // Onbehalf:TokenRefreshMarginSeconds
  int cycles = 3;
  int threads = 4;
  std::chrono::milliseconds pause{15};
  /// Traffic goes on this long past the tokens' expiry: a user whose refresh failed meets it then.
  std::chrono::milliseconds past_expiry{300};
};

struct refresh_cycles_report {
  std::vector<traffic_figures> cycles;
  traffic_figures total;

  std::string summary() const {
    std::ostringstream out;
    for (std::size_t i = 0; i < cycles.size(); ++i) out << "  cycle " << i + 1 << ": " << cycles[i].summary() << "\n";
    out << "  all cycles: " << total.summary();
    return out.str();
  }
};

/// For each cycle: waits for the moment every user's current token is due for refresh (within
/// the margin of its expiry), then sends traffic until just past their expiry. Within a cycle
/// each user needs exactly one refresh: a token refreshed at the window's start is due again only
/// lifetime − margin later, after the traffic has stopped. The first tokens are the sign-ins'
/// own, read at the first instance.
inline refresh_cycles_report run_refresh_cycles(const cookie_client& client, const std::vector<signed_in_user>& users,
                                                const std::vector<std::string>& origins, const std::string& authority_origin,
                                                const refresh_schedule& schedule) {
  using namespace std::chrono_literals;
  // A token refreshed as the traffic starts is due again lifetime − margin later: after the traffic stops.
  REQUIRE(schedule.access_token_lifetime - 2 * schedule.refresh_margin - schedule.past_expiry > 0s);
  std::optional<wall_clock::time_point> earliest, latest_seen;
  for (const auto& user : users) {
    auto a = client.get(origins.front() + "/token", user.cookie);
    INFO(user.name << " at " << origins.front() << ": " << a.status << " " << a.body << a.failure);
    REQUIRE(a.status == 200);
    auto expiry = expiry_of(a);
    REQUIRE(expiry);
    earliest = std::min(earliest.value_or(*expiry), *expiry);
    latest_seen = std::max(latest_seen.value_or(*expiry), *expiry);
  }
  // Traffic starts when the last-signed-in user's token is due; everyone else's must still be valid then.
  INFO("the sign-ins' tokens expire " << std::chrono::duration_cast<std::chrono::milliseconds>(*latest_seen - *earliest).count()
                                      << " ms apart: sign in faster, or use a wider refresh margin");
  REQUIRE(*latest_seen - *earliest < schedule.refresh_margin - 100ms);
  auto latest = *latest_seen;

  refresh_cycles_report report;
  for (int cycle = 0; cycle < schedule.cycles; ++cycle) {
    std::this_thread::sleep_until(latest - schedule.refresh_margin + 100ms);
    auto figures = send_concurrently(client, users, origins, authority_origin, schedule.threads, schedule.pause, latest + schedule.past_expiry);
    // The next cycle times itself by the tokens this one served; when none newer were served
    // (everyone was sent to sign in), by when they would have been.
    auto next = latest + (schedule.access_token_lifetime - schedule.refresh_margin);
    latest = figures.latest_expiry && *figures.latest_expiry > latest ? *figures.latest_expiry : next;
    report.total.add(figures);
    report.cycles.push_back(std::move(figures));
  }
  return report;
}

} // namespace onbehalf::testing

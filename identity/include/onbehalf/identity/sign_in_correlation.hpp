// What a sign-in must remember between sending the user to the authority and their return:
// state, nonce, PKCE verifier, where to go back. It travels sealed in a short-lived cookie, one
// per attempt (so two tabs signing in at once both work), and any instance with the keys can
// finish the sign-in.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/core/sealing.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onbehalf::identity {

struct sign_in_correlation {
  std::string state;
  std::string nonce;
  std::string code_verifier;
  std::string return_url; // local, checked when it was accepted
  std::string user_flow;  // B2C policy, when the sign-in used one
  std::chrono::system_clock::time_point issued;
  /// The app's scopes this sign-in asked for, the challenge's first: the code is redeemed for
  /// their first resource, so a consent's token is the one cached.
  std::vector<std::string> scopes;
  /// What the app asked to get back after the round trip (MIW's AuthenticationProperties.Items).
  std::vector<std::pair<std::string, std::string>> items;
  /// For a sign-in that answers a consent or claims challenge: what identifies that challenge,
  /// so one that repeats at once after it can be told from a first one.
  std::string challenge;
};

/// A browser keeps at most this many sign-ins in progress, one cookie each: a new one takes the
/// slot of the oldest, so a page that sends the user to sign in again and again piles nothing up.
inline constexpr unsigned sign_in_slots = 8;

/// A fresh correlation in `slot` (below sign_in_slots): random state, nonce and verifier. The
/// state begins with its slot, so the callback knows which cookie to read.
sign_in_correlation new_sign_in_correlation(std::string return_url, std::string user_flow = {},
                                            std::chrono::system_clock::time_point now = std::chrono::system_clock::now(), unsigned slot = 0);

/// The cookie that carries one attempt's correlation: named after the slot its state names.
std::string correlation_cookie_name(std::string_view state);

/// The cookie that says which slot a browser's next sign-in takes: the one after its last.
inline constexpr std::string_view sign_in_counter_cookie = ".onbehalf.signins";
/// The slot a browser's next sign-in takes, from its counter cookie (untrusted: anything else is 0).
unsigned next_sign_in_slot(std::optional<std::string_view> counter);

inline constexpr std::chrono::seconds correlation_lifetime{15 * 60};

std::string seal_correlation(const key_ring& keys, const sign_in_correlation& c);

/// Opens a sealed correlation; fails when it was tampered with, is older than `max_age`, or does
/// not match the `state` the authority returned.
result<sign_in_correlation, std::string> open_correlation(const key_ring& keys, std::string_view sealed, std::string_view returned_state,
                                                          std::chrono::system_clock::time_point now = std::chrono::system_clock::now(),
                                                          std::chrono::seconds max_age = correlation_lifetime);

} // namespace onbehalf::identity

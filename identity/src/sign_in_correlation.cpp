#include "onbehalf/identity/sign_in_correlation.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/untrusted_time.hpp"
#include "onbehalf/identity/authorize.hpp"
#include "onbehalf/identity/json_object.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace onbehalf::identity {

namespace {
constexpr std::string_view purpose = "onbehalf.sign-in-correlation";

long long seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
} // namespace

sign_in_correlation new_sign_in_correlation(std::string return_url, std::string user_flow, std::chrono::system_clock::time_point now, unsigned slot) {
  auto state = std::to_string(slot % sign_in_slots) + '.' + crypto::random_token(24);
  return {std::move(state), crypto::random_token(24), make_pkce().verifier, std::move(return_url), std::move(user_flow), now, {}, {}, {}};
}

// "3.…" is slot 3. A state without one (any other text the authority returns) still names a
// cookie, which no sign-in wrote.
std::string correlation_cookie_name(std::string_view state) {
  if (state.size() > 2 && state[1] == '.' && state[0] >= '0' && state[0] < static_cast<char>('0' + sign_in_slots))
    return ".onbehalf.correlation." + std::string(1, state[0]);
  return ".onbehalf.correlation." + base64::encode(crypto::sha256(state), base64::alphabet::url).substr(0, 16);
}

unsigned next_sign_in_slot(std::optional<std::string_view> counter) {
  if (!counter || counter->size() != 1 || (*counter)[0] < '0' || (*counter)[0] >= static_cast<char>('0' + sign_in_slots)) return 0;
  return static_cast<unsigned>((*counter)[0] - '0');
}

std::string seal_correlation(const key_ring& keys, const sign_in_correlation& c) {
  boost::json::object o{{"s", c.state}, {"n", c.nonce}, {"v", c.code_verifier}, {"r", c.return_url}, {"f", c.user_flow}, {"t", seconds_of(c.issued)}};
  if (!c.items.empty()) {
    boost::json::object items;
    for (const auto& [name, value] : c.items) items[name] = value;
    o["i"] = std::move(items);
  }
  if (!c.challenge.empty()) o["c"] = c.challenge;
  if (!c.scopes.empty()) {
    boost::json::array scopes;
    for (const auto& scope : c.scopes) scopes.emplace_back(boost::json::string_view(scope));
    o["a"] = std::move(scopes);
  }
  return keys.seal(boost::json::serialize(o), purpose);
}

result<sign_in_correlation, std::string> open_correlation(const key_ring& keys, std::string_view sealed, std::string_view returned_state,
                                                          std::chrono::system_clock::time_point now, std::chrono::seconds max_age) {
  auto opened = keys.open(sealed, purpose);
  if (!opened) return failure{"the sign-in correlation cookie is " + std::string(to_string(opened.error()))};
  auto doc = json_object::parse(*opened);
  if (!doc) return failure{std::string("the sign-in correlation cookie holds no correlation")};
  sign_in_correlation c{doc->string("s").value_or(""),
                        doc->string("n").value_or(""),
                        doc->string("v").value_or(""),
                        doc->string("r").value_or("/"),
                        doc->string("f").value_or(""),
                        instant_from_untrusted(doc->integer("t").value_or(0)),
                        doc->strings("a").value_or(std::vector<std::string>{}),
                        {},
                        doc->string("c").value_or("")};
  if (auto items = doc->object("i"))
    for (const auto& name : items->keys()) c.items.emplace_back(name, items->string(name).value_or(""));
  if (c.state.empty() || !crypto::constant_time_equals(c.state, returned_state))
    return failure{std::string("the state the authority returned does not match a sign-in this browser started recently")};
  if (now - c.issued > max_age || c.issued - now > std::chrono::minutes(5)) return failure{std::string("the sign-in took too long; start again")};
  return c;
}

} // namespace onbehalf::identity

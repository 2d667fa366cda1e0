#include "onbehalf/http/principal.hpp"

#include "onbehalf/core/text.hpp"

#include <algorithm>

namespace onbehalf::http {

std::optional<std::string_view> principal::claim(std::string_view type) const {
  for (const auto& [t, v] : claims)
    if (t == type) return v;
  return std::nullopt;
}

bool principal::has_claim(std::string_view type, std::string_view value) const {
  for (const auto& [t, v] : claims) {
    if (t != type) continue;
    if (v == value) return true;
    if (type == "scp") {
      for (auto scope : text::split(v, ' '))
        if (scope == value) return true;
    }
  }
  return false;
}

std::string_view principal::display_name() const {
  if (auto n = claim("name"); n && !n->empty()) return *n;
  if (auto u = claim("preferred_username"); u && !u->empty()) return *u;
  return home_account_id;
}

std::string_view principal::username() const { return claim("preferred_username").value_or(std::string_view()); }

bool claim_requirement::satisfied_by(const principal& user) const {
  return std::any_of(any_of.begin(), any_of.end(), [&](const std::string& value) { return user.has_claim(type, value); });
}

} // namespace onbehalf::http

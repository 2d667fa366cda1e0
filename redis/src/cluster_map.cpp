#include "cluster_map.hpp"

#include "onbehalf/redis/slots.hpp"

#include <charconv>

namespace onbehalf::redis::detail {

namespace {

std::optional<long long> number_in(std::string_view text) {
  long long n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

bool valid_port(long long p) { return p > 0 && p <= 65535; }

// Host names and addresses as Redis reports them: printable, no spaces, not absurdly long.
bool plausible_host(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  for (unsigned char c : h)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

} // namespace

result<slot_map, std::string> parse_cluster_slots(const reply& r, const endpoint& asked) {
  if (!r.is_array()) return failure{std::string("CLUSTER SLOTS did not answer with a list")};
  if (r.elements.size() > slot_count) return failure{std::string("CLUSTER SLOTS listed more ranges than there are slots")};
  slot_map map;
  for (const auto& range : r.elements) {
    if (!range.is_array() || range.elements.size() < 3) return failure{std::string("a slot range in CLUSTER SLOTS is malformed")};
    const auto& first = range.elements[0];
    const auto& last = range.elements[1];
    const auto& master = range.elements[2];
    if (first.type != reply::kind::integer || last.type != reply::kind::integer || first.integer < 0 || last.integer >= slot_count ||
        first.integer > last.integer)
      return failure{std::string("a slot range in CLUSTER SLOTS is out of bounds")};
    if (!master.is_array() || master.elements.size() < 2 || master.elements[1].type != reply::kind::integer ||
        !valid_port(master.elements[1].integer))
      return failure{std::string("a master in CLUSTER SLOTS has no usable address")};
    endpoint owner;
    const auto& host = master.elements[0].text;
    owner.host = host.empty() || host == "?" ? asked.host : host;
    if (!plausible_host(owner.host)) return failure{std::string("a master in CLUSTER SLOTS has a malformed host")};
    owner.port = static_cast<std::uint16_t>(master.elements[1].integer);
    map.ranges.push_back({static_cast<std::uint16_t>(first.integer), static_cast<std::uint16_t>(last.integer), std::move(owner)});
  }
  if (map.ranges.empty()) return failure{std::string("the cluster serves no slots yet")};
  return map;
}

std::optional<redirection> parse_redirection(std::string_view text) {
  redirection r;
  if (text.starts_with("MOVED ")) {
    r.moved = true;
    text.remove_prefix(6);
  } else if (text.starts_with("ASK ")) {
    text.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto slot = number_in(text.substr(0, space));
  auto address = text.substr(space + 1);
  auto colon = address.rfind(':');
  if (!slot || *slot < 0 || *slot >= slot_count || colon == std::string_view::npos) return std::nullopt;
  auto port = number_in(address.substr(colon + 1));
  auto host = address.substr(0, colon);
  if (!port || !valid_port(*port) || !plausible_host(host)) return std::nullopt;
  r.slot = static_cast<std::uint16_t>(*slot);
  r.to = {std::string(host), static_cast<std::uint16_t>(*port)};
  return r;
}

} // namespace onbehalf::redis::detail

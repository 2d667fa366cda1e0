// Request heads read without Beast, for the requests most traffic is: a GET of a page with a
// few headers and a long Cookie. Beast's parser checks a field value one character at a time
// through a table, twice as costly as everything else the server does with a request's bytes;
// here a value is checked eight bytes at a time.
//
// Only a strict subset is read: a head that is whole in the buffer, HTTP/1.0 or 1.1, a token
// method, a target of visible ASCII, fields of token names and values without control
// characters, CRLF line ends, and no Content-Length, Transfer-Encoding, Expect or Upgrade (so no
// body and no upgrade: there is nothing whose length two parsers could read differently). The
// rest is declined, untouched, for Beast's parser to read or refuse as it always has. Private to
// http/ (and its tests).
#pragma once

#include "onbehalf/http/message.hpp"

#include <cstddef>
#include <optional>
#include <string_view>

namespace onbehalf::http::detail {

struct simple_head {
  std::size_t size = 0;   // bytes of the head, its blank line included
  int version = 11;       // 10 or 11
  bool keep_alive = true; // the connection may carry another request after this one
};

/// Reads the request head at the start of `bytes` into `target` (method, target, path, query,
/// headers) when it is whole, no longer than `max_head_bytes` and in the subset above; otherwise
/// nullopt, and `target` is as it was.
std::optional<simple_head> read_simple_request_head(std::string_view bytes, std::size_t max_head_bytes, request& target);

} // namespace onbehalf::http::detail

// Message heads read without Beast, for the messages most traffic is: a GET of a page with a
// few headers and a long Cookie, and an API's answer with a Content-Length. Beast's parser checks a field value one character at a time
// through a table, twice as costly as everything else the server does with a request's bytes;
// here a value is checked eight bytes at a time.
//
// Only a strict subset is read: a head that is whole in the buffer, HTTP/1.0 or 1.1, fields of
// token names and values without control characters, CRLF line ends, a Connection field of
// "close" or "keep-alive" if any, and no Proxy-Connection (which Beast reads as Connection). A
// request also needs a token method, a target of visible ASCII, and no Content-Length,
// Transfer-Encoding, Expect or Upgrade (so it has no body and asks for no upgrade). A response
// needs a final status that has a body (not 1xx, 204 or 304), exactly one Content-Length of
// digits, and no Transfer-Encoding or Upgrade. There is then nothing whose length two parsers
// could read differently. The rest is declined, untouched, for Beast's parser to read or refuse
// as it always has. Private to http/ (and its tests).
#pragma once

#include "onbehalf/http/client.hpp"
#include "onbehalf/http/message.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace onbehalf::http::detail {

/// The fields that decide how a message is framed. Every field of every message, read or
/// written, is classified, so names are told apart by length before any comparison.
enum class field_kind { other, host, connection, proxy_connection, content_length, transfer_encoding, expect, upgrade };
field_kind kind_of(std::string_view name);

struct simple_head {
  std::size_t size = 0;   // bytes of the head, its blank line included
  int version = 11;       // 10 or 11
  bool keep_alive = true; // the connection may carry another request after this one
};

/// Reads the request head at the start of `bytes` into `target` (method, target, path, query,
/// headers) when it is whole, no longer than `max_head_bytes` and in the subset above; otherwise
/// nullopt, and `target` is as it was.
std::optional<simple_head> read_simple_request_head(std::string_view bytes, std::size_t max_head_bytes, request& target);

struct simple_response_head : simple_head {
  std::uint64_t content_length = 0; // the body's bytes, which follow the head
};

/// Reads the response head at the start of `bytes` into `target` (status, headers) when it is
/// whole, no longer than `max_head_bytes` and in the subset above; otherwise nullopt, and
/// `target` is as it was. Not for the answer to a HEAD request, whose Content-Length is not its
/// body's: the caller leaves those to Beast.
std::optional<simple_response_head> read_simple_response_head(std::string_view bytes, std::size_t max_head_bytes, client_response& target);

/// How much of a request head has arrived, checked line by line as RFC 9112 writes it: every
/// line ends in CRLF, and a field line is a token name, a colon, and a value without control
/// characters but HTAB. Beast 1.81 is more lenient (it unfolds obs-fold, takes a bare LF), so the
/// server lets it read only a head that passed this scan whole.
struct head_scan {
  enum class state { incomplete, whole, malformed } state = state::incomplete;
  std::size_t size = 0;     // whole: the head's bytes, its blank line included
  const char* problem = ""; // malformed: what, in plain words
};
head_scan scan_request_head(std::string_view bytes);

/// The first byte from `p` that cannot be inside a field value: a control character other than
/// HTAB, or DEL (in a well-formed line, its CR); `end` when there is none. Two ways, one per
/// processor family, which must agree (the tests compare them): eight bytes at a time in plain
/// C++, sixteen with SSE2; value_end takes the processor's.
const char* value_end(const char* p, const char* end);
const char* value_end_swar(const char* p, const char* end);
#if defined(__SSE2__)
const char* value_end_sse2(const char* p, const char* end);
#endif

} // namespace onbehalf::http::detail

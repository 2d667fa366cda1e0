// HTTP/1.1 messages written straight from onbehalf's own request and response values into one
// buffer: no Beast message in between (its field list allocates a node per field, and its
// serializer walks a buffer sequence per write, which a profile of the sample app showed as a
// tenth of its time). readers.hpp does the same for reading. Private to http/.
#pragma once

#include "onbehalf/http/message.hpp"

#include <array>
#include <string>
#include <string_view>

namespace onbehalf::http::detail {

/// Writes a response head and body into `out` (its capacity is reused). Content-Length and
/// Connection are the server's to write; a handler's own are ignored. A field whose name is not a
/// token or whose value is not writable_field is left out and logged, so no handler can split a
/// response.
/// `head_request`: the body is left out, Content-Length still says its size. An HTTP/1.0 client
/// (`http10`) is told "Connection: keep-alive" when the connection stays open, as it expects.
void write_response(std::string& out, const response& r, bool keep_alive, bool head_request, bool http10 = false);

/// Writes a request head and body into `out`: the given Host unless the headers carry one,
/// Content-Length for a body (and for an empty POST, PUT or PATCH). The method must be a token
/// and the target a request target (callers check both first): they are written as given.
void write_request(std::string& out, std::string_view method, std::string_view target, std::string_view host, const header_list& headers,
                   std::string_view body);

/// True when a field value can be written on one header line and read back: no control
/// character but HTAB, and no DEL (a CR or LF would end the line; receivers refuse the others).
bool writable_field(std::string_view text);

// Every header name of every message is checked a character at a time: a table keeps that cheap,
// and inline, since readers call it per character.
inline constexpr auto token_characters = [] {
  std::array<bool, 256> t{};
  for (unsigned char c = '0'; c <= '9'; ++c) t[c] = true;
  for (unsigned char c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) t[c] = true;
  return t;
}();

/// True for a character an RFC 9110 token may hold.
inline bool is_tchar(char c) { return token_characters[static_cast<unsigned char>(c)]; }

/// True for an RFC 9110 token: what a method or a field name must be.
bool is_token(std::string_view text);

/// True for text that can stand as a request line's target: no spaces or control characters.
bool is_request_target(std::string_view text);

} // namespace onbehalf::http::detail

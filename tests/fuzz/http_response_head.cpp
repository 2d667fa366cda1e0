// The HTTP client reads an answer's head with its own simple reader when it can, and with
// Beast's parser otherwise. Whatever the simple reader takes, Beast must read the same way —
// status, version, keep-alive, every field, where the body starts and how long it is — or the
// client could take part of one answer's body for the next answer on a pooled connection.
#include "fuzz.hpp"
#include "readers.hpp"
#include "simple_head.hpp"

#include <boost/asio/buffer.hpp>

#include <limits>

using namespace onbehalf;
using namespace onbehalf::http::detail;

namespace {
constexpr std::size_t header_limit = 16 * 1024; // the client's response_header_limit
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = fuzz::as_text(data, size);

  http::client_response simple;
  auto head = read_simple_response_head(bytes, header_limit, simple);

  http::client_response beast_read;
  response_reader parser(beast_read);
  parser.header_limit(header_limit);
  // The client sets its own body limit and refuses a longer Content-Length itself, after either reader.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.eager(false);
  boost::beast::error_code ec;
  auto used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (!head) {
    FUZZ_REQUIRE(simple.status == 0 && simple.headers.all().empty()); // declined untouched
    return 0;
  }
  FUZZ_REQUIRE(!ec && parser.is_header_done());
  FUZZ_REQUIRE(used == head->size);
  FUZZ_REQUIRE(beast_read.status == simple.status);
  FUZZ_REQUIRE(parser.keep_alive() == head->keep_alive);
  FUZZ_REQUIRE(!parser.chunked());
  FUZZ_REQUIRE(parser.content_length() && *parser.content_length() == head->content_length);
  const auto &a = beast_read.headers.all(), &b = simple.headers.all();
  FUZZ_REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) FUZZ_REQUIRE(a[i].name == b[i].name && a[i].value == b[i].value);
  return 0;
}

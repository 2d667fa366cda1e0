// The server reads a request head two ways: its own simple reader for the common case, Beast's
// parser (after a strict line scan) for the rest. Whatever the simple reader takes, Beast must
// read the same way — method, target, version, keep-alive, every field, and the same length —
// or a proxy and the server could disagree on where a request ends. Beast's reading then passes
// through the framing checks, whose verdict must agree with what Beast would do with the body.
#include "framing.hpp"
#include "fuzz.hpp"
#include "readers.hpp"
#include "simple_head.hpp"

#include <boost/asio/buffer.hpp>

using namespace onbehalf;
using namespace onbehalf::http::detail;

namespace {

constexpr std::size_t header_limit = 8192; // the server's default max_request_header_bytes

bool same_fields(const http::header_list& a, const http::header_list& b) {
  const auto &x = a.all(), &y = b.all();
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i].name != y[i].name || x[i].value != y[i].value) return false;
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = fuzz::as_text(data, size);

  http::request simple;
  auto head = read_simple_request_head(bytes, header_limit, simple);
  if (!head) FUZZ_REQUIRE(simple.method.empty() && simple.target.empty() && simple.headers.all().empty()); // declined untouched

  auto scan = scan_request_head(bytes);
  // What the simple reader takes is well-formed by the strict scan too, and ends at the same byte.
  if (head) FUZZ_REQUIRE(scan.state == head_scan::state::whole && scan.size == head->size);
  // The server gives Beast only a head the scan found whole (server.cpp).
  if (scan.state != head_scan::state::whole) return 0;

  http::request beast_read;
  request_reader parser(beast_read);
  parser.header_limit(header_limit);
  parser.eager(false);
  boost::beast::error_code ec;
  auto used = parser.put(boost::asio::buffer(bytes.data(), scan.size), ec);
  if (head) {
    FUZZ_REQUIRE(!ec && parser.is_header_done());
    FUZZ_REQUIRE(used == head->size);
    FUZZ_REQUIRE(parser.is_done()); // no body: the next byte is the next request's
    FUZZ_REQUIRE(beast_read.method == simple.method && beast_read.target == simple.target);
    FUZZ_REQUIRE(beast_read.path == simple.path && beast_read.query == simple.query);
    FUZZ_REQUIRE(parser.version() == head->version && parser.keep_alive() == head->keep_alive);
    FUZZ_REQUIRE(same_fields(beast_read.headers, simple.headers));
    FUZZ_REQUIRE(!refuse_framing(simple.headers, head->version)); // its framing is beyond doubt
  }
  // A head the scan calls whole is all Beast needs: it never waits for more of it (the server
  // would wait for bytes the client will not send, until the request timeout).
  FUZZ_REQUIRE(ec != boost::beast::http::error::need_more);
  if (ec || !parser.is_header_done()) return 0;
  FUZZ_REQUIRE(used == scan.size); // the scan and Beast end the head at the same byte

  auto refusal = refuse_framing(beast_read.headers, parser.version());
  if (refusal) {
    FUZZ_REQUIRE(refusal->status == 400 || refusal->status == 501);
    return 0;
  }
  // Accepted framing is one Beast reads the same way: chunked exactly when a Transfer-Encoding
  // came, else the one Content-Length, digit for digit.
  auto te = beast_read.headers.find("Transfer-Encoding");
  FUZZ_REQUIRE(parser.chunked() == te.has_value());
  if (auto cl = beast_read.headers.find("Content-Length"); cl && !te) {
    FUZZ_REQUIRE(parser.content_length().has_value());
    FUZZ_REQUIRE(std::to_string(*parser.content_length()) == std::string(*cl).erase(0, std::min(cl->find_first_not_of('0'), cl->size() - 1)));
  }
  return 0;
}

// The reads that tell Asio a socket is drained (drained_read.hpp) must never miss bytes that
// arrive after them, whenever the event loop notices those bytes.
#include "drained_read.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using onbehalf::http::detail::drained_read_buffer;
using onbehalf::http::detail::end_waits_unseen;

namespace {

struct connected_pair {
  asio::io_context context;
  tcp::socket reader{context};
  tcp::socket writer{context};

  connected_pair() {
    tcp::acceptor acceptor(context, {asio::ip::make_address("127.0.0.1"), 0});
    writer.connect(acceptor.local_endpoint());
    acceptor.accept(reader);
  }

  void send(const std::string& bytes) { asio::write(writer, asio::buffer(bytes)); }

  // One read through the drained buffer type; what it brought, or nothing if it did not finish in time.
  std::optional<std::string> read(std::size_t buffer_size = 64) {
    std::string space(buffer_size, '\0');
    std::optional<std::string> got;
    reader.async_read_some(drained_read_buffer(asio::buffer(space)), [&](boost::system::error_code ec, std::size_t n) {
      got = ec ? std::string("error: ") + ec.message() : space.substr(0, n);
    });
    context.restart();
    context.run_for(std::chrono::seconds(2));
    return got;
  }

  // Lets the event loop look at the sockets while no read is waiting, as a busy server does
  // between a request and the next read.
  void poll_events_without_a_read() {
    auto guard = asio::make_work_guard(context);
    context.restart();
    for (int i = 0; i < 5; ++i) context.poll();
  }
};

} // namespace

TEST_CASE("a drained read waits for bytes that come later") {
  connected_pair p;
  p.send("first");
  REQUIRE(p.read() == "first");
  p.writer.async_send(asio::buffer("second", 6), [](auto, auto) {});
  CHECK(p.read() == "second");
}

TEST_CASE("a drained read gets bytes the event loop saw arrive while no read was waiting") {
  connected_pair p;
  p.send("first");
  REQUIRE(p.read() == "first"); // short: the socket is marked drained
  p.send("second");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  p.poll_events_without_a_read(); // the edge for "second" is taken now, with no read to hand it to
  CHECK(p.read() == "second");
}

TEST_CASE("a read that fills its buffer does not mark the socket drained") {
  connected_pair p;
  p.send("0123456789abcdef");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  p.poll_events_without_a_read(); // no edge is left to come for the bytes not read yet
  REQUIRE(p.read(8) == "01234567");
  CHECK(p.read(8) == "89abcdef");
  p.send("tail");
  CHECK(p.read(8) == "tail");
}

TEST_CASE("a drained read sees the peer close the connection") {
  connected_pair p;
  p.send("last words");
  REQUIRE(p.read() == "last words");
  p.writer.close();
  auto end = p.read();
  REQUIRE(end);
  CHECK(end->starts_with("error: "));
}

TEST_CASE("an end of stream that came with the bytes of a short read is found without taking anything") {
  connected_pair p;
  p.send("answer");
  p.writer.shutdown(tcp::socket::shutdown_send);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(p.read() == "answer");
  CHECK(end_waits_unseen(p.reader.native_handle()));
}

TEST_CASE("no end of stream is found while the peer keeps the connection open, and waiting bytes stay") {
  connected_pair p;
  p.send("answer");
  REQUIRE(p.read() == "answer");
  CHECK_FALSE(end_waits_unseen(p.reader.native_handle()));
  p.send("more");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(end_waits_unseen(p.reader.native_handle()));
  CHECK(p.read() == "more");
}

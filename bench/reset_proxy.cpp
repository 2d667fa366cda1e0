// A TCP proxy that can be told to reset connections: bench/faults puts it between the app and the
// sample API, to show what users see while an API resets connections (RST, no answer) and that
// the app serves them again once it stops.
//   bench_reset_proxy LISTEN_PORT TARGET_PORT
// SIGUSR1: from now on, a connection whose client sends anything is reset (both sides, with RST);
// SIGUSR2: forward again; SIGTERM or SIGINT: stop, printing how many connections were reset.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// One io_context on one thread: these need no synchronisation.
bool resetting = false;
long resets = 0;

struct link {
  tcp::socket client;
  tcp::socket server;

  void close() {
    boost::system::error_code ignored;
    client.close(ignored);
    server.close(ignored);
  }
  // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
  void reset() {
    boost::system::error_code ignored;
    client.set_option(asio::socket_base::linger(true, 0), ignored);
    server.set_option(asio::socket_base::linger(true, 0), ignored);
    close();
    ++resets;
  }
};

asio::awaitable<void> pump(std::shared_ptr<link> l, tcp::socket& from, tcp::socket& to, bool from_client) {
  std::array<char, 16384> buffer;
  for (;;) {
    auto [read_error, n] = co_await from.async_read_some(asio::buffer(buffer), use_tuple);
    if (read_error) co_return l->close();
    if (from_client && resetting) co_return l->reset();
    auto [write_error, written] = co_await asio::async_write(to, asio::buffer(buffer.data(), n), use_tuple);
    if (write_error) co_return l->close();
  }
}

asio::awaitable<void> forward(tcp::socket client, tcp::endpoint target) {
  auto executor = client.get_executor();
  auto l = std::make_shared<link>(link{std::move(client), tcp::socket(executor)});
  auto [connect_error] = co_await l->server.async_connect(target, use_tuple);
  if (connect_error) co_return l->reset();
  asio::co_spawn(executor, pump(l, l->client, l->server, true), asio::detached);
  asio::co_spawn(executor, pump(l, l->server, l->client, false), asio::detached);
}

asio::awaitable<void> accept(tcp::acceptor& acceptor, tcp::endpoint target) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), forward(std::move(socket), target), asio::detached);
  }
}

void on_signal(asio::signal_set& signals, tcp::acceptor& acceptor, asio::io_context& io) {
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGUSR1 || signal == SIGUSR2) {
      resetting = signal == SIGUSR1;
      if (resetting)
        std::cerr << "resetting connections\n";
      else
        std::cerr << "forwarding again; reset " << resets << " connections so far\n";
      return on_signal(signals, acceptor, io);
    }
    std::cout << "reset " << resets << " connections\n" << std::flush;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    io.stop();
  });
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: bench_reset_proxy LISTEN_PORT TARGET_PORT\n";
    return 2;
  }
  auto port = [](const char* text) { return static_cast<unsigned short>(std::atoi(text)); };
  auto loopback = asio::ip::make_address("127.0.0.1");
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(loopback, port(argv[1])));
  asio::signal_set signals(io, SIGUSR1, SIGUSR2, SIGTERM);
  signals.add(SIGINT);
  on_signal(signals, acceptor, io);
  asio::co_spawn(io, accept(acceptor, tcp::endpoint(loopback, port(argv[2]))), asio::detached);
  io.run();
}

// The baseline for bench/http-front: a bare Beast coroutine server answering every request
// with the same body as onbehalf's /healthz, with nothing between the socket and the answer.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "onbehalf/core/stop_signals.hpp"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request<bhttp::string_body> request;
    auto [read_ec, n] = co_await bhttp::async_read(stream, buffer, request, use_tuple);
    if (read_ec) co_return;
    bhttp::response<bhttp::string_body> response{bhttp::status::ok, 11};
    response.set(bhttp::field::content_type, "application/json");
    response.keep_alive(request.keep_alive());
    response.body() = "{\"status\":\"ok\"}";
    response.prepare_payload();
    auto [write_ec, m] = co_await bhttp::async_write(stream, response, use_tuple);
    if (write_ec || !request.keep_alive()) co_return;
  }
}

asio::awaitable<void> accept(tcp::acceptor& acceptor, std::vector<std::unique_ptr<asio::io_context>>& lanes) {
  for (std::size_t next = 0;; ++next) {
    tcp::socket socket(*lanes[next % lanes.size()]);
    auto [ec] = co_await acceptor.async_accept(socket, use_tuple);
    if (ec) co_return;
    asio::co_spawn(socket.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: bench_bare_server PORT IO_THREADS\n";
    return 2;
  }
  onbehalf::block_stop_signals();

  std::vector<std::unique_ptr<asio::io_context>> lanes;
  for (int i = 0; i < std::max(1, std::atoi(argv[2])); ++i) lanes.push_back(std::make_unique<asio::io_context>(1));
  tcp::acceptor acceptor(*lanes[0], {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::atoi(argv[1]))});
  asio::co_spawn(*lanes[0], accept(acceptor, lanes), asio::detached);
  std::vector<std::thread> threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  for (auto& lane : lanes) {
    work.push_back(asio::make_work_guard(*lane));
    threads.emplace_back([&lane] { lane->run(); });
  }
  onbehalf::wait_for_stop_signal();
  for (auto& lane : lanes) lane->stop();
  for (auto& t : threads) t.join();
  return 0;
}

// The Beast/Asio headers and short names the server and the client share. Private to http/.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace onbehalf::http {

class client;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
// Every I/O object runs on one lane's io_context. Its own executor type, rather than the
// type-erased any_io_executor, spares a copy and an indirect call in every operation.
using executor = asio::io_context::executor_type;
using tcp_socket = asio::basic_stream_socket<tcp, executor>;
using tcp_acceptor = asio::basic_socket_acceptor<tcp, executor>;
using tcp_resolver = asio::ip::basic_resolver<tcp, executor>;
using steady_timer = asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>, executor>;
template <class T>
using awaitable = asio::awaitable<T, executor>;
inline constexpr asio::use_awaitable_t<executor> use_awaitable{};

/// Completion token for coroutines that check error codes instead of catching exceptions.
inline constexpr auto use_tuple = asio::as_tuple(use_awaitable);

namespace detail {

/// The I/O context a server's I/O thread runs, on that thread; null on every other thread. A
/// client that shares a server's I/O threads runs a request made on one of them on that thread.
inline thread_local asio::io_context* current_io_lane = nullptr;

/// How a server lends its I/O threads to a client (see server::share_io_threads_with).
struct lane_access {
  /// Requests the client sends from one of these contexts' threads will run on that thread.
  static std::shared_ptr<void> attach(client& c, const std::vector<asio::io_context*>& contexts);
  /// Closes the client's pooled connections on a lent context and stops using it. Runs on that
  /// context's thread, or once it no longer runs; idempotent. `attachment` is what attach returned.
  static void detach(const std::shared_ptr<void>& attachment, asio::io_context& context);
};

} // namespace detail

} // namespace onbehalf::http

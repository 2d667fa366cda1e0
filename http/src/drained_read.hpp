// A read whose short count tells Asio the socket is drained. Private to http/.
//
// Asio registers every socket with epoll edge-triggered and, before it waits for an edge, tries
// every read once ("speculatively"). It only learns that a socket is empty from a read that finds
// nothing, so a server that answers one request and reads for the next, or a client that sends a
// request and reads for the answer, makes one recv() per message that fails with EAGAIN. A
// stream read that returns fewer bytes than asked for has taken all the data the kernel held,
// and any byte that arrives after it raises a new edge; so such a read may end the speculation,
// and the next read waits for that edge instead.
//
// One thing can hide behind a short read: the peer's FIN, when it came with the data. It raises
// no later edge, so a read after it would wait for its timeout instead of seeing the end at once
// (nginx learns of such a FIN from EPOLLRDHUP, which Asio does not ask for). Hence:
// - The server reads only the start of a request this way. A client that half-closes after a
//   keep-alive request has its connection closed at the keep-alive timeout rather than at once;
//   one that closes in the middle of a request, at the request timeout, as a slow one would.
// - The HTTP client reads the start of an answer this way, and before it reads more of the same
//   answer it looks for a hidden end (`end_waits_unseen`), so an API that closes in the middle
//   of its answer is reported at once. Before the next request on the connection nothing needs
//   looking: a request to a closed socket brings a reset, and the reset raises an edge. (Not so
//   for a server that says keep-alive, closes its side in the same breath and goes on reading
//   without answering: the next request on that connection waits for its timeout. No server
//   seen does that; a look before every reuse would cost the system call saved.)
//
// Asio has the switch (the reactor's `try_speculative_`, set again by every edge, under the same
// lock as the speculative read) but flips it only on end of stream. `drained_read_buffer` is a
// buffer type of our own, and Asio's receive operation for it is specialised below to flip it on
// a short read as well. Everything else about the operation is Asio's own.
#pragma once

// reactive_socket_recv_op.hpp needs socket_base.hpp before it: a block of its own keeps the order.
#include <boost/asio/socket_base.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/detail/reactive_socket_recv_op.hpp>
#include <boost/version.hpp>

#include <cerrno>
#include <cstddef>

#include <sys/socket.h>

namespace onbehalf::http::detail {

/// One buffer for `async_read_some` on a plain TCP socket: a read that fills less of it than its
/// size marks the socket drained, so the next read waits for epoll rather than trying first.
struct drained_read_buffer : boost::asio::mutable_buffer {
  explicit drained_read_buffer(boost::asio::mutable_buffer b) : boost::asio::mutable_buffer(b) {}
};

/// After a short drained read on socket `fd`: whether the peer's end of stream, or a reset that
/// came with the data, waits behind it, which no later edge would announce. One recv() that
/// neither waits nor takes any data (it does take a pending error: later reads then find the
/// connection closed, at once).
inline bool end_waits_unseen(int fd) noexcept {
  char byte;
  auto got = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

} // namespace onbehalf::http::detail

#if BOOST_VERSION == 108100 && !defined(BOOST_ASIO_HAS_IOCP) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
namespace boost::asio::detail {

// The members and constructor are those of the primary template in Boost 1.81, which
// reactive_socket_recv_op derives from; only the status of a short read differs. Other Boost
// versions use Asio's own operation unchanged (the #if above).
template <>
class reactive_socket_recv_op_base<onbehalf::http::detail::drained_read_buffer> : public reactor_op {
public:
  reactive_socket_recv_op_base(const boost::system::error_code& success_ec, socket_type socket, socket_ops::state_type state,
                               const onbehalf::http::detail::drained_read_buffer& buffer, socket_base::message_flags flags, func_type complete_func)
      : reactor_op(success_ec, &reactive_socket_recv_op_base::do_perform, complete_func), socket_(socket), state_(state), buffer_(buffer),
        flags_(flags) {}

  static status do_perform(reactor_op* base) {
    auto* o = static_cast<reactive_socket_recv_op_base*>(base);
    const bool stream = (o->state_ & socket_ops::stream_oriented) != 0;
    if (!socket_ops::non_blocking_recv1(o->socket_, o->buffer_.data(), o->buffer_.size(), o->flags_, stream, o->ec_, o->bytes_transferred_))
      return not_done;
    // Asio's own test is the zero count of an end of stream or an error; a short read is ours.
    const bool drained = o->bytes_transferred_ == 0 || o->bytes_transferred_ < o->buffer_.size();
    return stream && drained ? done_and_exhausted : done;
  }

private:
  socket_type socket_;
  socket_ops::state_type state_;
  boost::asio::mutable_buffer buffer_;
  socket_base::message_flags flags_;
};

} // namespace boost::asio::detail
#endif

#pragma once
// Waiting for new input on a socket the caller has just drained, without a system call.
//
// Asio's epoll reactor registers every socket once, edge-triggered, for input. But its
// socket::async_wait re-arms the descriptor with epoll_ctl(EPOLL_CTL_MOD) on every call, because
// it cannot know whether the input that fired the last edge was consumed: the re-arm makes epoll
// report input that is already there. A relay that waits only after a read returned EAGAIN or
// fewer bytes than asked knows the socket was drained then, so any later input raises a new edge
// by itself: that re-arm is a wasted syscall, two per request per sidecar in keep-alive traffic
// (tests/bench/findings.md).
//
// EdgeReadWait queues a wait on the reactor the way Asio queues a speculative read (what
// async_read_some does): if an edge came since the last wait completed, it completes at once;
// otherwise it waits for the next edge, without touching the descriptor. Its operation "performs"
// with no I/O and reports the socket exhausted, which tells the reactor that the next wait need
// not look before waiting. This reaches into Asio's detail layer (epoll_reactor::start_op, the
// socket's implementation), so it is used only with the Asio version and reactor it was written
// against; anywhere else it is the plain async_wait.

#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/version.hpp>
#include <utility>

#include "proxy/net.hpp"

#if BOOST_ASIO_VERSION == 102600 && defined(BOOST_ASIO_HAS_EPOLL) && \
    !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) && !defined(BOOST_ASIO_HAS_IOCP)
#define MTLS_EDGE_READ_WAIT 1
#include <boost/asio/detail/bind_handler.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/memory.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#else
#define MTLS_EDGE_READ_WAIT 0
#endif

namespace mtls::proxy {

#if MTLS_EDGE_READ_WAIT
namespace edge_wait_detail {

namespace ad = boost::asio::detail;

// reactive_wait_op (boost/asio/detail/reactive_wait_op.hpp), except that perform() answers
// "done_and_exhausted": the reactor then clears its "try before waiting" flag for reads, set
// again by the next edge.
template <typename Handler, typename IoExecutor>
class EdgeWaitOp : public ad::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(EdgeWaitOp);

  EdgeWaitOp(const error_code& success_ec, Handler& handler, const IoExecutor& io_ex)
      : ad::reactor_op(success_ec, &EdgeWaitOp::do_perform, &EdgeWaitOp::do_complete),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status do_perform(ad::reactor_op*) { return done_and_exhausted; }

  static void do_complete(void* owner, ad::operation* base, const error_code&, std::size_t) {
    EdgeWaitOp* o = static_cast<EdgeWaitOp*>(base);
    ptr p = {ad::addressof(o->handler_), o, o};
    ad::handler_work<Handler, IoExecutor> w(std::move(o->work_));
    // Copy the handler out so the operation's memory is freed before the upcall (as Asio does).
    ad::binder1<Handler, error_code> handler(o->handler_, o->ec_);
    p.h = ad::addressof(handler.handler_);
    p.reset();
    if (owner) {
      ad::fenced_block b(ad::fenced_block::half);
      w.complete(handler, handler.handler_);
    }
  }

 private:
  Handler handler_;
  ad::handler_work<Handler, IoExecutor> work_;
};

// The socket's reactor registration lives in basic_socket's protected implementation object.
struct SocketAccess : tcp::socket {
  static auto& implementation(tcp::socket& s) {
    return (s.*(&SocketAccess::impl_)).get_implementation();
  }
};

}  // namespace edge_wait_detail
#endif

class EdgeReadWait {
 public:
  // Precondition: the last read of `socket` returned EAGAIN or fewer bytes than it asked for
  // (otherwise input that is already there may never be reported). May complete spuriously:
  // the caller reads, and waits again on EAGAIN. handler(error_code), on the socket's executor.
  template <class Handler>
  void async_wait(tcp::socket& socket, Handler&& handler) {
#if MTLS_EDGE_READ_WAIT
    namespace ad = boost::asio::detail;
    using Executor = tcp::socket::executor_type;
    using Op = edge_wait_detail::EdgeWaitOp<std::decay_t<Handler>, Executor>;
    auto& impl = edge_wait_detail::SocketAccess::implementation(socket);
    if (!reactor_)
      reactor_ = &net::use_service<ad::reactor>(
          net::query(socket.get_executor(), net::execution::context));
    std::decay_t<Handler> h(std::forward<Handler>(handler));
    typename Op::ptr p = {ad::addressof(h), Op::ptr::allocate(h), nullptr};
    p.p = new (p.v) Op(error_code(), h, socket.get_executor());
    // allow_speculative: complete at once only if an edge came since the last wait; no epoll_ctl
    // for reads either way.
    reactor_->start_op(ad::reactor::read_op, impl.socket_, impl.reactor_data_, p.p,
                       /*is_continuation=*/false, /*allow_speculative=*/true);
    p.v = p.p = nullptr;
#else
    socket.async_wait(tcp::socket::wait_read, std::forward<Handler>(handler));
#endif
  }

 private:
#if MTLS_EDGE_READ_WAIT
  boost::asio::detail::reactor* reactor_ = nullptr;
#endif
};

}  // namespace mtls::proxy

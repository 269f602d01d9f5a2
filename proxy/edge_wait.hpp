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
#include <sys/epoll.h>

#include <boost/asio/detail/bind_handler.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/memory.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/scheduler_operation.hpp>
#include <cstdint>
#else
#define MTLS_EDGE_READ_WAIT 0
#endif

namespace mtls::proxy {

#if MTLS_EDGE_READ_WAIT
namespace edge_wait_detail {

namespace ad = boost::asio::detail;
using DescriptorState = ad::epoll_reactor::descriptor_state;

// Asio keeps what we need private: the events the reactor asks epoll for, and the events of the
// edge being handled. An explicit instantiation may name private members (C++ [temp.spec]/6).
struct RegisteredEvents {
  using type = std::uint32_t DescriptorState::*;
  friend type member(RegisteredEvents);
};
struct ReadyEvents {
  using type = unsigned int ad::scheduler_operation::*;
  friend type member(ReadyEvents);
};
template <class Tag, typename Tag::type M>
struct Expose {
  friend typename Tag::type member(Tag) { return M; }
};
template struct Expose<RegisteredEvents, &DescriptorState::registered_events_>;
template struct Expose<ReadyEvents, &ad::scheduler_operation::task_result_>;

// The events of the edge being handled (the reactor stores them in the descriptor's state before
// it performs the queued operations). DescriptorState derives privately from scheduler_operation;
// only a C-style cast may name that base.
inline std::uint32_t ready_events(DescriptorState* state) {
  return ((ad::scheduler_operation*)state)->*member(ReadyEvents());
}

// reactive_wait_op (boost/asio/detail/reactive_wait_op.hpp), except that perform() answers
// "done_and_exhausted": the reactor then clears its "try before waiting" flag for reads, set
// again by the next edge. Not when the peer's FIN is in: the end of the stream raises no edge of
// its own if it came with (or before) the last data, so the flag stays set and the next wait
// completes at once, letting the reader see the end.
template <typename Handler, typename IoExecutor>
class EdgeWaitOp : public ad::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(EdgeWaitOp);

  EdgeWaitOp(const error_code& success_ec, Handler& handler, const IoExecutor& io_ex,
             DescriptorState* state)
      : ad::reactor_op(success_ec, &EdgeWaitOp::do_perform, &EdgeWaitOp::do_complete),
        handler_(std::move(handler)),
        work_(handler_, io_ex),
        state_(state) {}

  static status do_perform(ad::reactor_op* base) {
    auto* o = static_cast<EdgeWaitOp*>(base);
    return (ready_events(o->state_) & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ? done
                                                                          : done_and_exhausted;
  }

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
  DescriptorState* state_;
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
    auto* state = impl.reactor_data_;
    const auto registered = member(edge_wait_detail::RegisteredEvents());
    if (state && !(state->*registered & EPOLLRDHUP)) {
      // Asio registers sockets without EPOLLRDHUP; add it to the events its next re-arm asks
      // for, and let this one wait re-arm (one epoll_ctl per socket). Only this worker's thread
      // touches the descriptor's state (one thread runs its io_context).
      state->*registered |= EPOLLRDHUP;
      socket.async_wait(tcp::socket::wait_read, std::forward<Handler>(handler));
      return;
    }
    std::decay_t<Handler> h(std::forward<Handler>(handler));
    typename Op::ptr p = {ad::addressof(h), Op::ptr::allocate(h), nullptr};
    p.p = new (p.v) Op(error_code(), h, socket.get_executor(), state);
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

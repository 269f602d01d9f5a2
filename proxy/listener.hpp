#pragma once
// One worker's acceptor for one configured listener. Accepts, applies the per-worker share of
// max_connections, sets socket options and hands the socket to a new session. On EMFILE/ENFILE/
// ENOBUFS it backs off instead of re-arming at once (which spins a core at millions of errors/s).
// Worker-thread only.

#include <boost/asio/steady_timer.hpp>
#include <string>
#include <vector>

#include "certs/client_session_cache.hpp"
#include "proxy/listener_spec.hpp"
#include "proxy/upstream_connector.hpp"
#include "proxy/worker.hpp"

namespace mtls::proxy {
namespace http {
class UpstreamPool;
}

class Listener {
 public:
  static constexpr std::chrono::milliseconds kAcceptBackoff{100};

  // Binds with SO_REUSEPORT to spec.bound; throws std::system_error naming the listener.
  Listener(Worker& worker, const ListenerSpec& spec, unsigned max_connections);
  ~Listener();
  void start();
  void stop();

  const ListenerSpec& spec() const { return spec_; }
  UpstreamConnector& connector() { return connector_; }
  certs::ClientSessionCache& client_sessions() { return client_sessions_; }  // outbound only
  // forward: original_dst: the cache of one destinations[] rule. A session is only ever offered
  // to the destination that issued it; unlisted destinations do not resume (their set is open).
  certs::ClientSessionCache& client_sessions(const DestinationRule& rule) {
    return destination_sessions_[std::size_t(&rule - spec_.destinations.data())];
  }
  // Outbound protocol: http only: this worker's idle upstream connections of this listener.
  http::UpstreamPool& pool() { return *pool_; }
  // The session_id_context for SSLs made from `contexts` (cached; recomputed after a reload).
  const std::string& session_context(const std::shared_ptr<const certs::TlsContexts>& contexts);
  void session_ended() { --active_; }

 private:
  void do_accept();
  void on_accept(error_code ec, tcp::socket socket);

  Worker& worker_;
  const ListenerSpec& spec_;
  metrics::ListenerCounters& counters_;
  unsigned max_connections_;
  unsigned active_ = 0;
  tcp::acceptor acceptor_;
  net::steady_timer backoff_;
  UpstreamConnector connector_;
  certs::ClientSessionCache client_sessions_;
  // Sized once: an SSL being handshaken points into it.
  std::vector<certs::ClientSessionCache> destination_sessions_;
  std::shared_ptr<const certs::TlsContexts> sid_contexts_;
  std::string sid_;
  // Declared last: destroyed first, while the connector and session cache it uses still exist.
  std::unique_ptr<http::UpstreamPool> pool_;
};

// Keepalive and no-delay on both sides of every proxied connection. Set on a listening socket,
// Linux copies them into every socket it accepts (the child is cloned from the listener), so an
// accepted connection costs no setsockopt; upstream sockets get them one by one.
void tune_socket(int fd);

}  // namespace mtls::proxy

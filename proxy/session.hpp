#pragma once
// What inbound and outbound sessions share: accounting (active gauge, connection counters),
// the TLS handshake steps and their metrics, timeouts, and the one JSON log line at the end.
// A session lives on one worker; pending handlers own it through shared_from_this(), the
// worker's session list links it without owning it (auto-unlinked on destruction).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "certs/handshake_reason.hpp"
#include "certs/peer_check.hpp"
#include "metrics/worker_counters.hpp"
#include "proxy/relay.hpp"
#include "proxy/tls_stream.hpp"
#include "proxy/worker.hpp"

namespace mtls::proxy {

class Listener;

class Session : public std::enable_shared_from_this<Session>, public SessionLink {
 public:
  using Clock = std::chrono::steady_clock;

  Session(Listener& listener, Worker& worker);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  virtual void start() = 0;
  // From the worker's tick: enforce handshake/connect/idle deadlines.
  void on_tick(Clock::time_point now) override;
  // Close at once (worker stop, drain deadline).
  void abort(const char* reason) override;
  // After a trust reload: an established session whose peer the new trust refuses is closed.
  void on_trust_changed(const certs::TlsContexts& contexts) override;

 protected:
  enum class Phase { connect, handshake, relay, done };

  void enter(Phase phase);
  void touch() { active_since_tick_ = true; }
  // A deadline traffic does not extend (HTTP mode: a request head's, a kept-alive connection's
  // wait for the next request); the next enter() returns to the phase's own deadline.
  void set_fixed_deadline(Clock::time_point deadline) {
    deadline_ = deadline;
    fixed_deadline_ = true;
  }
  // Steps `tls` until the handshake completes, then calls on_handshake_ok(); failures end the
  // session.
  void do_handshake(TlsStream& tls, certs::PeerCheck& check);
  virtual void on_handshake_ok() = 0;
  virtual void close_streams() = 0;
  // Closes both sides with a reset and no close_notify: a failure passed on as one, so neither
  // peer takes a cut connection for a complete answer.
  virtual void reset_streams() = 0;
  // The TLS side ended with a FIN but no close_notify after the handshake.
  virtual bool tls_truncated() const = 0;
  // The socket of the other party of the TLS handshake (the refusal ring shows its address).
  virtual tcp::socket& tls_peer_socket() = 0;
  // Ends the session: closes streams, logs one line. `reason` uses DESIGN.md's label values.
  void finish(std::string_view result, std::string_view reason, std::string_view detail = {});
  // `detail` for the log line; empty: "cannot connect to <forward>".
  void fail_connect(metrics::ConnectFailure reason, std::string detail = {});
  // Connects `socket` to the listener's forward address (or to `to`: forward: original_dst)
  // under the connect deadline. A failure ends the session (a reset to the client); on success
  // the socket is tuned (no Nagle) and non-blocking, and `connected` runs.
  void connect_upstream(tcp::socket& socket, std::function<void()> connected,
                        std::optional<tcp::endpoint> to = std::nullopt);

  template <ByteStream Down, ByteStream Up>
  void start_relay(Relay<Down, Up>& relay) {
    enter(Phase::relay);
    relay.start(
        shared_from_this(),
        [this](metrics::Side side, std::size_t n) {
          counters_.bytes[metrics::index(side)].add(n);
          (side == metrics::Side::downstream ? bytes_from_downstream_ : bytes_from_upstream_) += n;
          touch();
        },
        [this](std::string failure) { relay_ended(failure); });
  }
  void relay_ended(const std::string& failure);  // "" = both sides ended in order
  // Refuses a peer the given check found wanting after the handshake; false when it is fine.
  bool refuse_after_handshake(const certs::HandshakeFailure& failure);
  std::string remote_address();  // "address:port" of tls_peer_socket(), "-" when not connected
  // The verified TLS connection on_trust_changed() re-checks. do_handshake() sets it; a session
  // whose connection was verified elsewhere (a pooled upstream) names it while it holds it, and
  // clears it (nullptr) before giving it back.
  void watch_verified_peer(SSL* ssl, const certs::PeerCheck* check) {
    verified_ssl_ = ssl;
    verified_check_ = check;
  }

  Listener& listener_;
  Worker& worker_;
  metrics::ListenerCounters& counters_;
  std::shared_ptr<const certs::TlsContexts> contexts_;  // declared before any stream: outlives SSLs
  std::string peer_ = "-";
  std::string tls_version_ = "-";
  std::string cipher_ = "-";
  std::uint64_t bytes_from_downstream_ = 0;
  std::uint64_t bytes_from_upstream_ = 0;
  bool timed_out_ = false;

 private:
  std::string remote_;  // set only on the way to a refusal
  Phase phase_ = Phase::connect;
  Clock::time_point started_;
  Clock::time_point phase_started_;
  Clock::time_point deadline_;
  bool active_since_tick_ = false;
  bool fixed_deadline_ = false;
  bool finished_ = false;
  // Set once the handshake succeeded (or by watch_verified_peer): what on_trust_changed()
  // re-verifies.
  SSL* verified_ssl_ = nullptr;
  const certs::PeerCheck* verified_check_ = nullptr;
};

}  // namespace mtls::proxy

#pragma once
// Both directions of a connection: downstream->upstream and upstream->downstream pumps.
// Reports once: `on_end("")` when both sides ended in order (each FIN/close_notify was passed on
// as a half-close), `on_end(why)` as soon as either direction failed (reset, error, timeout).

#include "metrics/labels.hpp"
#include "proxy/pump.hpp"

namespace mtls::proxy {

template <ByteStream Down, ByteStream Up>
class Relay {
 public:
  Relay(Down& down, Up& up, BufferPool& pool)
      : to_upstream_(down, up, pool), to_downstream_(up, down, pool) {}

  // on_bytes(metrics::Side from, size_t n); on_end(std::string failure). Handlers hold `owner`.
  template <class OnBytes, class OnEnd>
  void start(const std::shared_ptr<void>& owner, OnBytes on_bytes, OnEnd on_end) {
    on_end_ = std::move(on_end);
    to_upstream_.start(
        owner, [on_bytes](std::size_t n) { on_bytes(metrics::Side::downstream, n); },
        [this] { pump_ended(); });
    to_downstream_.start(
        owner, [on_bytes](std::size_t n) { on_bytes(metrics::Side::upstream, n); },
        [this] { pump_ended(); });
  }

 private:
  void pump_ended() {
    if (reported_) return;
    const bool failed =
        to_upstream_.state() == PumpEnd::failed || to_downstream_.state() == PumpEnd::failed;
    const bool both =
        to_upstream_.state() != PumpEnd::running && to_downstream_.state() != PumpEnd::running;
    if (failed || both) {
      reported_ = true;
      if (to_upstream_.state() == PumpEnd::failed)
        return on_end_("downstream->upstream " + to_upstream_.failure());
      if (to_downstream_.state() == PumpEnd::failed)
        return on_end_("upstream->downstream " + to_downstream_.failure());
      on_end_({});
    }
  }

  Pump<Down, Up> to_upstream_;
  Pump<Up, Down> to_downstream_;
  std::function<void(std::string)> on_end_;
  bool reported_ = false;
};

}  // namespace mtls::proxy

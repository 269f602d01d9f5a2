#include "metrics/status_board.hpp"

#include <boost/json.hpp>
#include <ctime>

namespace mtls::metrics {
namespace json = boost::json;
namespace {

std::string rfc3339_ms(std::int64_t unix_ms) {
  const std::time_t t = std::time_t(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", int(unix_ms % 1000));
  return buf;
}

double per_second(std::uint64_t n, const StatusHistory::Bucket& b) {
  const double seconds = double(b.end_ms - b.start_ms) / 1000.0;
  return seconds > 0 ? double(n) / seconds : 0.0;
}

// reason -> count, only the reasons that occurred (plus ok, always: the chart's baseline).
json::object by_reason(const ListenerTotals& t) {
  json::object out;
  for (std::size_t r = 0; r < kHandshakeReasons; ++r) {
    if (t.handshakes[r] > 0 || r == index(HandshakeReason::ok))
      out[name(static_cast<HandshakeReason>(r))] = t.handshakes[r];
  }
  return out;
}

// One array of counts per reason that occurred in the window, aligned with "bucket_starts".
json::object history_json(const std::vector<StatusHistory::Bucket>& buckets) {
  json::array starts;
  for (const auto& b : buckets) starts.emplace_back(b.start_ms);
  json::object series;
  for (std::size_t r = 0; r < kHandshakeReasons; ++r) {
    bool any = r == index(HandshakeReason::ok);
    for (const auto& b : buckets) any = any || b.delta.handshakes[r] > 0;
    if (!any) continue;
    json::array counts;
    for (const auto& b : buckets) counts.emplace_back(b.delta.handshakes[r]);
    series[name(static_cast<HandshakeReason>(r))] = std::move(counts);
  }
  return {{"bucket_starts_unix_ms", std::move(starts)},
          {"until_unix_ms", buckets.empty() ? 0 : buckets.back().end_ms},
          {"handshakes", std::move(series)}};
}

}  // namespace

StatusBoard::StatusBoard(const Metrics& metrics, std::vector<ListenerInfo> info,
                         std::chrono::milliseconds bucket, std::int64_t now_ms)
    : metrics_(metrics),
      info_(std::move(info)),
      bucket_(bucket),
      history_(now_ms, metrics.totals()) {}

std::int64_t StatusBoard::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void StatusBoard::tick(std::int64_t now_ms) { history_.tick(now_ms, metrics_.totals()); }

std::string StatusBoard::json(const StatusFacts& facts, std::int64_t now_ms) const {
  json::object doc;
  doc["now"] = rfc3339_ms(now_ms);
  doc["now_unix_ms"] = now_ms;
  doc["ready"] = facts.ready;
  doc["not_ready_reason"] = facts.not_ready_reason;
  doc["draining"] = facts.draining;
  // Runs inside an admin request's handler, which must not throw: a document that does not parse
  // shows as no identity rather than ending the request.
  boost::system::error_code unparsed;
  const json::value certs = json::parse(facts.certs_json, unparsed);
  for (const char* key : {"identity", "trust", "last_reload"}) {
    const json::value* v = certs.is_object() ? certs.as_object().if_contains(key) : nullptr;
    doc[key] = v ? *v : json::value(nullptr);
  }
  json::array crls;
  for (const CrlFact& c : facts.crls) {
    json::object crl{{"issuer", c.issuer}};
    if (c.next_update == 0) {
      crl["next_update"] = nullptr;
      crl["expires_in_seconds"] = nullptr;
    } else {
      crl["next_update"] = rfc3339_ms(c.next_update * 1000).substr(0, 19) + "Z";
      crl["expires_in_seconds"] = c.next_update - now_ms / 1000;
    }
    crls.push_back(std::move(crl));
  }
  doc["crls"] = std::move(crls);
  doc["bucket_seconds"] = double(bucket_.count()) / 1000.0;

  const auto& labels = metrics_.listeners();
  json::array listeners;
  for (std::size_t l = 0; l < labels.size(); ++l) {
    const ListenerTotals live = metrics_.totals(l);
    const StatusHistory::Bucket last = history_.last(l, now_ms, live);
    json::object failures;
    for (std::size_t r = 0; r < kConnectFailures; ++r)
      failures[name(static_cast<ConnectFailure>(r))] = live.connect_failures[r];
    json::array peers;
    for (const auto& [peer, n] : metrics_.top_peers(l, kPeers))
      peers.push_back({{"peer", peer}, {"connections", std::uint64_t(n)}});
    json::object one{{"name", labels[l].name},
                     {"direction", name(labels[l].direction)},
                     {"active", metrics_.active(l)},
                     {"connections_total", live.connections},
                     {"connections_per_second", per_second(last.delta.connections, last)},
                     {"bytes_per_second",
                      {{"downstream", per_second(last.delta.bytes[index(Side::downstream)], last)},
                       {"upstream", per_second(last.delta.bytes[index(Side::upstream)], last)}}},
                     {"upstream_connect_failures", std::move(failures)},
                     {"handshakes_total", by_reason(live)},
                     {"history", history_json(history_.buckets(l, now_ms, live))},
                     {"peers", std::move(peers)}};
    if (l < info_.size()) {
      one["listen"] = info_[l].listen;
      one["forward"] = info_[l].forward;
      one["protocol"] = info_[l].protocol;
    }
    listeners.push_back(std::move(one));
  }
  doc["listeners"] = std::move(listeners);

  json::array refusals;
  for (const auto& [l, r] : metrics_.recent_refusals(kRefusals)) {
    refusals.push_back({{"time", rfc3339_ms(r.unix_ms)},
                        {"unix_ms", r.unix_ms},
                        {"listener", labels[l].name},
                        {"direction", name(labels[l].direction)},
                        {"remote", r.remote},
                        {"reason", r.reason},
                        {"peer", r.peer}});
  }
  doc["refusals"] = std::move(refusals);
  return json::serialize(doc);
}

}  // namespace mtls::metrics

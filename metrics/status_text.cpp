#include "metrics/status_text.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <sstream>
#include <vector>

namespace mtls::metrics {
namespace json = boost::json;
namespace {

using Row = std::vector<std::string>;

std::string text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "-";
  if (v.is_double()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v.as_double());
    return buf;
  }
  return json::serialize(v);
}

const json::value& at(const json::value& v, std::string_view key) {
  static const json::value null;
  const json::value* found = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  return found ? *found : null;
}

// The same words as the page's colours: ok / < 7 days / expired.
std::string expiry(const json::value& seconds) {
  if (!seconds.is_number()) return "no date";
  const auto s = seconds.to_number<std::int64_t>();
  const std::string left =
      std::to_string(std::abs(s) / 86400) + "d " + std::to_string(std::abs(s) % 86400 / 3600) + "h";
  if (s <= 0) return "EXPIRED " + left + " ago";
  return (s < 7 * 86400 ? "< 7 DAYS, in " : "ok, in ") + left;
}

void table(std::ostringstream& out, const std::string& title, const Row& head,
           const std::vector<Row>& rows) {
  out << "\n" << title << "\n";
  std::vector<std::size_t> width(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
  for (const Row& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  auto line = [&](const Row& r) {
    std::string s = " ";
    for (std::size_t i = 0; i < r.size(); ++i) {
      s += " " + r[i];
      if (i + 1 < r.size()) s += std::string(width[i] - r[i].size() + 1, ' ');
    }
    out << s << "\n";
  };
  line(head);
  if (rows.empty()) out << "  (none)\n";
  for (const Row& r : rows) line(r);
}

}  // namespace

std::string status_text(const std::string& status_json) {
  const json::value doc = json::parse(status_json);
  if (!doc.is_object() || !doc.as_object().contains("listeners"))
    throw std::runtime_error("not a /status document");
  std::ostringstream out;
  const bool ready = at(doc, "ready").is_bool() && at(doc, "ready").as_bool();
  out << "mtls-sidecar at " << text(at(doc, "now")) << ": "
      << (at(doc, "draining") == true ? "DRAINING"
          : ready                     ? "ready"
                                      : "NOT READY: " + text(at(doc, "not_ready_reason")))
      << "\n";

  const json::value& id = at(doc, "identity");
  if (id.is_object()) {
    std::string names;
    for (const char* key : {"uri_sans", "dns_sans"})
      for (const auto& n : at(id, key).as_array()) names += (names.empty() ? "" : ", ") + text(n);
    out << "\nidentity " << names << "\n  serial " << text(at(id, "serial")) << ", source "
        << text(at(id, "source")) << "\n  not after " << text(at(id, "not_after")) << " ("
        << expiry(at(id, "expires_in_seconds")) << ")\n";
  } else {
    out << "\nidentity: none loaded\n";
  }
  const json::value& reload = at(doc, "last_reload");
  out << "  last reload " << text(at(reload, "at")) << " " << text(at(reload, "result"));
  if (at(reload, "error").is_string() && !at(reload, "error").as_string().empty())
    out << ": " << text(at(reload, "error"));
  out << "\n";

  std::vector<Row> trust;
  if (at(doc, "trust").is_array())
    for (const auto& t : at(doc, "trust").as_array())
      trust.push_back(
          {text(at(t, "subject")), text(at(t, "not_after")), expiry(at(t, "expires_in_seconds"))});
  for (const auto& c : at(doc, "crls").as_array())
    trust.push_back({"CRL " + text(at(c, "issuer")), text(at(c, "next_update")),
                     expiry(at(c, "expires_in_seconds"))});
  table(out, "trust", {"anchor / CRL", "not after / next update", "state"}, trust);

  std::vector<Row> listeners, handshakes, peers;
  for (const auto& l : at(doc, "listeners").as_array()) {
    std::uint64_t failed = 0;
    for (const auto& [k, v] : at(l, "upstream_connect_failures").as_object())
      failed += v.to_number<std::uint64_t>();
    listeners.push_back({text(at(l, "name")), text(at(l, "direction")),
                         text(at(l, "listen")) + " -> " + text(at(l, "forward")),
                         text(at(l, "protocol")), text(at(l, "active")),
                         text(at(l, "connections_per_second")),
                         text(at(at(l, "bytes_per_second"), "downstream")),
                         text(at(at(l, "bytes_per_second"), "upstream")), std::to_string(failed)});
    for (const auto& [reason, counts] : at(at(l, "history"), "handshakes").as_object()) {
      std::uint64_t n = 0;
      for (const auto& v : counts.as_array()) n += v.to_number<std::uint64_t>();
      handshakes.push_back({text(at(l, "name")), std::string(reason), std::to_string(n)});
    }
    for (const auto& p : at(l, "peers").as_array())
      peers.push_back({text(at(l, "name")), text(at(p, "peer")), text(at(p, "connections"))});
  }
  table(out, "listeners",
        {"name", "direction", "listen -> forward", "protocol", "active", "conn/s", "B/s down",
         "B/s up", "connect failures"},
        listeners);
  table(out, "handshakes, last 15 minutes", {"listener", "reason", "count"}, handshakes);
  table(out, "busiest peers", {"listener", "peer", "connections"}, peers);
  std::vector<Row> refusals;
  for (const auto& r : at(doc, "refusals").as_array())
    refusals.push_back({text(at(r, "time")), text(at(r, "listener")), text(at(r, "remote")),
                        text(at(r, "reason")), text(at(r, "peer"))});
  table(out, "recent refusals, newest first", {"time", "listener", "remote", "reason", "peer"},
        refusals);
  return out.str();
}

}  // namespace mtls::metrics

#pragma once
// The HTTP/1.1 engine of one downstream connection relayed to one upstream connection, written
// against ByteStream like the byte relay (reactor style, no Beast streams, no coroutines).
//
// Two halves run independently, each a loop that goes as far as it can and then arms exactly one
// wait: the request half reads requests from downstream, checks and rewrites their heads and
// streams their bodies upstream; the response half reads the answer from upstream and streams it
// back. Bodies are never held whole: at most ~16 KiB of each direction is in memory, and a slow
// reader stops the reading of the other side (backpressure). Requests are relayed one at a time:
// the next request head is read only after the previous response ended (pipelined bytes wait in
// the buffer). The upstream connection's lifetime is the engine's, not the app's: a downstream
// `Connection: close` closes downstream after its response and is not passed upstream.
//
// Single-threaded (the worker's); pending waits hold `owner` (the session) alive.

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "proxy/byte_stream.hpp"
#include "proxy/http/chunked_decoder.hpp"
#include "proxy/http/exchange_host.hpp"
#include "proxy/http/head.hpp"
#include "proxy/http/io_buffer.hpp"
#include "proxy/http/strict_head.hpp"

namespace mtls::proxy::http {

// A complete response the proxy writes itself (400, 403, 413, 431, 502, 503).
std::string error_response(unsigned status, bool close);

template <ByteStream Down, ByteStream Up>
class Exchange {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kFlushBytes = 16 * 1024;

  // `up` may be null: the session has no upstream connection (it could not get one), and its
  // on_request() refuses every request; nothing is read from or written to an upstream.
  Exchange(Down& down, Up* up, ExchangeHost& host, const config::HttpConfig& config)
      : down_(down), up_(up), host_(host), config_(config) {}

  void start(const std::shared_ptr<void>& owner) {
    owner_ = owner;
    req_run();
    resp_run();
  }
  // No handler acts after this (the session ended or the byte relay took over).
  void stop() { stopped_ = true; }

  // After ExchangeHost::on_upstream_lost() returned true: the exchange goes on over `up`, a fresh
  // upstream connection (sending the lost request again, whole, if there was one).
  void resume_on(Up& up) {
    up_ = &up;
    paused_ = false;
    req_run();
    resp_run();
  }

  // The upstream connection can carry another exchange: every response was read whole, the
  // upstream did not ask to close, no request is half-sent and nothing unasked arrived.
  bool upstream_reusable() const {
    return !up_busy_ && !up_broken_ && up_keep_alive_ && sin_.empty() && rout_.empty();
  }

  // After on_upstream_lost() returned true the host could not get another upstream connection:
  // nothing of the response was sent, so the request is answered `status` ourselves and the
  // connection closes.
  void answer_instead(unsigned status, metrics::HttpError e, std::string_view detail) {
    if (stopped_ || !paused_) return;
    paused_ = false;
    up_ = nullptr;
    host_.on_http_error(e, detail);
    close_reason_ = metrics::name(e);
    respond(status, true);
    req_run();
  }

  // For the session's deadline handling: what the engine was waiting for.
  Waiting waiting() const { return waiting_; }
  std::string_view close_reason() const { return close_reason_; }

 private:
  enum class Req { head, body, sent, respond, linger, closed };
  enum class Resp { idle, head, body, tunnel, done, closed };

  // ---- request half: downstream -> upstream ------------------------------------------------

  // Runs the request half as far as it can. Re-entrant calls (from the other half) do nothing:
  // the running loop sees the new state.
  void req_run() {
    if (stopped_ || paused_ || req_waiting_ || req_running_) return;
    req_running_ = true;
    for (bool more = true; more && !stopped_;) {
      switch (req_) {
        case Req::head:
          more = req_head();
          break;
        case Req::body:
          more = req_body();
          break;
        case Req::sent:  // the response half continues
          more = false;
          if (!rout_.empty()) flush(*up_, rout_, req_waiting_, &Exchange::req_run);
          break;
        case Req::respond:
          more = req_respond();
          break;
        case Req::linger:
          more = req_linger();
          break;
        case Req::closed:
          more = false;
          break;
      }
    }
    req_running_ = false;
  }

  // false: waiting or ended.
  bool req_head() {
    // RFC 9112 §2.2: empty lines before a request line are ignored (old clients send a CRLF
    // after a POST body).
    while (rin_.view().starts_with("\r\n")) rin_.consume(2);
    const std::string_view view = rin_.view();
    const std::size_t limit = config_.max_header_bytes;
    const std::size_t head_end = find_head_end(view.substr(0, std::min(view.size(), limit + 2)));
    if (head_end == std::string_view::npos) {
      if (view.size() > limit) return refuse(metrics::HttpError::header_too_large, 431, "");
      set_waiting(view.empty() ? Waiting::next_request : Waiting::request_head);
      if (view.empty()) rin_.release();  // idle: hold no buffer
      const IoResult r = rin_.fill(down_);
      if (r.status == IoStatus::ok) {
        if (view.empty()) started_ = Clock::now();
        host_.on_bytes(metrics::Side::downstream, r.bytes);
        return true;
      }
      if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
        wait(down_, r.status, req_waiting_, &Exchange::req_run);
        return false;
      }
      if (r.status == IoStatus::eof && view.empty()) return close_with("ok", "ok", "");
      if (r.status == IoStatus::eof)
        return close_with("error", "reset", "downstream closed mid-head");
      return close_with("error", "reset", "reading downstream: " + down_.error().message());
    }
    const std::string_view text = view.substr(0, head_end);
    if (auto e = check_head(text)) return refuse(*e, 400, "");
    Head head;
    if (auto e = parse_request(text, limit, head))
      return refuse(*e, *e == metrics::HttpError::header_too_large ? 431 : 400, "");
    rin_.consume(head_end);
    set_waiting(Waiting::exchange);
    ++requests_;
    record_ = Record{head.method, head.target};
    req_body_bytes_ = 0;
    if (config_.max_body_bytes > 0 && head.framing == Framing::length &&
        head.length > config_.max_body_bytes)
      return refuse(metrics::HttpError::body_too_large, 413, "");
    const Refusal refusal = host_.on_request(head);
    record_.rule = refusal.rule;
    if (refusal.status != 0) {
      host_.on_http_error(refusal.reason, "request refused");
      // Without a body the connection stays usable; with one, it would have to be read first.
      const bool body = head.framing == Framing::chunked || head.length > 0;
      return respond(refusal.status, refusal.close || body || !head.keep_alive);
    }
    keep_alive_ = head.keep_alive;
    upgrade_ = head.upgrade;
    head_request_ = head.method == "HEAD";
    connect_ = head.method == "CONNECT";
    req_framing_ = head.framing;
    req_left_ = head.length;
    decoder_ = ChunkedDecoder(config_.max_header_bytes);
    // The upstream connection outlives the downstream's wishes: no Connection: close upstream.
    head.keep_alive = true;
    const std::string wire = serialize_request(head);
    rout_.append(wire);
    up_busy_ = true;
    const bool bodiless =
        head.framing == Framing::none || (head.framing == Framing::length && head.length == 0);
    // A bodiless idempotent request can be sent again whole if a reused upstream connection
    // turns out to have been closed by the upstream before it answered (RFC 9110 §9.2.2).
    resend_.clear();
    if (bodiless && idempotent(head.method)) resend_ = wire;
    req_ = bodiless ? Req::sent : Req::body;
    resp_ = Resp::head;
    resp_run();  // a no-op while it waits: its pending read wakes it
    return !stopped_;
  }

  bool req_body() {
    const std::string_view view = rin_.view();
    if (view.empty()) {
      if (!rout_.empty() && !flush(*up_, rout_, req_waiting_, &Exchange::req_run)) return false;
      const IoResult r = rin_.fill(down_);
      if (r.status == IoStatus::ok) {
        host_.on_bytes(metrics::Side::downstream, r.bytes);
        return true;
      }
      if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
        wait(down_, r.status, req_waiting_, &Exchange::req_run);
        return false;
      }
      return close_with("error", "reset", "downstream closed mid-body");
    }
    if (req_framing_ == Framing::length) {
      const std::size_t n = std::size_t(std::min<std::uint64_t>(req_left_, view.size()));
      rout_.append(view.substr(0, n));
      rin_.consume(n);
      req_left_ -= n;
      req_body_bytes_ += n;
      if (req_left_ == 0) req_ = Req::sent;
    } else {
      const ChunkedDecoder::Step step = decoder_.next(view);
      if (step.error) return body_error(metrics::HttpError::bad_chunk, 400);
      if (!step.data.empty()) append_chunk(rout_, step.data);
      req_body_bytes_ += step.data.size();
      rin_.consume(step.consumed);
      if (config_.max_body_bytes > 0 && req_body_bytes_ > config_.max_body_bytes)
        return body_error(metrics::HttpError::body_too_large, 413);
      if (step.done) {
        rout_.append("0\r\n\r\n");
        req_ = Req::sent;
      }
    }
    if (rout_.size() >= kFlushBytes && !flush(*up_, rout_, req_waiting_, &Exchange::req_run))
      return false;
    return true;
  }

  // A body went wrong after its head was sent upstream: answer if nothing of the response was
  // sent yet, and close either way (the upstream saw half a request).
  bool body_error(metrics::HttpError e, unsigned status) {
    if (resp_ == Resp::head && !resp_started_) return refuse(e, status, "");
    host_.on_http_error(e, "request body refused");
    return close_with("error", "bad_request", std::string(metrics::name(e)));
  }

  // A request refused by the strict checks or the limits: counted, answered, connection closed.
  bool refuse(metrics::HttpError e, unsigned status, std::string_view detail) {
    host_.on_http_error(e, detail);
    if (record_.method.empty()) record_.method = "-";
    close_reason_ = metrics::name(e);
    return respond(status, true);
  }

  // Answers the current request ourselves; the request half writes it (the response half stands
  // aside). true: the request half's loop goes on to write it.
  bool respond(unsigned status, bool close) {
    record_.status = status;
    close_after_ = close;
    resp_ = Resp::closed;
    sout_.append(error_response(status, close));
    req_ = Req::respond;
    return true;
  }

  bool req_respond() {
    if (!flush(down_, sout_, req_waiting_, &Exchange::req_run)) return false;
    finish_record();
    if (close_after_) {
      // Lingering close: FIN after the answer, then read and drop what the client still sends.
      // Closing with unread input would send a reset, and a reset can destroy the answer in
      // the client's receive queue before it read it (the reason Apache and nginx linger).
      const IoResult r = down_.shutdown_send();
      if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
        wait(down_, r.status, req_waiting_, &Exchange::req_run);
        return false;
      }
      rin_.clear();
      req_ = Req::linger;
      set_waiting(Waiting::closing);
      return true;
    }
    started_ = Clock::now();
    req_ = Req::head;
    resp_ = Resp::idle;
    resp_started_ = false;
    resp_run();
    return true;
  }

  bool req_linger() {
    rin_.clear();
    const IoResult r = rin_.fill(down_);
    if (r.status == IoStatus::ok) return true;
    if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
      wait(down_, r.status, req_waiting_, &Exchange::req_run);
      return false;
    }
    return close_with(close_reason_.empty() ? "ok" : "error",
                      close_reason_.empty() ? "ok" : close_reason_, "");
  }

  // ---- response half: upstream -> downstream -----------------------------------------------

  void resp_run() {
    if (stopped_ || paused_ || resp_waiting_ || resp_running_) return;
    resp_running_ = true;
    for (bool more = true; more && !stopped_;) {
      switch (resp_) {
        case Resp::idle:
          more = resp_idle();
          break;
        case Resp::head:
          more = resp_head();
          break;
        case Resp::body:
          more = resp_body();
          break;
        case Resp::tunnel:
          more = false;
          resp_tunnel();
          break;
        case Resp::done:
          more = resp_done();
          break;
        case Resp::closed:
          more = false;
          break;
      }
    }
    resp_running_ = false;
  }

  // No request outstanding: only the upstream's close (or a protocol error) can arrive.
  bool resp_idle() {
    if (!up_) return false;  // no upstream: only our own answers (on_request refuses all)
    if (!sin_.empty()) return upstream_error(metrics::HttpError::bad_response, "unsolicited bytes");
    sin_.release();
    const IoResult r = sin_.fill(*up_);
    if (r.status == IoStatus::ok) {
      host_.on_bytes(metrics::Side::upstream, r.bytes);
      return true;
    }
    if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
      wait(*up_, r.status, resp_waiting_, &Exchange::resp_run);
      return false;
    }
    up_broken_ = true;
    if (req_ == Req::head && rin_.empty()) {
      // Before the first request of a connection the app has seen nothing and would not retry
      // (an empty reply to a new connection is an error to it): a pooled upstream connection
      // that ended while idle is replaced, if the host has another. Between later requests the
      // close is passed on, as the upstream app itself would have closed: HTTP/1.1 clients
      // retry a request that meets the close of a reused connection.
      if (requests_ == 0 && swap_upstream()) return false;
      return close_with("ok", "ok", "");
    }
    return close_with("ok", "ok", "upstream closed");
  }

  bool resp_head() {
    const std::string_view view = sin_.view();
    const std::size_t limit = config_.max_header_bytes;
    const std::size_t end_at = find_head_end(view.substr(0, std::min(view.size(), limit + 2)));
    if (end_at == std::string_view::npos) {
      if (view.size() > limit)
        return upstream_error(metrics::HttpError::bad_response, "response head too large");
      const IoResult r = sin_.fill(*up_);
      if (r.status == IoStatus::ok) {
        host_.on_bytes(metrics::Side::upstream, r.bytes);
        return true;
      }
      if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
        wait(*up_, r.status, resp_waiting_, &Exchange::resp_run);
        return false;
      }
      up_broken_ = true;
      if (!resp_started_ && view.empty() && try_resend()) return false;
      return upstream_error(metrics::HttpError::upstream_failed,
                            r.status == IoStatus::eof
                                ? "upstream closed before responding"
                                : "reading upstream: " + up_->error().message());
    }
    const std::string_view text = view.substr(0, end_at);
    if (auto e = check_head(text))
      return upstream_error(metrics::HttpError::bad_response, metrics::name(*e));
    Head head;
    if (parse_response(text, limit, head_request_, connect_, head))
      return upstream_error(metrics::HttpError::bad_response, "unparsable response head");
    sin_.consume(end_at);
    resp_started_ = true;
    const bool interim = head.status / 100 == 1 && head.status != 101;
    if (interim) {  // 100 Continue and friends: pass on, the final response follows
      sout_.append(serialize_response(head));
      return flush(down_, sout_, resp_waiting_, &Exchange::resp_run);
    }
    record_.status = head.status;
    if ((head.status == 101 && upgrade_) || (connect_ && head.status / 100 == 2)) {
      if (req_ != Req::sent)
        return upstream_error(metrics::HttpError::bad_response, "early switch");
      head.upgrade = head.status == 101;
      up_keep_alive_ = false;  // the connection becomes the tunnel's
      sout_.append(serialize_response(head));
      resp_ = Resp::tunnel;
      return true;
    }
    if (head.status == 101) return upstream_error(metrics::HttpError::bad_response, "unasked 101");
    // The downstream stays open only if both sides want it and the request was read whole.
    up_keep_alive_ = up_keep_alive_ && head.keep_alive && head.framing != Framing::until_close;
    keep_alive_ = keep_alive_ && head.keep_alive;
    head.keep_alive = keep_alive_;
    resp_framing_ = head.framing;
    resp_left_ = head.length;
    resp_decoder_ = ChunkedDecoder(config_.max_header_bytes);
    resp_body_bytes_ = 0;
    sout_.append(serialize_response(head));
    resp_ = head.framing == Framing::none ? Resp::done : Resp::body;
    return true;
  }

  bool resp_body() {
    const std::string_view view = sin_.view();
    if (view.empty()) {
      if (!sout_.empty() && !flush(down_, sout_, resp_waiting_, &Exchange::resp_run)) return false;
      const IoResult r = sin_.fill(*up_);
      if (r.status == IoStatus::ok) {
        host_.on_bytes(metrics::Side::upstream, r.bytes);
        return true;
      }
      if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
        wait(*up_, r.status, resp_waiting_, &Exchange::resp_run);
        return false;
      }
      if (r.status == IoStatus::eof && resp_framing_ == Framing::until_close) {
        resp_ = Resp::done;
        return true;
      }
      host_.on_http_error(metrics::HttpError::upstream_failed, "upstream closed mid-response");
      return close_with("error", "reset", "upstream closed mid-response");
    }
    if (resp_framing_ == Framing::chunked) {
      const ChunkedDecoder::Step step = resp_decoder_.next(view);
      if (step.error) {
        host_.on_http_error(metrics::HttpError::bad_response, "bad chunk from upstream");
        return close_with("error", "bad_response", "bad chunk from upstream");
      }
      if (!step.data.empty()) append_chunk(sout_, step.data);
      resp_body_bytes_ += step.data.size();
      sin_.consume(step.consumed);
      if (step.done) {
        sout_.append("0\r\n\r\n");
        resp_ = Resp::done;
      }
    } else {
      std::size_t n = view.size();
      if (resp_framing_ == Framing::length) n = std::size_t(std::min<std::uint64_t>(resp_left_, n));
      sout_.append(view.substr(0, n));
      sin_.consume(n);
      resp_body_bytes_ += n;
      if (resp_framing_ == Framing::length && (resp_left_ -= n) == 0) resp_ = Resp::done;
    }
    if (sout_.size() >= kFlushBytes && !flush(down_, sout_, resp_waiting_, &Exchange::resp_run))
      return false;
    return true;
  }

  bool resp_done() {
    if (!flush(down_, sout_, resp_waiting_, &Exchange::resp_run)) return false;
    record_.response_bytes = resp_body_bytes_;
    finish_record();
    if (req_ == Req::sent && rout_.empty()) up_busy_ = false;  // the upstream is between requests
    // A response that ended before its request was read whole leaves the request stream at an
    // unknown place: the connection cannot carry another request.
    if (!keep_alive_ || req_ != Req::sent || !rout_.empty()) return close_with("ok", "ok", "");
    resp_ = Resp::idle;
    req_ = Req::head;
    resp_started_ = false;
    started_ = Clock::now();
    req_run();
    return !stopped_;
  }

  // Pass on every byte read past the switching head, both ways, then hand over to the relay.
  void resp_tunnel() {
    if (!sin_.empty()) {
      sout_.append(sin_.view());
      sin_.clear();
    }
    if (!flush(down_, sout_, resp_waiting_, &Exchange::resp_run)) return;
    if (!rin_.empty()) {
      rout_.append(rin_.view());
      rin_.clear();
    }
    if (!flush(*up_, rout_, resp_waiting_, &Exchange::resp_run)) return;
    finish_record();
    stopped_ = true;
    host_.on_tunnel();
  }

  bool upstream_error(metrics::HttpError e, std::string_view detail) {
    host_.on_http_error(e, detail);
    if (!resp_started_ && req_ != Req::head && req_ != Req::respond && req_ != Req::linger) {
      close_reason_ = metrics::name(e);
      respond(502, true);  // the request half writes it as soon as it runs
      req_run();
      return false;
    }
    return close_with("error", std::string(metrics::name(e)), detail);
  }

  // ---- shared ----------------------------------------------------------------------------

  static void append_chunk(IoBuffer& out, std::string_view data) {
    char size[20];
    const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    out.append(std::string_view(size, std::size_t(n)));
    out.append(data);
    out.append("\r\n");
  }

  // Writes `out` to `s`; true when all of it is written, false when waiting (a wait resumes
  // `resume`) or ended.
  template <ByteStream S>
  bool flush(S& s, IoBuffer& out, bool& waiting, void (Exchange::*resume)()) {
    const IoResult r = out.drain(s);
    if (r.status == IoStatus::ok) return true;
    if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
      wait(s, r.status, waiting, resume);
      return false;
    }
    const bool to_down = static_cast<void*>(&s) == static_cast<void*>(&down_);
    if (!to_down && try_resend()) return false;
    // A write can meet the peer's close_notify (eof): no error code then.
    const std::string why = r.status == IoStatus::eof ? "closed" : s.error().message();
    close_with("error", "reset",
               std::string(to_down ? "writing downstream: " : "writing upstream: ") + why);
    return false;
  }

  template <ByteStream S>
  void wait(S& s, IoStatus want, bool& waiting, void (Exchange::*resume)()) {
    waiting = true;
    s.async_wait(want,
                 [this, keep = owner_.lock(), &waiting, resume, gen = generation_](error_code ec) {
                   if (gen != generation_)
                     return;  // a wait on an upstream connection given up for a resend
                   waiting = false;
                   if (stopped_) return;
                   if (ec) return void(close_with("error", "wait", ec.message()));
                   (this->*resume)();
                 });
  }

  void set_waiting(Waiting w) {
    if (w == waiting_) return;
    waiting_ = w;
    host_.on_waiting(w);
  }

  void finish_record() {
    if (record_.method.empty()) return;
    record_.request_bytes = req_body_bytes_;
    record_.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    host_.on_record(record_);
    record_ = Record{};
  }

  static bool idempotent(std::string_view method) {
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
           method == "PUT" || method == "DELETE";
  }

  // The upstream failed before any byte of the response: if the request can be sent again and
  // the session has another connection for it (once, and only after a reused connection), drop
  // what this connection had and wait, paused, for resume_on(). true: paused.
  bool try_resend() {
    if (stopped_ || resend_.empty() || resp_started_ || req_ != Req::sent || !sin_.empty())
      return false;
    if (!swap_upstream()) return false;
    rout_.append(resend_);
    resend_.clear();  // once
    return true;
  }

  // The upstream connection was lost before it answered anything: if the host has another
  // (ExchangeHost::on_upstream_lost), forget this one's state and wait, paused, for resume_on().
  bool swap_upstream() {
    if (stopped_ || !host_.on_upstream_lost()) return false;
    ++generation_;
    req_waiting_ = resp_waiting_ = false;
    paused_ = true;
    up_broken_ = false;
    up_keep_alive_ = true;
    sin_.clear();
    rout_.clear();
    return true;
  }

  bool close_with(std::string_view result, std::string_view reason, std::string_view detail) {
    if (stopped_) return false;
    stopped_ = true;
    host_.on_http_end(result, reason, detail);
    return false;
  }

  Down& down_;
  Up* up_;  // a pointer: a resend moves the exchange to another upstream connection
  ExchangeHost& host_;
  const config::HttpConfig& config_;
  std::weak_ptr<void> owner_;
  bool stopped_ = false;
  bool paused_ = false;           // waiting for resume_on()
  std::uint64_t generation_ = 0;  // bumped by a resend: older waits are stale
  Waiting waiting_ = Waiting::exchange;

  Req req_ = Req::head;
  std::uint64_t requests_ = 0;  // request heads read on this connection
  bool req_waiting_ = false;
  bool req_running_ = false;
  IoBuffer rin_, rout_;  // downstream bytes read; bytes for upstream
  Framing req_framing_ = Framing::none;
  std::uint64_t req_left_ = 0;
  std::uint64_t req_body_bytes_ = 0;
  ChunkedDecoder decoder_;
  bool keep_alive_ = true;
  bool upgrade_ = false;
  bool head_request_ = false;
  bool connect_ = false;
  bool close_after_ = false;
  std::string close_reason_;  // why an answer of ours ends the connection ("" for none)

  Resp resp_ = Resp::idle;
  bool resp_waiting_ = false;
  bool resp_running_ = false;
  bool resp_started_ = false;  // a response head of this exchange went downstream
  IoBuffer sin_, sout_;        // upstream bytes read; bytes for downstream
  Framing resp_framing_ = Framing::none;
  std::uint64_t resp_left_ = 0;
  std::uint64_t resp_body_bytes_ = 0;
  ChunkedDecoder resp_decoder_;

  // The upstream connection's state, for reuse by the next downstream connection.
  bool up_busy_ = false;  // a request went upstream and its response did not end yet
  bool up_broken_ = false;
  bool up_keep_alive_ = true;
  std::string resend_;  // the current request, whole, when it may be sent again

  Record record_;
  Clock::time_point started_ = Clock::now();
};

}  // namespace mtls::proxy::http

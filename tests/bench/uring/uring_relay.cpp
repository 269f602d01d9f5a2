// uring-relay: an experiment, not the product. One inbound sidecar's job (mTLS in, plaintext out)
// on a liburing loop instead of Asio's epoll reactor, to measure what io_uring would save on the
// keep-alive path (tests/bench/uring/README.md). Single thread; multishot accept, multishot recv
// into a provided-buffer ring, one io_uring_submit_and_wait per loop; OpenSSL runs over memory
// BIOs, so TLS records go from the ring's buffer into OpenSSL and back out through a send.
// It checks the client's chain against the CA and, with --peer-uri, its URI SAN (what the sidecar's
// allow list does); it has no timeouts, metrics, reloads or limits: a bench tool only.
// Usage: uring-relay --listen PORT --forward PORT --cert F --key F --ca F [--peer-uri URI]
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

constexpr unsigned kBufSize = 16 * 1024 + 512;  // one TLS record and its header
constexpr unsigned kBufCount = 256;             // power of two
constexpr int kGroup = 0;

enum Op : std::uint64_t {
  kAccept = 1,
  kRecvClient,
  kRecvBackend,
  kSendClient,
  kSendBackend,
  kConnect
};

struct Conn;
std::uint64_t tag(Conn* c, Op op) { return reinterpret_cast<std::uint64_t>(c) | op; }

// One outgoing direction: bytes queued while a send is in flight go out with the next one.
struct Out {
  std::string inflight, queued;
  std::size_t sent = 0;
  bool busy = false;
};

struct Conn {
  int client = -1, backend = -1;
  SSL* ssl = nullptr;
  BIO* rbio = nullptr;  // ciphertext from the client, fed by recv
  BIO* wbio = nullptr;  // ciphertext to the client, drained into sends
  bool connected = false, established = false, closing = false;
  int pending_ops = 0;  // CQEs still to come; freed at zero once closing
  Out to_client, to_backend;
  std::string early_plain;  // plaintext read before the backend connect completed
  sockaddr_in backend_addr{};
};

io_uring ring;
io_uring_buf_ring* bufs = nullptr;
char* buf_base = nullptr;
SSL_CTX* ctx = nullptr;
std::string peer_uri;
sockaddr_in forward_addr{};

io_uring_sqe* sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring);
  if (!s) {
    io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
  }
  return s;
}

void recycle(unsigned bid) {
  io_uring_buf_ring_add(bufs, buf_base + bid * kBufSize, kBufSize, bid,
                        io_uring_buf_ring_mask(kBufCount), 0);
  io_uring_buf_ring_advance(bufs, 1);
}

void arm_recv(Conn* c, int fd, Op op) {
  io_uring_sqe* s = sqe();
  io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = kGroup;
  io_uring_sqe_set_data64(s, tag(c, op));
  ++c->pending_ops;
}

void start_send(Conn* c, Out& out, int fd, Op op) {
  if (out.busy || out.queued.empty() || c->closing) return;
  out.inflight.swap(out.queued);
  out.queued.clear();
  out.sent = 0;
  out.busy = true;
  io_uring_sqe* s = sqe();
  io_uring_prep_send(s, fd, out.inflight.data(), out.inflight.size(), MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, tag(c, op));
  ++c->pending_ops;
}

void close_conn(Conn* c) {
  if (!c->closing) {
    c->closing = true;
    // Wakes the multishot recvs (they end with 0); the descriptors close once every CQE is in.
    if (c->client >= 0) ::shutdown(c->client, SHUT_RDWR);
    if (c->backend >= 0) ::shutdown(c->backend, SHUT_RDWR);
  }
  if (c->pending_ops == 0) {
    if (c->client >= 0) ::close(c->client);
    if (c->backend >= 0) ::close(c->backend);
    SSL_free(c->ssl);
    delete c;
  }
}

void flush_tls(Conn* c) {
  char tmp[16 * 1024];
  int n;
  while ((n = BIO_read(c->wbio, tmp, sizeof tmp)) > 0) c->to_client.queued.append(tmp, n);
  start_send(c, c->to_client, c->client, kSendClient);
}

bool peer_allowed(SSL* ssl) {
  if (peer_uri.empty()) return true;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert) return false;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  bool ok = false;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && !ok; ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type != GEN_URI) continue;
    const auto* s = n->d.uniformResourceIdentifier;
    ok = std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     ASN1_STRING_length(s)) == peer_uri;
  }
  GENERAL_NAMES_free(names);
  return ok;
}

void connect_backend(Conn* c) {
  c->backend = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(c->backend, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->backend_addr = forward_addr;
  io_uring_sqe* s = sqe();
  io_uring_prep_connect(s, c->backend, reinterpret_cast<sockaddr*>(&c->backend_addr),
                        sizeof c->backend_addr);
  io_uring_sqe_set_data64(s, tag(c, kConnect));
  ++c->pending_ops;
}

// Ciphertext arrived: run the handshake or decrypt, and pass what there is on.
void on_tls_input(Conn* c) {
  if (!c->established) {
    const int r = SSL_do_handshake(c->ssl);
    flush_tls(c);
    if (r != 1) {
      const int e = SSL_get_error(c->ssl, r);
      ERR_clear_error();
      if (e != SSL_ERROR_WANT_READ) return close_conn(c);
      return;
    }
    if (!peer_allowed(c->ssl)) return close_conn(c);
    c->established = true;
    connect_backend(c);
  }
  char plain[16 * 1024];
  std::size_t n = 0;
  while (SSL_read_ex(c->ssl, plain, sizeof plain, &n) == 1) {
    (c->connected ? c->to_backend.queued : c->early_plain).append(plain, n);
  }
  const int e = SSL_get_error(c->ssl, 0);
  ERR_clear_error();
  flush_tls(c);  // post-handshake messages (tickets, key updates)
  if (e == SSL_ERROR_ZERO_RETURN || (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_NONE))
    return close_conn(c);
  if (c->connected) start_send(c, c->to_backend, c->backend, kSendBackend);
}

void on_cqe(io_uring_cqe* cqe) {
  const std::uint64_t data = io_uring_cqe_get_data64(cqe);
  const Op op = static_cast<Op>(data & 7);
  const int res = cqe->res;
  const bool more = cqe->flags & IORING_CQE_F_MORE;
  if (op == kAccept) {
    if (res >= 0) {
      auto* c = new Conn;
      c->client = res;
      c->ssl = SSL_new(ctx);
      c->rbio = BIO_new(BIO_s_mem());
      c->wbio = BIO_new(BIO_s_mem());
      BIO_set_mem_eof_return(c->rbio, -1);
      SSL_set_bio(c->ssl, c->rbio, c->wbio);
      SSL_set_accept_state(c->ssl);
      arm_recv(c, c->client, kRecvClient);
    }
    if (!more)
      std::fprintf(stderr, "uring-relay: multishot accept ended (%d)\n", res), std::exit(1);
    return;
  }
  Conn* c = reinterpret_cast<Conn*>(data & ~std::uint64_t{7});
  if (!more || op == kSendClient || op == kSendBackend || op == kConnect) --c->pending_ops;
  const bool has_buf = cqe->flags & IORING_CQE_F_BUFFER;
  const unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
  switch (op) {
    case kRecvClient:
    case kRecvBackend: {
      if (has_buf && res > 0 && !c->closing) {
        const char* p = buf_base + bid * kBufSize;
        if (op == kRecvClient) {
          BIO_write(c->rbio, p, res);
        } else {
          std::size_t w = 0;
          if (SSL_write_ex(c->ssl, p, res, &w) != 1) ERR_clear_error();
        }
      }
      if (has_buf) recycle(bid);
      if (c->closing) return close_conn(c);
      if (res == 0 || (res < 0 && res != -ENOBUFS)) return close_conn(c);
      // Re-arm first: the pending recv keeps `c` alive while the input is handled.
      if (!more) arm_recv(c, op == kRecvClient ? c->client : c->backend, op);
      if (op == kRecvClient && res > 0) on_tls_input(c);
      if (op == kRecvBackend && res > 0) flush_tls(c);
      return;
    }
    case kSendClient:
    case kSendBackend: {
      Out& out = op == kSendClient ? c->to_client : c->to_backend;
      const int fd = op == kSendClient ? c->client : c->backend;
      if (c->closing || res < 0) return close_conn(c);
      out.sent += res;
      if (out.sent < out.inflight.size()) {  // short send: the rest first
        out.queued.insert(0, out.inflight, out.sent, std::string::npos);
      }
      out.busy = false;
      start_send(c, out, fd, op);
      return;
    }
    case kConnect:
      if (c->closing || res < 0) return close_conn(c);
      c->connected = true;
      c->to_backend.queued.swap(c->early_plain);
      arm_recv(c, c->backend, kRecvBackend);
      start_send(c, c->to_backend, c->backend, kSendBackend);
      return;
    default:
      return;
  }
}

int verify_any(int ok, X509_STORE_CTX*) { return ok; }

}  // namespace

int main(int argc, char** argv) {
  int listen_port = 0, forward_port = 0;
  const char *cert = nullptr, *key = nullptr, *ca = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--listen")
      listen_port = std::atoi(argv[i + 1]);
    else if (a == "--forward")
      forward_port = std::atoi(argv[i + 1]);
    else if (a == "--cert")
      cert = argv[i + 1];
    else if (a == "--key")
      key = argv[i + 1];
    else if (a == "--ca")
      ca = argv[i + 1];
    else if (a == "--peer-uri")
      peer_uri = argv[i + 1];
  }
  if (!listen_port || !forward_port || !cert || !key || !ca) {
    std::fprintf(stderr,
                 "usage: uring-relay --listen PORT --forward PORT --cert F --key F --ca F "
                 "[--peer-uri URI]\n");
    return 2;
  }
  ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_load_verify_locations(ctx, ca, nullptr) != 1) {
    std::fprintf(stderr, "uring-relay: cannot load certificates\n");
    return 1;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_any);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);

  forward_addr.sin_family = AF_INET;
  forward_addr.sin_port = htons(forward_port);
  forward_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // inherited by accepted sockets
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(listen_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(lfd, 4096) != 0) {
    std::perror("uring-relay: listen");
    return 1;
  }

  if (int e = io_uring_queue_init(1024, &ring, 0); e < 0) {
    std::fprintf(stderr, "uring-relay: io_uring_queue_init: %s\n", std::strerror(-e));
    return 1;
  }
  // The provided-buffer ring (liburing 2.3 has no io_uring_setup_buf_ring): page-aligned entries,
  // registered as group kGroup, every buffer handed to the kernel.
  const std::size_t ring_bytes = kBufCount * sizeof(io_uring_buf);
  void* mem =
      ::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  bufs = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(bufs);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(bufs);
  reg.ring_entries = kBufCount;
  reg.bgid = kGroup;
  if (int e = io_uring_register_buf_ring(&ring, &reg, 0); e < 0) {
    std::fprintf(stderr, "uring-relay: provided buffer ring: %s\n", std::strerror(-e));
    return 1;
  }
  buf_base = static_cast<char*>(std::aligned_alloc(4096, std::size_t{kBufSize} * kBufCount));
  for (unsigned i = 0; i < kBufCount; ++i)
    io_uring_buf_ring_add(bufs, buf_base + i * kBufSize, kBufSize, i,
                          io_uring_buf_ring_mask(kBufCount), i);
  io_uring_buf_ring_advance(bufs, kBufCount);

  io_uring_sqe* s = sqe();
  io_uring_prep_multishot_accept(s, lfd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, kAccept);
  for (;;) {
    // One system call per loop: submit what the last batch queued and wait for the next CQE.
    if (int e = io_uring_submit_and_wait(&ring, 1); e < 0 && e != -EINTR) {
      std::fprintf(stderr, "uring-relay: submit: %s\n", std::strerror(-e));
      return 1;
    }
    io_uring_cqe* cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      on_cqe(cqe);
      ++n;
    }
    io_uring_cq_advance(&ring, n);
  }
}

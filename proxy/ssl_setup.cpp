#include "proxy/ssl_setup.hpp"

#include "proxy/listener.hpp"

namespace mtls::proxy {

certs::SslPtr make_server_ssl(const std::shared_ptr<const certs::TlsContexts>& contexts,
                              Listener& listener) {
  certs::SslPtr ssl(SSL_new(contexts->server.get()));
  SSL_set_accept_state(ssl.get());
  const std::string& sid = listener.session_context(contexts);
  SSL_set_session_id_context(ssl.get(), reinterpret_cast<const unsigned char*>(sid.data()),
                             unsigned(sid.size()));
  return ssl;
}

certs::SslPtr make_client_ssl(const certs::TlsContexts& contexts, const ListenerSpec& spec) {
  return make_client_ssl(contexts, spec.server_name, spec.verify_server_name);
}

certs::SslPtr make_client_ssl(const certs::TlsContexts& contexts, const std::string& server_name,
                              bool verify_server_name) {
  certs::SslPtr ssl(SSL_new(contexts.client.get()));
  SSL_set_connect_state(ssl.get());
  if (!server_name.empty()) SSL_set_tlsext_host_name(ssl.get(), server_name.c_str());
  if (verify_server_name) {
    // The server must be who we dialled, not merely someone `expect` admits: with any: true or
    // trust_domains, any workload of the domain could otherwise answer for this name. DNS SANs
    // only (no CN fallback), and a wildcard must be a whole left-most label.
    SSL_set_hostflags(ssl.get(),
                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    SSL_set1_host(ssl.get(), server_name.c_str());
  }
  return ssl;
}

}  // namespace mtls::proxy

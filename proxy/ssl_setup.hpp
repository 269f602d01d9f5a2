#pragma once
// The SSL objects of a session, made the same way for the TCP relay and HTTP mode: a server SSL
// with the listener's session_id_context (inbound), a client SSL with SNI and the server-name
// check (outbound).

#include "certs/openssl_ptr.hpp"
#include "certs/tls_contexts.hpp"
#include "proxy/listener_spec.hpp"

namespace mtls::proxy {

class Listener;

certs::SslPtr make_server_ssl(const std::shared_ptr<const certs::TlsContexts>& contexts,
                              Listener& listener);
certs::SslPtr make_client_ssl(const certs::TlsContexts& contexts, const ListenerSpec& spec);
// The same for one upstream of a `forward: original_dst` listener.
certs::SslPtr make_client_ssl(const certs::TlsContexts& contexts, const std::string& server_name,
                              bool verify_server_name);

}  // namespace mtls::proxy

# bench_lib.sh - sourced by latency.sh and profile.sh: a throwaway PKI, an nginx backend and one
# proxy pair (mtls-sidecar, haproxy, nginx-stream or stunnel; their HTTP modes for http_peers.sh)
# on 127.0.0.1, configured like ../shared/bench/peers.sh configures them (same certificate names,
# same TLS settings), so mtls-load numbers sit beside the harness's. Every process started is
# recorded by PID and killed by PID (bl_cleanup); nothing listens beyond loopback.
# shellcheck shell=bash

BL_PIDS=()
BL_W=""
BL_RESUME=${BL_RESUME:-0}
BL_THREADS=${BL_THREADS:-1}
BL_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BL_SERVER_NAME=backend.local
BL_TD=spiffe://demo.local/ns/default/sa

bl_log() { printf '# %s\n' "$*" >&2; }

# bl_relative_paths FILE...: results are committed, so they name files relative to the repository
# (and ../shared for the team's harness), never by the paths of the machine that ran them.
bl_relative_paths() {
  local root shared f
  root=$(cd "$BL_HERE/../.." && pwd)
  shared=$(cd "$root/.." && pwd)/shared
  for f in "$@"; do
    [ -f "$f" ] && sed -i -e "s#$root/tests/bench/\.\./\.\./##g" -e "s#$root/##g" -e "s#$shared/#../shared/#g" "$f"
  done
  return 0
}

# bl_mtls_load -> the load generator: $MTLS_LOAD, else build-bench's, else build's.
bl_mtls_load() {
  local b
  for b in "${MTLS_LOAD:-}" "$BL_HERE/../../build-bench/tests/bench/mtls-load" "$BL_HERE/../../build/tests/bench/mtls-load"; do
    [ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
  done
  bl_log "mtls-load not built (cmake --build BUILD --target mtls-load)"
  return 1
}

bl_init() {  # bl_init WORKDIR
  BL_W=$1
  mkdir -p "$BL_W/pki" "$BL_W/logs" && chmod 700 "$BL_W/pki"
  chmod 755 "$BL_W"  # the backend's nginx workers run as an unprivileged user
  trap bl_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# bl_setup NAME -> W (a work dir under /tmp), LOAD (mtls-load), a PKI and the nginx backend;
# at exit every process is killed and W removed. What ab.sh, latency.sh and scaling.sh share.
bl_setup() {
  W=$(mktemp -d "/tmp/mtls-$1.XXXXXX")
  LOAD=$(bl_mtls_load) || exit 1
  bl_init "$W"
  trap 'bl_cleanup; rm -rf "$W"' EXIT
  bl_pki && bl_backend || { bl_log "setup failed"; exit 1; }
}

bl_cleanup() {
  local p
  for p in "${BL_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${BL_PIDS[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  BL_PIDS=()
}

bl_stop() {  # bl_stop PID...: stop some of ours (a pair) and forget them
  local p keep=() q
  for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
  for p in "$@"; do
    for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null
  done
  for q in "${BL_PIDS[@]}"; do [[ " $* " == *" $q "* ]] || keep+=("$q"); done
  BL_PIDS=("${keep[@]}")
}

# A free port in 10000-19999: below the ephemeral range (32768+, where the load's own client
# ports would collide) and outside peers.sh's 20000-31999.
bl_free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % 10000))
    [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
  done
  return 1
}

bl_wait_port() {  # bl_wait_port PID PORT
  for _ in $(seq 1 150); do
    kill -0 "$1" 2>/dev/null || return 1
    [ -n "$(ss -Hltn "sport = :$2" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  return 1
}

bl_spawn() {  # bl_spawn LOG CMD... -> BL_PID
  local logf=$1; shift
  "$@" >"$logf.out" 2>&1 </dev/null &
  BL_PID=$!
  BL_PIDS+=("$BL_PID")
}

bl_pki() {
  local d=$BL_W/pki
  genkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
  genkey "$d/ca.key"
  openssl req -x509 -new -key "$d/ca.key" -sha256 -days 2 -subj "/O=mtls-bench/CN=bench CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$d/ca.crt" 2>/dev/null || return 1
  local n cn san
  for n in server client; do
    if [ $n = server ]; then cn=$BL_SERVER_NAME san="DNS:$BL_SERVER_NAME,URI:$BL_TD/backend"
    else cn=frontend san="URI:$BL_TD/frontend"; fi
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' \
      "$san" >"$d/$n.ext"
    genkey "$d/$n.key"
    openssl req -new -key "$d/$n.key" -subj "/O=mtls-bench/CN=$cn" -out "$d/$n.csr" 2>/dev/null
    openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
      -days 2 -sha256 -extfile "$d/$n.ext" -out "$d/$n.crt" 2>/dev/null || return 1
    cat "$d/$n.crt" "$d/$n.key" >"$d/$n.pem"
  done
  chmod 600 "$d"/*.key "$d"/*.pem
}

# bl_backend -> BL_BACKEND_PORT; nginx serving /small (64 B) and /big (4 MiB), like peers.sh, and
# /xfcc: the x-forwarded-client-cert it received (what an HTTP-mode inbound told the app).
bl_backend() {
  local d=$BL_W/backend
  mkdir -p "$d/www" "$d/tmp"
  head -c 63 /dev/zero | tr '\0' 'a' >"$d/www/small"; echo >>"$d/www/small"
  head -c $((4 * 1024 * 1024)) /dev/urandom >"$d/www/big"
  chmod 755 "$d" "$d/www"; chmod 644 "$d/www/"*
  BL_BACKEND_PORT=$(bl_free_port) || return 1
  cat >"$d/nginx.conf" <<EOF
daemon off;
worker_processes 1;
worker_rlimit_nofile 16384;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 8192; }
http {
  access_log off; sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 65s; keepalive_requests 10000000;
  client_body_temp_path $d/tmp/body; proxy_temp_path $d/tmp/proxy; fastcgi_temp_path $d/tmp/fcgi;
  uwsgi_temp_path $d/tmp/uwsgi; scgi_temp_path $d/tmp/scgi;
  server {
    listen 127.0.0.1:$BL_BACKEND_PORT backlog=4096; root $d/www;
    location = /xfcc { default_type text/plain; return 200 "\$http_x_forwarded_client_cert\n"; }
  }
}
EOF
  bl_spawn "$BL_W/logs/backend" nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf"
  bl_wait_port "$BL_PID" "$BL_BACKEND_PORT"
}

# HTTP-mode peers of `protocol: http` (http_peers.sh): the same certificates and TLS settings as
# the TCP ones, HTTP/1.1 kept alive on every hop and upstream connections pooled (HAProxy
# `http-reuse always`, nginx `keepalive`), so a client's `Connection: close` ends only the client's
# connection. The inbound replaces any x-forwarded-client-cert with one built from the verified
# client certificate, as far as each can: HAProxy 2.6 the SHA-256 of the DER and the subject DN,
# nginx 1.22 (no SHA-256 or SAN variable) the SHA-1 fingerprint and the subject DN.
bl_haproxy_http_cfg() {  # ROLE LISTEN_PORT UPSTREAM_PORT PEM
  local role=$1 lp=$2 up=$3 pem=$4 p=$BL_W/pki
  printf 'global\n  nbthread %s\n  maxconn 8000\n  ssl-server-verify required\n' "$BL_THREADS"
  [ "$BL_RESUME" = 1 ] || printf '  tune.ssl.cachesize 0\n'
  printf 'defaults\n  mode http\n  option http-keep-alive\n  http-reuse always\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n  timeout http-keep-alive 60s\n'
  if [ "$role" = in ]; then
    printf 'frontend f\n  bind 127.0.0.1:%s ssl crt %s ca-file %s verify required ssl-min-ver TLSv1.2%s\n' \
      "$lp" "$pem" "$p/ca.crt" "$([ "$BL_RESUME" = 1 ] || printf ' no-tls-tickets')"
    printf '  http-request set-header x-forwarded-client-cert "Hash=%%[ssl_c_der,sha2(256),hex];Subject=\\"%%[ssl_c_s_dn]\\""\n'
    printf '  default_backend b\nbackend b\n  server s 127.0.0.1:%s\n' "$up"
  else
    printf 'frontend f\n  bind 127.0.0.1:%s\n  default_backend b\nbackend b\n  server s 127.0.0.1:%s ssl crt %s ca-file %s verify required verifyhost %s sni str(%s) ssl-min-ver TLSv1.2%s\n' \
      "$lp" "$up" "$pem" "$p/ca.crt" "$BL_SERVER_NAME" "$BL_SERVER_NAME" "$([ "$BL_RESUME" = 1 ] || printf ' no-ssl-reuse')"
  fi
}

bl_nginx_http_cfg() {  # ROLE LISTEN_PORT UPSTREAM_PORT CERT KEY DIR
  local role=$1 lp=$2 up=$3 cert=$4 key=$5 d=$6 p=$BL_W/pki
  mkdir -p "$d/tmp"
  printf 'daemon off;\nmaster_process off;\nworker_processes 1;\nworker_rlimit_nofile 16384;\npid %s/nginx.pid;\nerror_log %s/error.log warn;\nevents { worker_connections 8192; }\n' "$d" "$d"
  printf 'http {\n  access_log off; tcp_nodelay on; keepalive_timeout 65s; keepalive_requests 10000000;\n'
  printf '  client_body_temp_path %s/tmp/body; proxy_temp_path %s/tmp/proxy; fastcgi_temp_path %s/tmp/fcgi; uwsgi_temp_path %s/tmp/uwsgi; scgi_temp_path %s/tmp/scgi;\n' "$d" "$d" "$d" "$d" "$d"
  printf '  upstream u { server 127.0.0.1:%s; keepalive 32; keepalive_requests 10000000; keepalive_timeout 60s; }\n' "$up"
  printf '  server {\n'
  if [ "$role" = in ]; then
    printf '    listen 127.0.0.1:%s ssl backlog=4096;\n    ssl_certificate %s;\n    ssl_certificate_key %s;\n    ssl_client_certificate %s;\n    ssl_verify_client on;\n    ssl_verify_depth 2;\n    ssl_protocols TLSv1.2 TLSv1.3;\n' "$lp" "$cert" "$key" "$p/ca.crt"
    if [ "$BL_RESUME" = 1 ]; then printf '    ssl_session_cache shared:mtls:10m;\n    ssl_session_tickets on;\n'
    else printf '    ssl_session_cache off;\n    ssl_session_tickets off;\n'; fi
    printf '    location / {\n      proxy_pass http://u;\n      proxy_set_header X-Forwarded-Client-Cert "Hash=$ssl_client_fingerprint;Subject=\\"$ssl_client_s_dn\\"";\n'
  else
    printf '    listen 127.0.0.1:%s backlog=4096;\n    location / {\n      proxy_pass https://u;\n' "$lp"
    printf '      proxy_ssl_certificate %s;\n      proxy_ssl_certificate_key %s;\n      proxy_ssl_trusted_certificate %s;\n      proxy_ssl_verify on;\n      proxy_ssl_verify_depth 2;\n      proxy_ssl_name %s;\n      proxy_ssl_server_name on;\n      proxy_ssl_protocols TLSv1.2 TLSv1.3;\n      proxy_ssl_session_reuse %s;\n' \
      "$cert" "$key" "$p/ca.crt" "$BL_SERVER_NAME" "$([ "$BL_RESUME" = 1 ] && echo on || echo off)"
  fi
  printf '      proxy_http_version 1.1;\n      proxy_set_header Connection "";\n      proxy_set_header Host $host;\n    }\n  }\n}\n'
}

# bl_start SYSTEM ROLE LISTEN_PORT UPSTREAM_PORT -> BL_PID, listening. ROLE out: plain -> mTLS,
# ROLE in: mTLS -> plain. Configs follow peers.sh's start_* functions.
bl_start() {
  local sys=$1 role=$2 lp=$3 up=$4 d=$BL_W/$1-$2 p=$BL_W/pki
  mkdir -p "$d"
  local cert=$p/server.crt key=$p/server.key pem=$p/server.pem peer=$BL_TD/frontend
  [ "$role" = out ] && cert=$p/client.crt key=$p/client.key pem=$p/client.pem peer=$BL_TD/backend
  case $sys in
    mtls-sidecar|mtls-sidecar-http)
      bl_spawn "$d/run" env MTLS_BENCH_PROTOCOL="$([ "$sys" = mtls-sidecar-http ] && echo http || echo tcp)" \
        "$BL_HERE/candidate.sh" "$role" "127.0.0.1:$lp" "127.0.0.1:$up" "$cert" "$key" \
        "$p/ca.crt" "$BL_SERVER_NAME" "$peer" "$d" "$BL_THREADS" "$BL_RESUME" ;;
    haproxy-http)
      bl_haproxy_http_cfg "$role" "$lp" "$up" "$pem" >"$d/haproxy.cfg"
      bl_spawn "$d/run" haproxy -db -f "$d/haproxy.cfg" ;;
    nginx-http)
      bl_nginx_http_cfg "$role" "$lp" "$up" "$cert" "$key" "$d" >"$d/nginx.conf"
      bl_spawn "$d/run" nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" ;;
    haproxy)
      {
        printf 'global\n  nbthread %s\n  maxconn 8000\n  ssl-server-verify required\n' "$BL_THREADS"
        [ "$BL_RESUME" = 1 ] || printf '  tune.ssl.cachesize 0\n'
        printf 'defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n'
        if [ "$role" = in ]; then
          printf 'frontend f\n  bind 127.0.0.1:%s ssl crt %s ca-file %s verify required ssl-min-ver TLSv1.2%s\n  default_backend b\nbackend b\n  server s 127.0.0.1:%s\n' \
            "$lp" "$pem" "$p/ca.crt" "$([ "$BL_RESUME" = 1 ] || printf ' no-tls-tickets')" "$up"
        else
          printf 'frontend f\n  bind 127.0.0.1:%s\n  default_backend b\nbackend b\n  server s 127.0.0.1:%s ssl crt %s ca-file %s verify required verifyhost %s sni str(%s) ssl-min-ver TLSv1.2%s\n' \
            "$lp" "$up" "$pem" "$p/ca.crt" "$BL_SERVER_NAME" "$BL_SERVER_NAME" "$([ "$BL_RESUME" = 1 ] || printf ' no-ssl-reuse')"
        fi
      } >"$d/haproxy.cfg"
      bl_spawn "$d/run" haproxy -db -f "$d/haproxy.cfg" ;;
    plain-pair)  # the floor of a pair: two plaintext HAProxy TCP relays (peers.sh start_plain_pair)
      printf 'global\n  nbthread %s\n  maxconn 8000\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\nfrontend f\n  bind 127.0.0.1:%s\n  default_backend b\nbackend b\n  server s 127.0.0.1:%s\n' \
        "$BL_THREADS" "$lp" "$up" >"$d/haproxy.cfg"
      bl_spawn "$d/run" haproxy -db -f "$d/haproxy.cfg" ;;
    nginx-stream)
      {
        [ -e /usr/lib/nginx/modules/ngx_stream_module.so ] && printf 'load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n'
        printf 'daemon off;\nmaster_process off;\nworker_processes 1;\nworker_rlimit_nofile 16384;\npid %s/nginx.pid;\nerror_log %s/error.log warn;\nevents { worker_connections 8192; }\nstream {\n  server {\n' "$d" "$d"
        if [ "$role" = in ]; then
          printf '    listen 127.0.0.1:%s ssl backlog=4096;\n    proxy_pass 127.0.0.1:%s;\n    ssl_certificate %s;\n    ssl_certificate_key %s;\n    ssl_client_certificate %s;\n    ssl_verify_client on;\n    ssl_verify_depth 2;\n    ssl_protocols TLSv1.2 TLSv1.3;\n' "$lp" "$up" "$cert" "$key" "$p/ca.crt"
          if [ "$BL_RESUME" = 1 ]; then printf '    ssl_session_cache shared:mtls:10m;\n    ssl_session_tickets on;\n'
          else printf '    ssl_session_cache off;\n    ssl_session_tickets off;\n'; fi
        else
          printf '    listen 127.0.0.1:%s backlog=4096;\n    proxy_pass 127.0.0.1:%s;\n    proxy_ssl on;\n    proxy_ssl_certificate %s;\n    proxy_ssl_certificate_key %s;\n    proxy_ssl_trusted_certificate %s;\n    proxy_ssl_verify on;\n    proxy_ssl_verify_depth 2;\n    proxy_ssl_name %s;\n    proxy_ssl_server_name on;\n    proxy_ssl_protocols TLSv1.2 TLSv1.3;\n    proxy_ssl_session_reuse %s;\n' \
            "$lp" "$up" "$cert" "$key" "$p/ca.crt" "$BL_SERVER_NAME" "$([ "$BL_RESUME" = 1 ] && echo on || echo off)"
        fi
        printf '  }\n}\n'
      } >"$d/nginx.conf"
      bl_spawn "$d/run" nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" ;;
    stunnel)
      {
        printf 'foreground = yes\npid =\nsyslog = no\ndebug = 4\n[%s]\naccept = 127.0.0.1:%s\nconnect = 127.0.0.1:%s\nCAfile = %s\nverifyChain = yes\nsslVersionMin = TLSv1.2\n' "$role" "$lp" "$up" "$p/ca.crt"
        printf 'ciphersuites = TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256\nsessionResume = %s\n' "$([ "$BL_RESUME" = 1 ] && echo yes || echo no)"
        if [ "$role" = in ]; then
          printf 'cert = %s\nkey = %s\nrequireCert = yes\n' "$cert" "$key"
          [ "$BL_RESUME" = 1 ] || printf 'options = NO_TICKET\n'
        else
          printf 'client = yes\ncert = %s\nkey = %s\ncheckHost = %s\nsni = %s\n' "$cert" "$key" "$BL_SERVER_NAME" "$BL_SERVER_NAME"
        fi
      } >"$d/stunnel.conf"
      bl_spawn "$d/run" "$(command -v stunnel4 || command -v stunnel)" "$d/stunnel.conf" ;;
    *) bl_log "unknown system $sys"; return 1 ;;
  esac
  bl_wait_port "$BL_PID" "$lp" || { bl_log "$sys $role did not listen: $(tail -3 "$d/run.out" 2>/dev/null | tr '\n' ' ')"; return 1; }
}

# bl_pair SYSTEM -> BL_OUT_PID BL_IN_PID BL_OUT_PORT BL_IN_PORT (needs bl_backend first)
bl_pair() {
  BL_IN_PORT=$(bl_free_port) && BL_OUT_PORT=$(bl_free_port) || return 1
  [ "$BL_IN_PORT" != "$BL_OUT_PORT" ] || BL_OUT_PORT=$((BL_IN_PORT + 1))
  bl_start "$1" in "$BL_IN_PORT" "$BL_BACKEND_PORT" || return 1
  BL_IN_PID=$BL_PID
  bl_start "$1" out "$BL_OUT_PORT" "$BL_IN_PORT" || return 1
  BL_OUT_PID=$BL_PID
}

# bl_cpu_ticks PID -> utime+stime (ticks) of one process (all its threads)
bl_cpu_ticks() { awk '{ l=$0; sub(/^[^(]*\(.*\) /, "", l); split(l, f, " "); print f[12]+f[13] }' "/proc/$1/stat" 2>/dev/null || echo 0; }

#!/usr/bin/env python3
"""reliability_tool.py COMMAND ... - the traffic side of the reliability e2e scripts (loopback only,
every loop bounded in count and time). Standard library only.

  backend PORT_HASH PORT_ECHO        hash (sha256 hex of what was read, after EOF) and echo servers
  hold PORT N [--partial] [--seconds S]
                                      opens N TCP connections that never finish a handshake (with
                                      --partial: a TLS record header announcing bytes never sent);
                                      prints "held K", holds them until stdin closes or S seconds
  tls-echo PORT CERT KEY CA SNI      one mTLS client exchange; prints the handshake+echo time, exit 0
                                      when the echo matched
  idle PORT                           reads "open N" lines on stdin: opens N more connections, each
                                      carrying one byte through and back (the whole path is up), then
                                      prints "ready TOTAL"; "close" or EOF closes all and exits
  soak PORT_HASH PORT_ECHO SECONDS WORKERS
                                      mixed traffic until SECONDS: sha256-checked uploads of 1 B..4 MiB
                                      and chatty echo sessions; prints one JSON line of counts
"""
import asyncio, hashlib, json, os, random, socket, ssl, sys, threading, time


def cmd_backend(port_hash, port_echo):
    async def hash_conn(r, w):
        h = hashlib.sha256()
        try:
            while True:
                b = await r.read(65536)
                if not b:
                    break
                h.update(b)
            w.write(h.hexdigest().encode())
            await w.drain()
        except (ConnectionError, OSError):
            pass
        w.close()

    async def echo_conn(r, w):
        try:
            while True:
                b = await r.read(65536)
                if not b:
                    break
                w.write(b)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        w.close()

    async def main():
        a = await asyncio.start_server(hash_conn, "127.0.0.1", int(port_hash), backlog=4096)
        b = await asyncio.start_server(echo_conn, "127.0.0.1", int(port_echo), backlog=4096)
        print("listening", flush=True)
        async with a, b:
            await asyncio.gather(a.serve_forever(), b.serve_forever())

    asyncio.run(main())


def cmd_hold(port, n, *rest):
    partial = "--partial" in rest
    seconds = float(rest[rest.index("--seconds") + 1]) if "--seconds" in rest else 120
    held = []
    for i in range(int(n)):
        try:
            s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
            if partial and i % 2:
                s.send(b"\x16\x03\x01\x02\x00")
            held.append(s)
        except OSError:
            break
    print("held", len(held), flush=True)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait(seconds)
    for s in held:
        s.close()


def cmd_tls_echo(port, cert, key, ca, sni):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca)
    payload = os.urandom(64)
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", int(port)), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as s:
            s.sendall(payload)
            got = b""
            while len(got) < len(payload):
                b = s.recv(4096)
                if not b:
                    break
                got += b
    print("%.1f ms" % ((time.monotonic() - t0) * 1000), flush=True)
    sys.exit(0 if got == payload else 1)


def cmd_idle(port):
    async def one(conns):
        r, w = await asyncio.open_connection("127.0.0.1", int(port))
        w.write(b"x")
        await w.drain()
        if await asyncio.wait_for(r.readexactly(1), 30) != b"x":
            raise RuntimeError("bad echo")
        conns.append(w)

    async def main():
        conns = []
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip() == "close":
                break
            n = int(line.split()[1])
            sem = asyncio.Semaphore(64)  # bounded concurrency: a steady handshake rate

            async def guarded():
                async with sem:
                    await one(conns)
            results = await asyncio.gather(*[guarded() for _ in range(n)], return_exceptions=True)
            errors = [r for r in results if isinstance(r, BaseException)]
            print("ready", len(conns), "errors", len(errors), flush=True)
        for w in conns:
            w.close()

    asyncio.run(main())


def soak_worker(port_hash, port_echo, deadline, counts, lock, seed):
    rng = random.Random(seed)

    def bump(k):
        with lock:
            counts[k] = counts.get(k, 0) + 1

    while time.monotonic() < deadline:
        kind = "hash" if rng.random() < 0.6 else "echo"
        try:
            s = socket.create_connection(("127.0.0.1", port_hash if kind == "hash" else port_echo), timeout=20)
        except OSError:
            bump("connect_failed")
            time.sleep(0.05)
            continue
        s.settimeout(20)
        try:
            if kind == "hash":
                size = int(2 ** rng.uniform(0, 22))  # 1 B .. 4 MiB, log-uniform
                data = rng.randbytes(size)
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                reply = b""
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    reply += b
                if not reply:
                    bump("aborted")  # the upstream was killed: an end, never wrong data
                elif reply == hashlib.sha256(data).hexdigest().encode():
                    bump("ok")
                    with lock:
                        counts["bytes"] = counts.get("bytes", 0) + size
                else:
                    bump("corrupted")
            else:
                ok = True
                for _ in range(rng.randint(1, 20)):
                    data = rng.randbytes(rng.randint(1, 65536))
                    s.sendall(data)
                    got = b""
                    while len(got) < len(data):
                        b = s.recv(len(data) - len(got))
                        if not b:
                            break
                        got += b
                    if got != data[: len(got)]:
                        bump("corrupted")
                        ok = False
                        break
                    if len(got) < len(data):
                        bump("aborted")
                        ok = False
                        break
                    with lock:
                        counts["bytes"] = counts.get("bytes", 0) + 2 * len(data)
                if ok:
                    bump("ok")
        except socket.timeout:
            bump("hung")
        except (ConnectionError, OSError):
            bump("aborted")
        finally:
            s.close()


def cmd_soak(port_hash, port_echo, seconds, workers):
    deadline = time.monotonic() + float(seconds)
    counts, lock = {}, threading.Lock()
    threads = [threading.Thread(target=soak_worker, args=(int(port_hash), int(port_echo), deadline, counts, lock, i))
               for i in range(int(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(float(seconds) + 60)
    counts["stuck_workers"] = sum(t.is_alive() for t in threads)
    print(json.dumps(counts, sort_keys=True), flush=True)


if __name__ == "__main__":
    cmds = {"backend": cmd_backend, "hold": cmd_hold, "tls-echo": cmd_tls_echo, "idle": cmd_idle, "soak": cmd_soak}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])

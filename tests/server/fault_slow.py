"""Hostile and lazy clients: many idle connections (10,000 when the file
descriptor limit allows), slow clients sending a byte a second, bodies that
never finish, oversized headers. Through all of it jotd keeps answering
other clients quickly, closes what stays silent past connection-timeout, and
answers oversized headers with an error instead of a hang."""

import os
import resource
import socket
import threading
import time

from jotdtest import Server, run

TIMEOUT = 3        # --connection-timeout, seconds
IDLE_WANTED = 10000
FAST = 2.0         # seconds within which a normal request must be answered


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def timed(s, method, path, **kw):
    t0 = time.monotonic()
    try:
        r = s.request(method, path, timeout=10, **kw)
        return r.status, time.monotonic() - t0
    except Exception as e:  # a timeout or reset is a result here
        return repr(e), time.monotonic() - t0


def others_answered(t, s, what, access, n=10):
    """n ordinary requests from fresh connections, each answered in time."""
    worst = 0.0
    bad = []
    for i in range(n):
        st, dt = timed(s, "GET", "/healthz") if i % 2 == 0 else timed(
            s, "GET", "/verify", headers={"Authorization": "Bearer " + access})
        worst = max(worst, dt)
        if st != 200 or dt > FAST:
            bad.append((st, round(dt, 3)))
    t.check(not bad, "%s: %d ordinary requests answered 200 within %.1f s (worst %.3f s)" % (what, n, FAST, worst),
            repr(bad[:5]))


def closed_by_server(socks, deadline):
    """How many of socks the server has closed (EOF or reset) by deadline."""
    pending = list(socks)
    closed = 0
    while pending and time.monotonic() < deadline:
        left = []
        for c in pending:
            try:
                c.setblocking(False)
                data = c.recv(4096)
                if data == b"" or data.startswith(b"HTTP/1.1 408"):
                    closed += 1
                else:
                    left.append(c)  # a response: not closed for silence
            except BlockingIOError:
                left.append(c)
            except OSError:
                closed += 1
        pending = left
        if pending:
            time.sleep(0.2)
    return closed


def idle(t, s, access):
    limit = raise_fd_limit()
    n = min(IDLE_WANTED, limit - 200)
    if n < IDLE_WANTED:
        print("# the fd limit is %d: %d idle connections instead of %d" % (limit, n, IDLE_WANTED))
    socks = []
    t0 = time.monotonic()
    try:
        for i in range(n):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.settimeout(5)
            c.connect(("127.0.0.1", s.port))
            socks.append(c)
        print("# %d idle connections open in %.1f s; jotd has %d descriptors" %
              (len(socks), time.monotonic() - t0, fd_count(s.proc.pid)))
        t.eq(len(socks), n, "%d idle connections opened" % n)
        others_answered(t, s, "%d idle connections" % n, access)
        # Silent past the timeout: jotd closes them (libmicrohttpd checks
        # timeouts about once a second; allow a few).
        sample = socks[:: max(1, len(socks) // 200)]
        closed = closed_by_server(sample, time.monotonic() + TIMEOUT + 8)
        t.eq(closed, len(sample), "idle connections closed by jotd after connection-timeout (%d sampled)" %
             len(sample))
        time.sleep(1)
        print("# after the timeout jotd has %d descriptors" % fd_count(s.proc.pid))
    finally:
        for c in socks:
            c.close()


def slow_clients(t, s, access):
    """200 clients sending a request a byte a second; 50 that send part of a
    body and stop."""
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    drips = []
    for i in range(200):
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        drips.append(c)
    stuck = []
    for i in range(50):
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        c.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"username\":")
        stuck.append(c)
    stop = threading.Event()

    def drip():
        for k in range(len(req)):
            if stop.is_set():
                return
            for c in drips:
                try:
                    c.send(req[k:k + 1])
                except OSError:
                    pass
            time.sleep(1.0)

    th = threading.Thread(target=drip)
    th.start()
    try:
        # While 200 clients drip and 50 bodies hang, others are served.
        for rnd in range(3):
            time.sleep(2)
            others_answered(t, s, "200 slow clients, 50 unfinished bodies (round %d)" % rnd, access, n=6)
        # The unfinished bodies go silent: closed after the timeout.
        closed = closed_by_server(stuck, time.monotonic() + TIMEOUT + 8)
        t.eq(closed, len(stuck), "never-finished bodies closed by jotd after connection-timeout")
    finally:
        th.join(60)
        stop.set()
    # A byte a second is activity: the slow clients are served in the end
    # (a total time limit per request would cut them off instead; jotd has
    # none, max-connections bounds what they can hold).
    answered = 0
    for c in drips:
        try:
            c.settimeout(5)
            if c.recv(64).startswith(b"HTTP/1.1 200"):
                answered += 1
        except OSError:
            pass
        c.close()
    print("# %d of %d byte-a-second clients were answered 200 at the end" % (answered, len(drips)))
    t.check(answered >= len(drips) * 9 // 10, "slow clients are answered once their request is complete",
            "(%d of %d)" % (answered, len(drips)))
    for c in stuck:
        c.close()


def oversized_headers(t, s, access):
    def raw(data):
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        try:
            c.sendall(data)
            got = b""
            while True:
                try:
                    chunk = c.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                got += chunk
                if b"\r\n\r\n" in got and len(got) > 2000:
                    break
            return got
        finally:
            c.close()

    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(100))
    got = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"Connection: close\r\n\r\n")
    t.check(got.startswith(b"HTTP/1.1 431") and b'"error":"request_header_fields_too_large"' in got,
            "100 headers: 431 with a JSON error", repr(got[:200]))
    big = b"X-Big: " + b"a" * 30000 + b"\r\n"
    got = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + big + b"Connection: close\r\n\r\n")
    t.check(got.startswith(b"HTTP/1.1 431") and b'"error"' in got, "a 30 KB header: 431 with a JSON error",
            repr(got[:200]))
    # Beyond the connection's memory (64 KiB): libmicrohttpd answers on its
    # own, or closes; either way no hang, and others are served.
    huge = b"X-Huge: " + b"a" * 200000 + b"\r\n"
    t0 = time.monotonic()
    got = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + huge + b"\r\n")
    dt = time.monotonic() - t0
    status = got.split(b"\r\n", 1)[0].decode(errors="replace") if got else "closed"
    print("# a 200 KB header: %s after %.2f s; body %r" % (status, dt, got.split(b"\r\n\r\n", 1)[-1][:120]))
    t.check(dt < TIMEOUT + 5 and (not got or got.startswith(b"HTTP/1.1 4")),
            "a 200 KB header is refused (4xx or closed) without a hang", "(%s after %.1f s)" % (status, dt))
    others_answered(t, s, "after oversized headers", access, n=4)


def main(t):
    s = Server("--connection-timeout", str(TIMEOUT), "--max-connections", "12000", "--threads", "2")
    try:
        s.start()
        access, _ = s.user_tokens()
        idle(t, s, access)
        slow_clients(t, s, access)
        oversized_headers(t, s, access)
        t.check(s.proc.poll() is None, "jotd is still running")
        t.eq(s.stop(), 0, "jotd stops cleanly")
    finally:
        s.cleanup()


if __name__ == "__main__":
    run("fault_slow", main)

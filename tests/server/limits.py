"""Limits: failed logins slowed and then answered 429 (per user, per address,
counted atomically under parallel attempts); the bounded password pool
answers 503 when full and never stalls /verify; idle connections time out;
SIGTERM lets a login in flight finish and exits 0."""

import signal
import socket
import statistics
import threading
import time

from jotdtest import Server, run

PW = "correct horse battery"


def parallel(n, fn):
    barrier = threading.Barrier(n)
    out = [None] * n

    def one(i):
        barrier.wait()
        try:
            out[i] = fn(i)
        except Exception as e:
            out[i] = e

    ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(120)
    return out


def status(r):
    return getattr(r, "status", None)


def throttle(t):
    s = Server("--login-limit-user", "3", "--login-limit-address", "1000", "--login-slow-after", "100").start()
    try:
        for name in ["alice", "bob", "carol"]:
            s.signup(name, PW)
        got = [s.login("alice", "wrong password").status for _ in range(3)]
        t.eq(got, [401, 401, 401], "throttle: three failures are 401")
        r = s.login("alice", PW)
        t.check(r.status == 429 and r.error() == "too_many_requests" and int(r.header("retry-after") or 0) > 0,
                "throttle: then even the right password is 429 with Retry-After", repr(r))
        t.eq(s.login("bob", PW).status, 200, "throttle: other users are not affected")
        # Parallel attempts cannot slip past the limit.
        res = parallel(10, lambda i: s.login("carol", "wrong password"))
        codes = sorted(status(r) for r in res)
        t.eq((codes.count(401), codes.count(429)), (3, 7),
             "throttle: 10 parallel failures: exactly 3 are tried, 7 are 429")
        m = s.request("GET", "/metrics").body.decode()
        t.check('jotd_logins_total{result="throttled"} 8' in m, "throttle: counted in /metrics")
        t.eq(s.stop(), 0, "throttle: exit 0")
    finally:
        s.cleanup()

    s = Server("--login-limit-user", "100", "--login-limit-address", "5", "--login-slow-after", "100").start()
    try:
        got = [s.login("user%d" % i, "wrong password").status for i in range(5)]
        t.eq(got, [401] * 5, "throttle by address: five failures over five names are 401")
        r = s.login("someone", "wrong password")
        t.eq(r.status, 429, "throttle by address: the sixth is 429")
        t.eq(s.stop(), 0, "throttle by address: exit 0")
    finally:
        s.cleanup()

    s = Server("--login-limit-user", "10", "--login-slow-after", "1").start()
    try:
        s.signup("alice", PW)
        t0 = time.time()
        s.login("alice", "wrong password")
        first = time.time() - t0
        t0 = time.time()
        s.login("alice", "wrong password")
        second = time.time() - t0
        t0 = time.time()
        r = s.login("alice", PW)
        third = time.time() - t0
        t.check(first < 0.9 and 0.9 <= second < 3 and 1.9 <= third < 5,
                "slow-down: the second attempt waits 1 s, the third 2 s", repr((first, second, third)))
        t.eq(r.status, 200, "slow-down: the right password still works when slowed")
        t.eq(s.stop(), 0, "slow-down: exit 0")
    finally:
        s.cleanup()


def pool(t):
    # One hashing thread, a queue of two, and a costly hash.
    s = Server("--hash-workers", "1", "--hash-queue", "2", "--argon2-memory", "65536", "--argon2-iterations", "4",
               fast=False).start()
    try:
        t0 = time.time()
        t.eq(s.signup("alice", PW).status, 201, "pool: signup")
        one_hash = time.time() - t0
        at = s.login("alice", PW).json()["access_token"]
        verify_times = []
        stop = threading.Event()

        def verifier():
            while not stop.is_set():
                a = time.time()
                r = s.verify(at)
                verify_times.append((time.time() - a, r.status))

        vt = threading.Thread(target=verifier)
        vt.start()
        res = parallel(12, lambda i: s.login("alice", PW))
        stop.set()
        vt.join(30)
        codes = [status(r) for r in res]
        busy = [r for r in res if status(r) == 503]
        # One job running and two queued, or (when the burst comes before the
        # worker has taken the first) two queued: at least two get through.
        t.check(codes.count(200) >= 2 and len(busy) >= 1 and codes.count(200) + len(busy) == 12,
                "pool: a login burst beyond the queue gets 503 for the excess, 200 for the rest", repr(codes))
        t.check(all(r.error() == "temporarily_unavailable" and r.header("retry-after") for r in busy),
                "pool: 503 temporarily_unavailable with Retry-After")
        worst = max(x[0] for x in verify_times) if verify_times else 99
        t.check(verify_times and all(x[1] == 200 for x in verify_times), "pool: /verify kept answering 200",
                repr(len(verify_times)))
        # Were /verify waiting behind a hash, its worst case would be at
        # least one hash.
        t.check(worst < one_hash / 2, "pool: /verify is never stalled by hashing (worst %.3f s, one hash %.3f s)"
                % (worst, one_hash))
        t.eq(s.stop(), 0, "pool: exit 0")
    finally:
        s.cleanup()


def shutdown(t):
    s = Server("--argon2-memory", "131072", "--argon2-iterations", "4", "--connection-timeout", "2s",
               fast=False).start()
    try:
        s.signup("alice", PW)
        # An idle half-sent request is dropped after connection-timeout.
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        c.sendall(b"GET /healthz HTTP/1.1\r\n")
        t0 = time.time()
        try:
            data = c.recv(100)
        except OSError:
            data = b""
        waited = time.time() - t0
        c.close()
        t.check(data == b"" and 1 <= waited < 8, "connection-timeout: an idle connection is closed", repr(waited))

        holder = {}

        def login():
            holder["r"] = s.login("alice", PW)

        th = threading.Thread(target=login)
        th.start()
        time.sleep(0.15)
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.05)
        # While the login drains, a new connection is not served.
        in_flight = "r" not in holder
        try:
            r = s.request("GET", "/healthz", timeout=5)
            t.check(False, "SIGTERM: a new connection while a login drains is not served", repr(r))
        except OSError as e:
            t.check(True, "SIGTERM: a new connection while a login drains is not served (%s)" % type(e).__name__)
        if not in_flight:
            print("# the login had already finished when the new connection came")
        rc = s.stop()
        th.join(30)
        t.eq(status(holder.get("r")), 200, "SIGTERM: the login in flight is answered")
        t.eq(rc, 0, "SIGTERM: exit 0 after finishing it")
        try:
            s.request("GET", "/healthz", timeout=2)
            t.check(False, "SIGTERM: no more connections afterwards")
        except OSError:
            t.check(True, "SIGTERM: no more connections afterwards")
    finally:
        s.cleanup()


def main(t):
    throttle(t)
    pool(t)
    shutdown(t)


run("limits", main)

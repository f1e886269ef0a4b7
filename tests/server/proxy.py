"""Behind a reverse proxy: with --trusted-proxies, the client of a request
from a trusted peer is the rightmost X-Forwarded-For entry that is not a
trusted proxy (what the login limits count and the sessions list shows);
from any other peer, or without the setting, X-Forwarded-For is ignored.
Also: --dashboard off leaves / unserved."""

import json
import socket
import time

from jotdtest import Server, run

PW = "correct horse battery"


def login(s, user, pw, xff=None):
    headers = {"X-Forwarded-For": xff} if xff is not None else {}
    return s.request("POST", "/login", json_body={"username": user, "password": pw, "refresh_in_body": True},
                     headers=headers)


def client_of(s, xff):
    """The client address recorded for a login made with this header."""
    r = login(s, "alice", PW, xff)
    if r.status != 200:
        return "login %d" % r.status
    at = r.json()["access_token"]
    r = s.request("GET", "/sessions", headers={"Authorization": "Bearer " + at})
    mine = [x for x in r.json().get("sessions", []) if x.get("current")] if r.status == 200 else []
    return mine[0]["client_addr"] if mine else "no session"


def two_lines(s):
    """A login whose X-Forwarded-For comes in two lines: one the client
    wrote, then one its proxy added (HAProxy adds a line of its own)."""
    body = json.dumps({"username": "alice", "password": PW, "refresh_in_body": True}).encode()
    req = (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
           b"X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 203.0.113.50\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body)) + body
    with socket.create_connection(("127.0.0.1", s.port), timeout=30) as c:
        c.sendall(req)
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    at = json.loads(data.split(b"\r\n\r\n", 1)[1])["access_token"]
    r = s.request("GET", "/sessions", headers={"Authorization": "Bearer " + at})
    mine = [x for x in r.json().get("sessions", []) if x.get("current")]
    return mine[0]["client_addr"] if mine else "no session"


def trusted(t):
    s = Server("--trusted-proxies", "127.0.0.1, ::1", "--login-limit-address", "3", "--login-limit-user", "1000",
               "--login-slow-after", "1000", "--dashboard", "off").start()
    try:
        s.signup("alice", PW)
        t.eq(client_of(s, "203.0.113.7"), "203.0.113.7", "trusted peer: the address it forwards")
        t.eq(client_of(s, "198.51.100.1, 203.0.113.8"), "203.0.113.8",
             "trusted peer: the rightmost entry, not one the client wrote")
        t.eq(client_of(s, "203.0.113.9, 127.0.0.1"), "203.0.113.9", "a chain of trusted proxies is skipped")
        t.eq(client_of(s, "2001:db8::1"), "2001:db8::1", "an IPv6 client")
        t.eq(client_of(s, "not-an-address"), "127.0.0.1", "garbage: the peer's address")
        t.eq(two_lines(s), "203.0.113.50", "two header lines: the proxy's line counts, not the client's")
        t.eq(client_of(s, None), "127.0.0.1", "no header: the peer's address")
        # The per-address limit counts the forwarded clients one by one.
        codes = [login(s, "user%d" % i, "a wrong password", "192.0.2.1").status for i in range(4)]
        t.eq(codes, [401, 401, 401, 429], "login limit: the fourth failure from one forwarded client is 429")
        t.eq(login(s, "alice", PW, "192.0.2.2").status, 200, "login limit: another forwarded client is not affected")
        t.eq(login(s, "alice", PW, "9.9.9.9, 192.0.2.1").status, 429,
             "login limit: a forged entry left of it does not escape the limit")
        r = s.request("GET", "/")
        t.eq(r.status, 404, "--dashboard off: / is 404")
        t.eq(s.stop(), 0, "jotd: exit 0 on SIGTERM")
    finally:
        s.cleanup()


def untrusted(t):
    s = Server().start()
    try:
        s.signup("alice", PW)
        t.eq(client_of(s, "203.0.113.7"), "127.0.0.1", "no trusted proxies: X-Forwarded-For is ignored")
        t.eq(s.request("GET", "/").status, 200, "the dashboard is on by default")
        # A request is counted when libmicrohttpd reports it complete, which
        # may come just after its client has read the answer.
        want = 'jotd_http_requests_total{route="dashboard",status="2xx"} 1'
        deadline = time.time() + 5
        while True:
            m = s.request("GET", "/metrics").body.decode()
            if want in m or time.time() > deadline:
                break
            time.sleep(0.05)
        t.check(want in m,
                "metrics: the dashboard's pages have a series of their own",
                "\n".join(x for x in m.splitlines() if "requests_total" in x))
        t.eq(s.stop(), 0, "jotd: exit 0 on SIGTERM")
    finally:
        s.cleanup()
    s = Server("--trusted-proxies", "192.0.2.50").start()
    try:
        s.signup("alice", PW)
        t.eq(client_of(s, "203.0.113.7"), "127.0.0.1", "a peer that is not in the list: ignored")
    finally:
        s.cleanup()


def body(t):
    trusted(t)
    untrusted(t)
    r = Server("--trusted-proxies", "10.0.0.300")
    out = r.jotd("serve", "--trusted-proxies", "10.0.0.300")
    t.check(out.returncode == 2 and b"trusted-proxies" in out.stderr, "a bad address is refused at start",
            repr(out.returncode) + out.stderr.decode(errors="replace"))
    r.cleanup()


run("proxy", body)

"""Request smuggling (RFC 9112 6.1-6.3, 5.1): over raw sockets, requests
whose body length two readers could tell apart -- Content-Length with
Transfer-Encoding, two Content-Lengths, a transfer coding other than
"chunked", Transfer-Encoding in HTTP/1.0, white space before a colon -- each
carrying a complete second request after it. Each must get exactly one
answer, a 400 JSON error with "Connection: close", then the end of the
connection; the second request is never answered, nor logged. The controls
(pipelined keep-alive requests, a chunked login, Content-Length "05") must
still get every answer, so that a check refusing too much fails too."""

import json
import socket
import time

from jotdtest import VALGRIND, Server, run

PW = "correct horse battery"
CREDS = json.dumps({"username": "alice", "password": PW}).encode()
# How long a refused connection may stay open after its answer.
CLOSE_WITHIN = 15 if VALGRIND else 3
# The request smuggled after each refused one: a route the rest of the test
# never asks for, so that its line in the request log would give it away.
SMUGGLED = b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\n\r\n"
HEALTH = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
HEALTH_CLOSE = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (lower-case name, value)
        self.body = body

    def all(self, name):
        return [v for k, v in self.headers if k == name]

    def json_error(self):
        if [v.split(";")[0].strip() for v in self.all("content-type")] != ["application/json"]:
            return None
        try:
            j = json.loads(self.body)
        except ValueError:
            return None
        if isinstance(j, dict) and isinstance(j.get("error"), str) and isinstance(j.get("error_description"), str):
            return j["error"]
        return None

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:120])


def parse(data):
    """The answers in data, in order, and the bytes that are not one."""
    answers = []
    while data.startswith(b"HTTP/1.") and b"\r\n\r\n" in data:
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split(" ")[1])
        except (IndexError, ValueError):
            break
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k.strip().lower(), v.strip()))
        cl = [v for k, v in headers if k == "content-length"]
        n = int(cl[0]) if len(cl) == 1 and cl[0].isdigit() else 0
        if len(rest) < n:
            break
        answers.append(Answer(status, headers, rest[:n]))
        data = rest[n:]
    return answers, data


def exchange(s, data, later=None):
    """Send data on a new connection; read until the server closes it (or
    CLOSE_WITHIN seconds pass without a byte). With later, after a first
    answer has come, send those bytes too (a smuggled request that arrives
    after the refusal). Returns (answers, junk bytes, closed)."""
    c = socket.create_connection(("127.0.0.1", s.port), timeout=CLOSE_WITHIN)
    out = b""
    closed = False
    try:
        c.sendall(data)
        while True:
            if later is not None and parse(out)[0]:
                try:
                    c.sendall(later)
                except OSError:
                    closed = True  # EPIPE or a reset: it is closed
                    break
                later = None
            try:
                chunk = c.recv(65536)
            except ConnectionResetError:
                closed = True
                break
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            out += chunk
    finally:
        c.close()
    answers, junk = parse(out)
    return answers, junk, closed


def post(framing, body, version=b"HTTP/1.1"):
    """POST /login with the given framing header lines, then body."""
    return (b"POST /login " + version + b"\r\nHost: x\r\nContent-Type: application/json\r\n" +
            b"".join(h + b"\r\n" for h in framing) + b"\r\n" + body)


def chunked(data):
    return b"%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n" if data else b"0\r\n\r\n"


def smuggling_cases():
    """(what, bytes): each a refused request with SMUGGLED hidden after or
    inside its body, as one reader or the other would frame it."""
    cl_te_body = b"0\r\n\r\n" + SMUGGLED                  # chunked: ends at once; CL: all of it
    te_cl_body = chunked(SMUGGLED)                        # chunked: all of it; CL 4: "NN\r\n"
    te_cl_len = len(te_cl_body.split(b"\r\n", 1)[0]) + 2
    two_cl_long = len(CREDS + SMUGGLED)
    cases = [
        ("Content-Length then Transfer-Encoding (CL.TE)",
         post([b"Content-Length: %d" % len(cl_te_body), b"Transfer-Encoding: chunked"], cl_te_body)),
        ("Transfer-Encoding then Content-Length (CL.TE)",
         post([b"Transfer-Encoding: chunked", b"Content-Length: %d" % len(cl_te_body)], cl_te_body)),
        ("Transfer-Encoding then Content-Length (TE.CL)",
         post([b"Transfer-Encoding: chunked", b"Content-Length: %d" % te_cl_len], te_cl_body)),
        ("Content-Length then Transfer-Encoding (TE.CL)",
         post([b"Content-Length: %d" % te_cl_len, b"Transfer-Encoding: chunked"], te_cl_body)),
        ("two Content-Lengths, the short one first",
         post([b"Content-Length: %d" % len(CREDS), b"Content-Length: %d" % two_cl_long], CREDS + SMUGGLED)),
        ("two Content-Lengths, the long one first",
         post([b"Content-Length: %d" % two_cl_long, b"Content-Length: %d" % len(CREDS)], CREDS + SMUGGLED)),
        ("two equal Content-Lengths",
         post([b"Content-Length: %d" % len(CREDS)] * 2, CREDS + SMUGGLED)),
        ("Content-Length and Transfer-Encoding: identity",
         post([b"Transfer-Encoding: identity", b"Content-Length: %d" % len(CREDS)], CREDS + SMUGGLED)),
        ("Transfer-Encoding in HTTP/1.0 (keep-alive)",
         post([b"Connection: keep-alive", b"Transfer-Encoding: chunked"], chunked(CREDS) + SMUGGLED, b"HTTP/1.0")),
        ("Transfer-Encoding and Content-Length in HTTP/1.0",
         post([b"Connection: keep-alive", b"Transfer-Encoding: chunked", b"Content-Length: %d" % len(CREDS)],
              CREDS + SMUGGLED, b"HTTP/1.0")),
        ("white space before the colon of Content-Length",
         post([b"Content-Length : %d" % len(CREDS + SMUGGLED)], CREDS + SMUGGLED)),
        ("white space before the colon of Transfer-Encoding",
         post([b"Transfer-Encoding : chunked"], b"0\r\n\r\n" + SMUGGLED)),
        ("a header line that starts with white space",
         b"POST /login HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: x\r\n"
         b"Content-Type: application/json\r\n\r\n" + b"0\r\n\r\n" + SMUGGLED),
    ]
    # Codings other than "chunked" alone: the length cannot be determined
    # the way libmicrohttpd would read it (RFC 9112 6.3 (4)).
    for te in [b"gzip, chunked", b"chunked, chunked", b"xchunked", b"chunked ", b"chunked;q=1", b"identity",
               b"gzip", b"chunked, identity", b""]:
        cases.append(("Transfer-Encoding: %r" % te.decode(),
                      post([b"Transfer-Encoding: " + te], b"0\r\n\r\n" + SMUGGLED)))
    for lines in [[b"chunked", b"chunked"], [b"gzip", b"chunked"], [b"chunked", b"gzip"]]:
        cases.append(("two Transfer-Encoding lines %r" % [x.decode() for x in lines],
                      post([b"Transfer-Encoding: " + x for x in lines], b"0\r\n\r\n" + SMUGGLED)))
    # The same on a route that takes no body and one that does not exist:
    # framing is checked before routing.
    cases.append(("CL.TE on GET /healthz",
                  b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n"
                  % len(cl_te_body) + cl_te_body))
    # A client waiting for "100 Continue" before its body gets the refusal
    # instead (a 100 would be a second answer).
    cases.append(("CL.TE with Expect: 100-continue",
                  post([b"Expect: 100-continue", b"Content-Length: %d" % len(cl_te_body),
                        b"Transfer-Encoding: chunked"], b"")))
    cases.append(("two Content-Lengths on an unknown path",
                  b"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: %d\r\n\r\n"
                  % len(SMUGGLED) + SMUGGLED))
    return cases


def check_refused(t, what, answers, junk, closed):
    a = answers[0] if answers else None
    t.check(len(answers) == 1 and not junk, "%s: exactly one answer" % what, repr((answers, junk[:80])))
    t.check(a is not None and a.status == 400 and a.json_error() == "invalid_request",
            "%s: 400 invalid_request, JSON" % what, repr(a))
    t.check(a is not None and [v.lower() for v in a.all("connection")] == ["close"],
            "%s: Connection: close, once" % what, repr(a and a.headers))
    t.check(closed, "%s: the connection is closed within %ds" % (what, CLOSE_WITHIN))


def check_mhd_refused(t, what, answers, junk, closed):
    """Content-Length values libmicrohttpd refuses before jotd sees the
    request: its own 400 (0.9.75's is HTML, not jotd's JSON, and sends its
    header block twice: not jotd's to fix), then the end of the
    connection."""
    t.check(answers and answers[0].status == 400, "%s: 400 from libmicrohttpd" % what, repr((answers, junk[:80])))
    t.check(all(a.status == 400 for a in answers) and b"keys" not in junk and b"200 OK" not in junk,
            "%s: nothing else answered" % what, repr((answers, junk[:80])))
    t.check(closed, "%s: the connection is closed within %ds" % (what, CLOSE_WITHIN))


def check_controls(t, s):
    # Keep-alive pipelining: both answered, on one connection.
    answers, junk, closed = exchange(s, HEALTH + HEALTH_CLOSE)
    t.check([a.status for a in answers] == [200, 200] and not junk and closed,
            "control: two pipelined GET /healthz get two answers", repr((answers, junk[:80], closed)))
    login = post([b"Content-Length: %d" % len(CREDS)], CREDS)
    answers, junk, closed = exchange(s, login + HEALTH_CLOSE)
    t.check([a.status for a in answers] == [200, 200] and not junk,
            "control: POST /login with Content-Length, then a pipelined GET, get two answers", repr(answers))
    t.check(answers and "access_token" in json.loads(answers[0].body or b"{}"),
            "control: the Content-Length login gives a token", repr(answers))
    # RFC 9112 7.1: chunked, in any case, with leading white space (OWS).
    for te in [b"chunked", b"CHUNKED", b"Chunked", b"  chunked"]:
        body = b"%x\r\n" % 10 + CREDS[:10] + b"\r\n" + b"%x\r\n" % (len(CREDS) - 10) + CREDS[10:] + b"\r\n0\r\n\r\n"
        answers, junk, closed = exchange(s, post([b"Transfer-Encoding: " + te], body) + HEALTH_CLOSE)
        ok = [a.status for a in answers] == [200, 200] and not junk and "access_token" in json.loads(answers[0].body)
        t.check(ok, "control: a chunked login (Transfer-Encoding: %r), then a pipelined GET, both answered" % te.decode(),
                repr((answers, junk[:80])))
    # RFC 9110 8.6: Content-Length is 1*DIGIT; a leading zero is a digit.
    answers, junk, closed = exchange(s, post([b"Content-Length: 0%d" % len(CREDS)], CREDS) + HEALTH_CLOSE)
    t.check([a.status for a in answers] == [200, 200] and not junk,
            "control: Content-Length with a leading zero is read as the number", repr(answers))
    answers, junk, closed = exchange(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                        b"0\r\n\r\n" + HEALTH_CLOSE)
    t.check([a.status for a in answers] == [200, 200] and not junk,
            "control: a GET with an empty chunked body, then another, both answered", repr(answers))
    answers, junk, closed = exchange(s, b"POST /login HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n"
                                        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(CREDS) +
                                     CREDS + HEALTH_CLOSE)
    t.check([a.status for a in answers] == [200, 200] and not junk,
            "control: HTTP/1.0 keep-alive with Content-Length, then another, both answered", repr(answers))


def main(t):
    s = Server().start()
    try:
        t.eq(s.signup("alice", PW).status, 201, "setup: signup")
        check_controls(t, s)
        for what, data in smuggling_cases():
            check_refused(t, what, *exchange(s, data))
        # The second request sent only once the refusal is read: the
        # connection is gone, not waiting for it.
        head = post([b"Content-Length: 5", b"Transfer-Encoding: chunked"], b"0\r\n\r\n")
        check_refused(t, "CL.TE, the smuggled request sent after the answer", *exchange(s, head, later=SMUGGLED))
        head = post([b"Content-Length: %d" % len(CREDS), b"Content-Length: 1"], CREDS)
        check_refused(t, "two Content-Lengths, the next request sent after the answer",
                      *exchange(s, head, later=SMUGGLED))
        # Values libmicrohttpd itself refuses (RFC 9110 8.6: 1*DIGIT).
        for cl in [b"+%d", b"%d, %d", b"%d ", b"0x%x", b"-1", b""]:
            v = cl % ((len(CREDS),) * cl.count(b"%")) if b"%" in cl else cl
            what = "Content-Length: %r" % v.decode()
            check_mhd_refused(t, what, *exchange(s, post([b"Content-Length: " + v], CREDS + SMUGGLED)))

        # A body sent without its length is read as the next request line:
        # its "path" is no path, and none of it is logged (it may be a
        # password).
        stray = b"GET stray-secret-7f3a9c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        answers, junk, closed = exchange(s, post([], b"") + stray)
        t.check(len(answers) >= 1 and answers[0].status == 400 and closed,
                "a POST without a body length: answered, then the stray line", repr(answers))

        # Still serving, and after all that the request log holds no line
        # of the smuggled request.
        t.eq(s.request("GET", "/healthz").status, 200, "still healthy")
        time.sleep(0.2)
        t.eq(s.stop(), 0, "exit 0 on SIGTERM")
        log = s.log()
        t.check("jwks.json" not in log, "no smuggled request in the request log (read after the stop: complete)",
                "\n".join(line for line in log.splitlines() if "jwks.json" in line)[:400])
        t.check('"status":5' not in log, "no 5xx in the request log")
        t.check("stray-secret" not in log, "a request line's path that is no path is not logged")
        refused = [line for line in log.splitlines() if '"event":"bad_framing"' in line]
        t.check(len(refused) >= len(smuggling_cases()) and all('"status":400' in line for line in refused),
                "each refusal is logged with status 400 and event bad_framing", "%d lines" % len(refused))
    finally:
        s.cleanup()


run("smuggling", main)

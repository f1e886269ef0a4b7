"""Bad input: malformed JSON, wrong content types, oversized bodies, unknown
paths and methods, header floods, broken HTTP. Each must get a 4xx answer
(a JSON error wherever jotd itself answers), never a 5xx, never a crash."""

import json
import socket

from jotdtest import Server, run

PW = "correct horse battery"


def raw(s, data, timeout=10):
    """Send raw bytes; return (status or None, body bytes)."""
    with socket.create_connection(("127.0.0.1", s.port), timeout=timeout) as c:
        try:
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        out = b""
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                out += chunk
        except OSError:
            pass
    status = None
    if out.startswith(b"HTTP/1."):
        try:
            status = int(out.split(b" ", 2)[1])
        except ValueError:
            pass
    body = out.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in out else b""
    return status, body


def json_error(body):
    try:
        j = json.loads(body)
    except Exception:
        return False
    return isinstance(j, dict) and isinstance(j.get("error"), str) and isinstance(j.get("error_description"), str)


def main(t):
    s = Server().start()
    try:
        t.eq(s.signup("alice", PW).status, 201, "setup: signup")
        statuses = []

        def expect(r, status, what, code=None):
            statuses.append(r.status)
            ok = r.status == status and r.is_json_error() and (code is None or r.error() == code)
            t.check(ok, what, repr(r))

        malformed = [
            b"{", b"}", b"[]", b'"alice"', b"null", b"", b"{}{}", b'{"username":}', b'{"username" "a"}',
            b"{'username':'alice'}", b'{"username":"alice",}', b'{"username":"alice" "password":"x"}',
            b'{"username":"ali\x01ce","password":"correct horse battery"}',
            b'{"username":"alice","password":"\xff\xfe broken utf-8"}',
            b'{"username":"alice","password":"\xc0\xaf overlong"}',
            b'{"username":"alice","password":"\\ud800 lone surrogate"}',
            b'{"username":"alice","password":"nul \\u0000 inside"}',
            b'{"username":"alice","password":"bad \\x escape"}',
            b'{"username":"alice","username":"bob","password":"correct horse battery"}',
            b'{"a":' * 100 + b"1" + b"}" * 100,
            b'{"n":01}', b'{"n":1.}', b'{"n":-}', b'{"t":tru}',
            b"{" + b",".join(b'"k%d":1' % i for i in range(100)) + b"}",
        ]
        for body in malformed:
            r = s.request("POST", "/login", body=body, headers={"Content-Type": "application/json"})
            if body == b"":
                expect(r, 400, "empty JSON body at /login is 400 (missing fields)", "invalid_request")
            else:
                expect(r, 400, "malformed JSON %r is 400 invalid_request" % body[:40], "invalid_request")
        r = s.request("POST", "/login", body=b'{"username":"alice","password":"correct horse battery","x":[1,{"y":null}]}',
                      headers={"Content-Type": "application/json; charset=utf-8"})
        t.eq(r.status, 200, "well-formed JSON with nested extras and charset=utf-8 is accepted")

        for ct in ["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json; charset=latin1",
                   "application/jsonx", None]:
            h = {"Content-Type": ct} if ct else {}
            r = s.request("POST", "/login", body=b'{"username":"alice","password":"x"}', headers=h)
            expect(r, 415, "Content-Type %r at /login is 415" % ct, "unsupported_media_type")
        r = s.request("POST", "/token", body=b"grant_type=refresh_token&refresh_token=%zz",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        expect(r, 400, "bad percent-encoding is 400", "invalid_request")
        r = s.request("POST", "/token", body=b"grant_type=refresh_token&grant_type=refresh_token",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        expect(r, 400, "a repeated form parameter is 400 (RFC 6749 3.1)", "invalid_request")

        big = b'{"username":"alice","password":"' + b"x" * (17 * 1024) + b'"}'
        r = s.request("POST", "/login", body=big, headers={"Content-Type": "application/json"})
        expect(r, 413, "a 17 KiB body is 413", "request_too_large")
        st, body = raw(s, b"POST /signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                       b"".join(b"1000\r\n" + b"y" * 4096 + b"\r\n" for _ in range(6)) + b"0\r\n\r\n")
        statuses.append(st or 0)
        t.check(st == 413 and json_error(body), "a 24 KiB chunked body is 413 JSON", repr((st, body[:100])))
        exact = b'{"username":"alice","password":"' + b"x" * (16 * 1024 - 36) + b'"}'
        r = s.request("POST", "/login", body=exact, headers={"Content-Type": "application/json"})
        t.check(len(exact) <= 16 * 1024 and r.status == 400, "a body of 16 KiB is read (and refused as too long a password)",
                repr((len(exact), r)))
        statuses.append(r.status)

        for path in ["/index.html", "/admin", "/login/", "/LOGIN", "/%00", "/" + "a" * 3000, "/.well-known/openid-configuration",
                     "/verify/../login"]:
            r = s.request("GET", path)
            expect(r, 404, "unknown path %r is 404" % path[:40], "not_found")
        for method, path in [("PUT", "/login"), ("DELETE", "/verify"), ("PATCH", "/token"), ("OPTIONS", "/token"),
                             ("GET", "/login"), ("POST", "/.well-known/jwks.json"), ("BREW", "/login")]:
            r = s.request(method, path)
            expect(r, 405, "%s %s is 405" % (method, path), "method_not_allowed")

        hdrs = {"X-Flood-%d" % i: "v" for i in range(100)}
        r = s.request("GET", "/healthz", headers=hdrs)
        expect(r, 431, "100 headers is 431 JSON", "request_header_fields_too_large")
        r = s.request("GET", "/healthz", headers={"X-Big": "b" * 20000})
        expect(r, 431, "a 20 KB header is 431 JSON", "request_header_fields_too_large")
        # Beyond libmicrohttpd's own buffer (64 KiB) it answers for us, or
        # closes the connection: a 4xx or nothing, but no crash.
        st, _ = raw(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                    b"".join(b"X-Flood-%d: %s\r\n" % (i, b"z" * 100) for i in range(2000)) + b"\r\n")
        t.check(st is None or 400 <= st < 500, "a 200 KB header flood is refused", repr(st))
        # libmicrohttpd answers an unknown HTTP version itself, with the
        # status RFC 9110 15.6.6 prescribes.
        st, _ = raw(s, b"GET / HTTP/9.9\r\n\r\n")
        t.eq(st, 505, "HTTP/9.9 is 505 HTTP Version Not Supported")
        for junk in [b"GARBAGE\r\n\r\n", b"\x00\x01\x02\r\n\r\n",
                     b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                     b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"]:
            st, _ = raw(s, junk)
            t.check(st is None or 400 <= st < 500, "broken HTTP %r is refused" % junk[:30], repr(st))
        # A token in the query string is not read, and not logged.
        at = s.login("alice", PW).json()["access_token"]
        r = s.request("GET", "/verify?access_token=" + at)
        expect(r, 401, "a token in the query string is not accepted", "invalid_token")
        t.check(at not in s.wait_log('"path":"/verify","status":401'), "the query string is not logged")

        t.check(all(x < 500 for x in statuses), "no 5xx answer at all", repr([x for x in statuses if x >= 500]))
        r = s.request("GET", "/healthz")
        t.eq(r.status, 200, "still healthy after all that")
        t.eq(s.login("alice", PW).status, 200, "still logs in after all that")
        t.eq(s.stop(), 0, "exit 0 on SIGTERM")
        t.check('"status":5' not in s.log(), "no 5xx in the request log (read after the stop: complete)")
    finally:
        s.cleanup()


run("bad_input", main)

"""Every endpoint of jotd: its success and each of its error statuses and
codes (CONTRACT.md, section jotd)."""

import time

from jotdtest import Server, claims_of, header_of, run

PW = "correct horse battery"


def signup_tests(t, s):
    r = s.signup("alice", PW)
    t.eq(r.status, 201, "signup: 201")
    j = r.json()
    t.check(j.get("username") == "alice" and j.get("role") == "user" and len(j.get("id", "")) == 36,
            "signup: body has id, username, role", repr(j))
    r = s.signup("alice", PW)
    t.eq((r.status, r.error()), (409, "username_taken"), "signup: same name again is 409 username_taken")
    r = s.signup("ALICE", PW)
    t.eq((r.status, r.error()), (409, "username_taken"), "signup: usernames are case-insensitive")
    bad = [
        ({"username": "bob"}, "missing password"),
        ({"password": PW}, "missing username"),
        ({"username": 5, "password": PW}, "non-string username"),
        ({"username": "bo b", "password": PW}, "space in username"),
        ({"username": "b" * 65, "password": PW}, "65-character username"),
        ({"username": "", "password": PW}, "empty username"),
        ({"username": "bob", "password": "short77"}, "7-byte password"),
        ({"username": "bob", "password": "x" * 1025}, "1025-byte password"),
    ]
    for body, what in bad:
        r = s.request("POST", "/signup", json_body=body)
        t.check(r.status == 400 and r.error() == "invalid_request" and r.is_json_error(),
                "signup: %s is 400 invalid_request" % what, repr(r))
    r = s.request("POST", "/signup", json_body={"username": "bob", "password": ("Zq8 wombat lantern " * 60)[:1024]})
    t.eq(r.status, 201, "signup: 1024-byte password is accepted")
    r = s.request("POST", "/signup", json_body={"username": "carol.b_c@d-e", "password": "Xk#9vQ!2"})
    t.eq(r.status, 201, "signup: every allowed username character, 8-byte password")
    r = s.request("POST", "/signup", body="username=dave&password=12345678",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    t.eq((r.status, r.error()), (415, "unsupported_media_type"), "signup: a form body is 415")
    r = s.request("GET", "/signup")
    t.check(r.status == 405 and r.error() == "method_not_allowed" and "POST" in (r.header("allow") or ""),
            "signup: GET is 405 with Allow: POST", repr(r))


def login_tests(t, s):
    r = s.login("alice", PW, in_body=False)
    t.eq(r.status, 200, "login: 200")
    j = r.json()
    t.check(j.get("token_type") == "Bearer" and j.get("expires_in") == 600 and "refresh_token" not in j,
            "login: Bearer, expires_in 600, no refresh_token in the body", repr(j))
    sc = r.set_cookie("jot_refresh") or ""
    attrs = [a.strip().lower() for a in sc.split(";")[1:]]
    t.check("httponly" in attrs and "secure" in attrs and "samesite=strict" in attrs and "path=/token" in attrs,
            "login: cookie jot_refresh is HttpOnly; Secure; SameSite=Strict; Path=/token", sc)
    t.eq(r.header("cache-control"), "no-store", "login: Cache-Control no-store (RFC 6749 5.1)")
    at = j["access_token"]
    h, c = header_of(at), claims_of(at)
    t.check(h.get("typ") == "at+jwt" and h.get("alg") == "ES256" and h.get("kid"),
            "login: access token header typ at+jwt, ES256, kid", repr(h))
    want = {"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "sid", "role", "name"}
    t.check(want <= set(c), "login: access token has the RFC 9068 claims, sid, role, name", repr(c))
    t.check(c.get("exp", 0) - c.get("iat", 0) == 600 and c.get("name") == "alice" and c.get("role") == "user"
            and c.get("aud") == "jot" and c.get("iss") == s.base,
            "login: access token values (ttl 600, name, role, aud, iss)", repr(c))

    r = s.login("alice", PW)
    j = r.json()
    t.check(r.status == 200 and "refresh_token" in j and r.set_cookie("jot_refresh") is None,
            "login: refresh_in_body puts the refresh token in the body, not a cookie", repr(r))
    rh, rc = header_of(j["refresh_token"]), claims_of(j["refresh_token"])
    t.check(rh.get("typ") == "refresh+jwt" and rc.get("aud") == s.base and rc.get("sid") and rc.get("jti"),
            "login: refresh token is typ refresh+jwt with sid and jti", repr((rh, rc)))
    t.check(claims_of(j["access_token"])["sid"] != c["sid"], "login: each login is a new family (sid)")

    wrong = s.login("alice", "wrong password")
    unknown = s.login("nobody", "wrong password")
    t.eq((wrong.status, wrong.error()), (401, "invalid_credentials"), "login: wrong password is 401")
    t.eq((unknown.status, unknown.body), (401, wrong.body), "login: unknown user gets the same answer")
    r = s.request("POST", "/login", json_body={"username": "alice"})
    t.eq((r.status, r.error()), (400, "invalid_request"), "login: missing password is 400")
    r = s.request("POST", "/login", json_body={"username": "alice", "password": PW, "refresh_in_body": "yes"})
    t.eq((r.status, r.error()), (400, "invalid_request"), "login: refresh_in_body not a boolean is 400")
    r = s.request("POST", "/login", body="username=alice&password=x",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    t.eq((r.status, r.error()), (415, "unsupported_media_type"), "login: a form body is 415")
    r = s.login("Alice", PW)
    t.eq(r.status, 200, "login: the username is case-insensitive")


def token_tests(t, s):
    j = s.login("alice", PW).json()
    rt1 = j["refresh_token"]
    r = s.refresh(rt1)
    t.eq(r.status, 200, "token: form refresh is 200")
    j2 = r.json()
    rt2 = j2.get("refresh_token")
    t.check(rt2 and rt2 != rt1 and claims_of(rt2)["sid"] == claims_of(rt1)["sid"],
            "token: a new refresh token of the same family comes back in the body")
    t.eq(s.verify(j2["access_token"]).status, 200, "token: the new access token verifies")
    r = s.request("POST", "/token", json_body={"grant_type": "refresh_token", "refresh_token": rt2})
    t.eq(r.status, 200, "token: JSON refresh is 200")
    rt3 = r.json()["refresh_token"]

    # Through the cookie.
    lr = s.login("alice", PW, in_body=False)
    cookie = lr.cookie("jot_refresh")
    r = s.request("POST", "/token", headers={"Cookie": "jot_refresh=" + cookie, "X-Requested-With": "fetch"})
    t.check(r.status == 200 and r.cookie("jot_refresh") not in (None, "", cookie)
            and "refresh_token" not in r.json(),
            "token: cookie refresh answers with a new cookie, nothing in the body", repr(r))
    newcookie = r.cookie("jot_refresh")
    r = s.request("POST", "/token", headers={"Cookie": "jot_refresh=" + newcookie})
    t.eq((r.status, r.error()), (400, "invalid_request"), "token: cookie refresh without X-Requested-With is 400")
    r = s.request("POST", "/token", headers={"Cookie": "jot_refresh=" + newcookie, "X-Requested-With": "x"},
                  form={"grant_type": "refresh_token"})
    t.eq(r.status, 200, "token: cookie refresh with grant_type in a form body is 200")

    r = s.request("POST", "/token", form={"grant_type": "password", "refresh_token": rt3})
    t.eq((r.status, r.error()), (400, "unsupported_grant_type"), "token: another grant_type is 400")
    r = s.request("POST", "/token", form={"refresh_token": rt3})
    t.eq((r.status, r.error()), (400, "invalid_request"), "token: missing grant_type is 400")
    r = s.request("POST", "/token", form={"grant_type": "refresh_token"})
    t.eq((r.status, r.error()), (400, "invalid_request"), "token: no refresh token is 400")
    r = s.refresh("not.a.token")
    t.eq((r.status, r.error()), (401, "invalid_grant"), "token: garbage is 401 invalid_grant")
    r = s.refresh(j2["access_token"])
    t.eq((r.status, r.error()), (401, "invalid_grant"), "token: an access token is refused (typ) as invalid_grant")
    parts = rt3.split(".")
    forged = parts[0] + "." + parts[1] + "." + ("A" if parts[2][0] != "A" else "B") + parts[2][1:]
    r = s.refresh(forged)
    t.eq((r.status, r.error()), (401, "invalid_grant"), "token: a bad signature is invalid_grant")
    t.eq(s.verify(rt3).status, 401, "verify: a refresh token is refused")
    r = s.request("POST", "/token", body="grant_type=refresh_token", headers={"Content-Type": "text/plain"})
    t.eq((r.status, r.error()), (415, "unsupported_media_type"), "token: text/plain is 415")
    r = s.refresh(rt3)
    t.eq(r.status, 200, "token: the latest token still works after the refusals")


def logout_revoke_tests(t, s):
    # Bearer logout.
    j = s.login("alice", PW).json()
    r = s.request("POST", "/logout", headers={"Authorization": "Bearer " + j["access_token"]})
    sc = r.set_cookie("jot_refresh") or ""
    t.check(r.status == 204 and "max-age=0" in sc.lower() and "path=/token" in sc.lower(),
            "logout: Bearer logout is 204 and clears the cookie", repr((r, sc)))
    t.eq(s.verify(j["access_token"]).status, 401, "logout: the earlier access token no longer verifies")
    r = s.refresh(j["refresh_token"])
    t.eq((r.status, r.error()), (401, "invalid_grant"), "logout: the family's refresh token is refused")

    # Refresh-token logout.
    j = s.login("alice", PW).json()
    r = s.request("POST", "/logout", form={"refresh_token": j["refresh_token"]})
    t.eq(r.status, 204, "logout: refresh_token logout is 204")
    t.eq(s.verify(j["access_token"]).status, 401, "logout: ... and the family's access token is refused")

    # Cookie logout at /token/logout (where the Path=/token cookie goes).
    lr = s.login("alice", PW, in_body=False)
    at = lr.json()["access_token"]
    r = s.request("POST", "/token/logout", headers={"Cookie": "jot_refresh=" + lr.cookie("jot_refresh"),
                                                    "X-Requested-With": "fetch"})
    t.eq(r.status, 204, "logout: cookie logout at /token/logout is 204")
    t.eq(s.verify(at).status, 401, "logout: ... and revokes the family")

    r = s.request("POST", "/logout")
    t.eq((r.status, r.error()), (400, "invalid_request"), "logout: without any token is 400")
    r = s.request("POST", "/logout", headers={"Authorization": "Bearer garbage"})
    t.eq(r.status, 204, "logout: an invalid token is still 204 (idempotent)")
    r = s.request("GET", "/logout")
    t.eq(r.status, 405, "logout: GET is 405")

    # RFC 7009.
    j = s.login("alice", PW).json()
    r = s.request("POST", "/revoke", form={"token": j["refresh_token"], "token_type_hint": "refresh_token"})
    t.eq(r.status, 200, "revoke: a refresh token is 200")
    t.eq(s.refresh(j["refresh_token"]).status, 401, "revoke: the refresh token is dead")
    t.eq(s.verify(j["access_token"]).status, 401, "revoke: the family's access token is refused")
    j = s.login("alice", PW).json()
    r = s.request("POST", "/revoke", json_body={"token": j["access_token"]})
    t.eq(r.status, 200, "revoke: an access token is 200")
    t.eq(s.verify(j["access_token"]).status, 401, "revoke: ... and it no longer verifies")
    t.eq(s.refresh(j["refresh_token"]).status, 401, "revoke: ... nor its family's refresh token")
    r = s.request("POST", "/revoke", form={"token": "whatever"})
    t.eq(r.status, 200, "revoke: any string is 200 (RFC 7009 2.2)")
    r = s.request("POST", "/revoke", form={"token_type_hint": "access_token"})
    t.eq((r.status, r.error()), (400, "invalid_request"), "revoke: no token parameter is 400")


def verify_tests(t, s):
    j = s.login("alice", PW).json()
    r = s.verify(j["access_token"])
    t.check(r.status == 200 and r.header("x-jot-sub") == claims_of(j["access_token"])["sub"]
            and r.header("x-jot-name") == "alice" and r.header("x-jot-role") == "user",
            "verify: 200 with X-Jot-Sub, X-Jot-Name, X-Jot-Role", repr(r.headers))
    r = s.request("HEAD", "/verify", headers={"Authorization": "bearer " + j["access_token"]})
    t.eq(r.status, 200, "verify: HEAD and a lower-case scheme work")
    for hdrs, what in [({}, "no Authorization"), ({"Authorization": "Basic YTpi"}, "Basic credentials"),
                       ({"Authorization": "Bearer x.y.z"}, "garbage token")]:
        r = s.request("GET", "/verify", headers=hdrs)
        t.check(r.status == 401 and 'error="invalid_token"' in (r.header("www-authenticate") or "")
                and r.is_json_error(), "verify: %s is 401 with WWW-Authenticate" % what, repr(r.headers))
    at = j["access_token"]
    h, p, sig = at.split(".")
    import base64
    import json
    claims = claims_of(at)
    claims["role"] = "admin"
    p2 = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    t.eq(s.verify(h + "." + p2 + "." + sig).status, 401, "verify: altered claims are refused")
    r = s.request("POST", "/verify")
    t.eq(r.status, 405, "verify: POST is 405")


def other_tests(t, s):
    r = s.request("GET", "/.well-known/jwks.json")
    j = r.json()
    keys = j.get("keys", [])
    t.check(r.status == 200 and len(keys) == 1 and keys[0].get("use") == "sig" and keys[0].get("alg") == "ES256"
            and keys[0].get("kid") and "d" not in keys[0],
            "jwks: one public ES256 signing key with kid, no private part", repr(j))
    t.check("max-age" in (r.header("cache-control") or ""), "jwks: cacheable")
    r = s.request("GET", "/healthz")
    t.eq((r.status, r.json()), (200, {"status": "ok"}), "healthz: 200")
    r = s.request("GET", "/metrics")
    text = r.body.decode()
    t.check(r.status == 200 and (r.header("content-type") or "").startswith("text/plain"), "metrics: 200 text")
    for needle in ['jotd_logins_total{result="success"}', 'jotd_logins_total{result="failure"}',
                   'jotd_refreshes_total{result="rotated"}', "jotd_refresh_reuse_detected_total",
                   'jotd_verify_total{result="valid"}', 'jotd_verify_total{result="revoked"}',
                   'jotd_http_request_duration_seconds_bucket{route="/login",le="+Inf"}']:
        t.check(needle in text, "metrics: has %s" % needle)

    def value(name):
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return -1
    t.check(value('jotd_logins_total{result="success"}') >= 5, "metrics: successful logins were counted")
    t.check(value('jotd_verify_total{result="revoked"}') >= 1, "metrics: revoked verifications were counted")
    r = s.request("GET", "/nope")
    t.check(r.status == 404 and r.is_json_error(), "GET /nope: 404 JSON", repr(r))
    # The account endpoints want a Bearer access token, /introspect Basic
    # (api_tokens, sessions and introspect test them in depth).
    for method, path in [("GET", "/api-tokens"), ("POST", "/api-tokens"), ("DELETE", "/api-tokens/abc"),
                         ("GET", "/sessions"), ("DELETE", "/sessions/abc"), ("POST", "/sessions/revoke-others"),
                         ("POST", "/introspect")]:
        r = s.request(method, path)
        t.check(r.status == 401 and r.is_json_error(), "%s %s without credentials: 401 JSON" % (method, path),
                repr(r))


def roles_and_signup_off(t):
    s = Server("--signup", "off").start()
    try:
        r = s.signup("eve", PW)
        t.eq((r.status, r.error()), (403, "access_denied"), "signup off: 403 access_denied")
        p = s.jotd("user", "add", "bob", "--role", "editor", stdin=(PW + "\n").encode())
        t.check(p.returncode == 0, "user add: exit 0 while serve runs", p.stderr.decode())
        r = s.login("bob", PW)
        t.eq(r.status, 200, "user add: the user can log in")
        at = r.json()["access_token"]
        t.eq(claims_of(at).get("role"), "editor", "user add --role: the role is in the access token")
        t.eq(s.verify(at).header("x-jot-role"), "editor", "user add --role: /verify gives X-Jot-Role")
        t.eq(s.stop(), 0, "signup off server: exit 0 on SIGTERM")
    finally:
        s.cleanup()


def main(t):
    s = Server().start()
    try:
        signup_tests(t, s)
        login_tests(t, s)
        token_tests(t, s)
        logout_revoke_tests(t, s)
        verify_tests(t, s)
        other_tests(t, s)
        t.eq(s.stop(), 0, "SIGTERM: exit 0")
        # After the stop: every line has been written.
        log = s.log()
        t.check('"msg":"request"' in log and '"path":"/login"' in log, "log: one JSON line per request")
        t.check(PW not in log and "eyJ" not in log, "log: no password and no token in the log")
    finally:
        s.cleanup()
    roles_and_signup_off(t)


run("endpoints", main)

"""Security review, items 8, 10 and 11.

8. POST /revoke answered 200 for an API token and revoked nothing: the
   holder of an API token now ends it there (RFC 7009).
10. Passwords had only a length rule (12345678 was accepted): new passwords
   are judged by zxcvbn (libzxcvbn) at signup and `jotd user add` (the CLI
   suite checks that one), and a weak one is 400 weak_password with the
   reason in error_description.
11. An access token's exp is capped at its login's absolute end
   (session-max), at login and at every refresh."""

import base64

from jotdtest import BACKEND, Server, claims_of, run

PW = "correct horse battery"
SECRET = "introspection-secret-0123456789"


def weak_passwords(t, s):
    cases = [
        ("12345678", "common passwords"),
        ("password1", "common passwords"),
        ("qwertyuiop", "common passwords"),
        ("zzzzzzzzzzzz", "repeats"),
        ("gregory2024", "username"),
        ("gregory-gregory", "username"),
    ]
    for pw, why in cases:
        r = s.signup("gregory", pw)
        d = (r.json() or {}).get("error_description", "") if r.is_json_error() else ""
        t.check(r.status == 400 and r.error() == "weak_password" and "too easy to guess" in d,
                "weak: %r is 400 weak_password" % pw, repr(r))
        t.check(why in d, "weak: %r: the description says why (%s): %s" % (pw, why, d))
    r = s.signup("gregory", "gregory.gregory")
    t.eq(r.error(), "weak_password", "weak: the username doubled is weak")
    r = s.signup("gregory", "violet anchor 73 drift")
    t.eq(r.status, 201, "weak: a passphrase of unrelated words is accepted")
    m = s.request("GET", "/metrics").body.decode()
    t.check('jotd_signups_total{result="weak_password"}' in m, "weak: counted in /metrics")


def weak_off(t):
    s = Server("--password-min-bits", "0").start()
    try:
        t.eq(s.signup("henry", "12345678").status, 201, "password-min-bits 0 turns the check off")
        t.eq(s.stop(), 0, "exit 0 (check off)")
    finally:
        s.cleanup()


def revoke_api_token(t, s):
    at, _ = s.user_tokens("ivy")
    r = s.request("POST", "/api-tokens", json_body={"name": "deploy"}, headers={"Authorization": "Bearer " + at})
    tok, tid = r.json()["token"], r.json()["id"]
    t.eq(s.verify(tok).status, 200, "revoke: the API token verifies")
    basic = {"Authorization": "Basic " + base64.b64encode(("resource-server:" + SECRET).encode()).decode()}
    r = s.request("POST", "/revoke", form={"token": tok})
    t.eq(r.status, 200, "revoke: POST /revoke with the API token is 200")
    t.eq(s.verify(tok).status, 401, "revoke: ... /verify refuses it")
    r = s.request("POST", "/introspect", form={"token": tok}, headers=basic)
    t.eq(r.json(), {"active": False}, "revoke: ... /introspect says inactive")
    listed = s.request("GET", "/api-tokens", headers={"Authorization": "Bearer " + at}).json()["api_tokens"]
    row = [x for x in listed if x["id"] == tid]
    t.check(row and row[0].get("revoked_at"), "revoke: ... GET /api-tokens shows it revoked", repr(row))
    t.eq(s.request("POST", "/revoke", form={"token": tok}).status, 200, "revoke: again is still 200")
    t.eq(s.verify(at).status, 200, "revoke: the login that made it is untouched")


def session_cap(t):
    s = Server("--session-max", "30s", "--access-ttl", "10m").start()
    try:
        s.signup("jack", PW)
        r = s.login("jack", PW)
        j = r.json()
        c = claims_of(j["access_token"])
        t.check(c["exp"] - c["iat"] <= 30 and j["expires_in"] <= 30,
                "cap: session-max 30s: the login's access token lives at most 30 s (%d)" % (c["exp"] - c["iat"]))
        r = s.refresh(j["refresh_token"])
        c2 = claims_of(r.json()["access_token"])
        t.check(c2["exp"] <= c["exp"] + 1 and r.json()["expires_in"] <= 30,
                "cap: a refresh's access token ends with the login too")
        t.eq(s.stop(), 0, "cap: exit 0")
    finally:
        s.cleanup()


def main(t):
    print("# backend: %s" % BACKEND)
    s = Server("--introspect-secret", SECRET).start()
    try:
        weak_passwords(t, s)
        revoke_api_token(t, s)
        t.eq(s.stop(), 0, "exit 0")
    finally:
        s.cleanup()
    weak_off(t)
    session_cap(t)


if __name__ == "__main__":
    run("review_misc", main)

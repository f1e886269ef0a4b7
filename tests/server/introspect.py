"""POST /introspect (RFC 7662): HTTP Basic as the configured resource
server, {"active":true} with the RFC 7662 members for a live access or API
token, {"active":false} and nothing else for anything revoked, expired,
signed by someone else, a refresh token, or garbage."""

import base64
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from jotdtest import Server, claims_of, header_of, run

PW = "correct horse battery"
SECRET = "s3cret-for-the-resource-server"
CLIENT = "resource-server"


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


def introspect(s, token, auth=None, as_json=False, hint=None):
    params = {"token": token}
    if hint:
        params["token_type_hint"] = hint
    h = basic(CLIENT, SECRET) if auth is None else auth
    if as_json:
        return s.request("POST", "/introspect", json_body=params, headers=h)
    return s.request("POST", "/introspect", form=params, headers=h)


def inactive(t, r, what):
    t.check(r.status == 200 and r.json() == {"active": False}, "%s: exactly {\"active\":false}" % what, repr(r))


def client_auth(t, s, at):
    cases = [
        ({}, "no Authorization"),
        (basic(CLIENT, SECRET + "x"), "a wrong secret"),
        (basic(CLIENT, SECRET[:-1]), "a shorter secret"),
        (basic("someone-else", SECRET), "another client id"),
        ({"Authorization": "Bearer " + at}, "a Bearer token"),
        ({"Authorization": "Basic !!!"}, "malformed Basic"),
    ]
    for headers, what in cases:
        r = s.request("POST", "/introspect", form={"token": at}, headers=headers)
        t.check(r.status == 401 and r.error() == "invalid_client" and
                (r.header("www-authenticate") or "").startswith("Basic"),
                "%s: 401 invalid_client with WWW-Authenticate Basic" % what, repr(r))
    r = s.request("POST", "/introspect", form={}, headers=basic(CLIENT, SECRET))
    t.eq((r.status, r.error()), (400, "invalid_request"), "no token parameter: 400 invalid_request")


def active_access(t, s, at):
    for as_json in (False, True):
        r = introspect(s, at, as_json=as_json)
        j = r.json() if r.status == 200 else {}
        c = claims_of(at)
        t.eq(j.get("active"), True, "access token (%s): active" % ("JSON" if as_json else "form"))
        want = {"sub": c["sub"], "iss": c["iss"], "aud": c["aud"], "exp": c["exp"], "iat": c["iat"],
                "jti": c["jti"], "client_id": c["client_id"], "username": "alice", "token_type": "Bearer"}
        t.eq({k: j.get(k) for k in want}, want, "access token: sub, iss, aud, exp, iat, jti, client_id, username, "
             "token_type")
        t.check(r.header("cache-control") == "no-store", "introspection answer: Cache-Control no-store")
    t.eq(introspect(s, at, hint="refresh_token").json().get("active"), True, "a wrong hint does not matter")


def foreign(at):
    """The same header and claims, signed by a key that is not jotd's."""
    key = ec.generate_private_key(ec.SECP256R1())
    h = header_of(at)
    return jwt.encode(claims_of(at), key, algorithm="ES256", headers={"kid": h["kid"], "typ": h["typ"]})


def inactive_cases(t, s, at, rt):
    inactive(t, introspect(s, "garbage"), "garbage")
    inactive(t, introspect(s, ""), "an empty token")
    inactive(t, introspect(s, foreign(at)), "an access token signed by another key")
    inactive(t, introspect(s, at[:-3] + ("AAA" if not at.endswith("AAA") else "BBB")), "an altered signature")
    inactive(t, introspect(s, rt), "a refresh token (never active at /introspect)")
    inactive(t, introspect(s, rt, hint="refresh_token"), "a refresh token with the refresh_token hint")
    inactive(t, introspect(s, "x" * 10000), "a token over the verifier's size limit")


def api_tokens(t, s, at):
    r = s.request("POST", "/api-tokens", json_body={"name": "svc", "scopes": "read write"},
                  headers={"Authorization": "Bearer " + at})
    t.eq(r.status, 201, "an API token is created")
    j = r.json()
    r = introspect(s, j["token"])
    k = r.json() if r.status == 200 else {}
    t.check(k.get("active") is True and k.get("scope") == "read write" and k.get("jti") == j["id"] and
            k.get("sub") == claims_of(at)["sub"] and k.get("exp") == j["expires_at"] and
            k.get("token_type") == "Bearer" and k.get("username") == "alice",
            "API token: active with scope, jti, sub, exp, username", repr(k))
    r = s.request("DELETE", "/api-tokens/" + j["id"], headers={"Authorization": "Bearer " + at})
    t.eq(r.status, 204, "the API token is revoked")
    inactive(t, introspect(s, j["token"]), "a revoked API token")
    short = s.request("POST", "/api-tokens", json_body={"name": "short", "expires_in": 1},
                      headers={"Authorization": "Bearer " + at}).json()
    t.eq(introspect(s, short["token"]).json().get("active"), True, "a 1-second API token: active at first")
    time.sleep(2.1)
    inactive(t, introspect(s, short["token"]), "an expired API token")


def revoked_login(t, s):
    at, rt = s.user_tokens("bob", PW)
    t.eq(introspect(s, at).json().get("active"), True, "bob's access token: active")
    r = s.request("POST", "/logout", headers={"Authorization": "Bearer " + at})
    t.eq(r.status, 204, "bob logs out")
    inactive(t, introspect(s, at), "an access token of a revoked login")


def expired_access(t):
    s = Server("--access-ttl", "1s", "--introspect-secret", SECRET).start()
    try:
        at, _ = s.user_tokens("carol", PW)
        time.sleep(2.1)
        inactive(t, introspect(s, at), "an expired access token")
        t.eq(s.stop(), 0, "short-ttl jotd: exit 0")
    finally:
        s.cleanup()


def not_configured(t):
    s = Server().start()
    try:
        at, _ = s.user_tokens("dave", PW)
        r = introspect(s, at)
        t.check(r.status == 401 and r.error() == "invalid_client" and
                "introspect-secret" in r.json().get("error_description", ""),
                "without introspect-secret: 401 that names the setting", repr(r))
        t.eq(s.stop(), 0, "unconfigured jotd: exit 0")
    finally:
        s.cleanup()
    s = Server("--introspect-secret", "short")
    try:
        p = s.jotd("serve", "--introspect-secret", "short", "--listen", "127.0.0.1:1")
        t.check(p.returncode == 2 and b"introspect-secret" in p.stderr,
                "a secret under 16 bytes: usage error naming the setting", repr(p.stderr[-300:]))
    finally:
        s.cleanup()


def body(t):
    s = Server("--introspect-secret", SECRET).start()
    try:
        at, rt = s.user_tokens("alice", PW)
        client_auth(t, s, at)
        active_access(t, s, at)
        inactive_cases(t, s, at, rt)
        api_tokens(t, s, at)
        revoked_login(t, s)
        t.eq(s.stop(), 0, "jotd: exit 0 on SIGTERM")
    finally:
        s.cleanup()
    # The client id is a setting too.
    s = Server("--introspect-secret", SECRET, "--introspect-client-id", "api.example").start()
    try:
        at, _ = s.user_tokens("erin", PW)
        t.eq(introspect(s, at).status, 401, "introspect-client-id: the default id is refused")
        r = introspect(s, at, auth=basic("api.example", SECRET))
        t.eq((r.status, r.json().get("active")), (200, True), "introspect-client-id: the configured id works")
        t.eq(s.stop(), 0, "jotd with a client id: exit 0")
    finally:
        s.cleanup()
    expired_access(t)
    not_configured(t)


run("introspect", body)

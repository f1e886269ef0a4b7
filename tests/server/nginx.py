"""nginx in front of jotd, with the deploy folder's configuration (issue 6).

Runs nginx as the current user with deploy/nginx/jotd.conf unchanged (the
site files it includes written by deploy/nginx/local.sh: the listen port
and the jotd instances), in front of:

  * two jotd instances on one PostgreSQL database when JOTD_TEST_PG_URL is
    set (a fresh database on that cluster, dropped afterwards);
  * one jotd on SQLite otherwise (two instances cannot share one SQLite
    store): the checks that need two instances are skipped, and the output
    says so.

Checks: the configuration passes `nginx -t`; jotd's endpoints through
nginx (signup, login, refresh by body and by cookie, JWKS, /metrics from
the loopback); the demo API /api/hello behind auth_request: a valid access
token -> 200 with the token's sub, name and role (a forged X-Jot-Sub header
changes nothing); no token, garbage, a refresh token, a forged signature,
a token in the query string -> 401 with WWW-Authenticate and a JSON error;
an API token -> 200 (when jotd has /api-tokens); a POST with a body to the
API -> 200 (the subrequest is a GET without the body). After a logout, the
newest access token of the revoked family still verifies locally against
the JWKS (a resource server that verifies tokens itself accepts it until
it expires) but nginx refuses it: /verify knows revoked families (at once
on the instance that revoked, within jotd's 2 s poll on the others). The
instances run with the shipped deploy/jotd.conf: behind nginx, a client
whose failed logins reach the per-address limit does not lock out another
client (jotd believes nginx's X-Forwarded-For). With
two instances: one killed with SIGKILL -> requests are still served by the
other (GETs and POSTs). Last, with every jotd stopped, the API is closed
(500), never open.
"""

import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jotdtest  # noqa: E402
import multi_instance as mi  # noqa: E402

import jwt  # noqa: E402  (python3-jwt)
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

WWW_AUTH = 'Bearer error="invalid_token"'
# A replayed refresh token is reuse at once (no grace window), so that the
# replay check does not depend on which instance nginx picks.
GRACE_OFF = ("--refresh-grace", "0")
# The shipped instance settings (deploy/jotd.conf: trusted-proxies), with
# what the test sets itself (listen, store, issuer) and its audience.
SHIPPED = ("--config", os.path.join(mi.REPO, "deploy", "jotd.conf"), "--audience", "jot")


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def check_unauthorized(t, r, what):
    t.eq(r.status, 401, what + ": 401")
    t.eq(r.header("www-authenticate"), WWW_AUTH, what + ": WWW-Authenticate")
    t.check(r.is_json_error() and r.error() == "invalid_token", what + ": JSON error invalid_token", r.body[:200])


def local_verify(jwks, token, audience, issuer):
    """Verify an access token the way a resource server does on its own:
    signature by a key of the JWKS, exp, aud, iss. Returns the claims, or
    raises."""
    kid = jotdtest.header_of(token)["kid"]
    for k in jwks["keys"]:
        if k["kid"] == kid:
            key = jwt.PyJWK(k)
            return jwt.decode(token, key.key, algorithms=[k["alg"]], audience=audience, issuer=issuer)
    raise ValueError("no key %s in the JWKS" % kid)


def check_api(t, n, access, refresh, who):
    sub = jotdtest.claims_of(access)["sub"]
    r = n.request("GET", "/api/hello", headers=bearer(access))
    t.eq(r.status, 200, "a valid access token reaches the demo API through auth_request")
    if r.status == 200:
        j = r.json()
        t.eq((j["hello"], j["name"], j["role"]), (sub, who, "user"),
             "the API sees the token's sub, name and role (from /verify's X-Jot-* headers)")
        t.eq(r.header("cache-control"), "no-store", "the API's answer is not cached")
    r = n.request("GET", "/api/hello", headers=dict(bearer(access), **{"X-Jot-Sub": "admin", "X-Jot-Role": "admin"}))
    t.check(r.status == 200 and r.json()["hello"] == sub and r.json()["role"] == "user",
            "headers X-Jot-Sub/X-Jot-Role sent by the client change nothing", r.body)
    check_unauthorized(t, n.request("GET", "/api/hello"), "no token")
    check_unauthorized(t, n.request("GET", "/api/hello", headers={"X-Jot-Sub": sub}), "no token, a forged X-Jot-Sub")
    check_unauthorized(t, n.request("GET", "/api/hello", headers=bearer("garbage")), "garbage token")
    check_unauthorized(t, n.request("GET", "/api/hello", headers=bearer(access[:-4] + "AAAA")),
                       "access token with a broken signature")
    check_unauthorized(t, n.request("GET", "/api/hello", headers=bearer(refresh)), "a refresh token as Bearer")
    check_unauthorized(t, n.request("GET", "/api/hello?access_token=" + access), "the token in the query string")
    check_unauthorized(t, n.request("GET", "/api/hello", headers={"Authorization": "Basic " + access}),
                       "the token under another scheme")
    # The same claims under a key jotd never had.
    forged = jwt.encode(jotdtest.claims_of(access), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                        headers={"typ": "at+jwt", "kid": jotdtest.header_of(access)["kid"]})
    check_unauthorized(t, n.request("GET", "/api/hello", headers=bearer(forged)), "a token signed by another key")
    r = n.request("POST", "/api/hello", headers=dict(bearer(access), **{"Content-Type": "application/json"}),
                  body=json.dumps({"x": "y" * 1000}))
    t.check(r.status == 200 and r.json()["hello"] == sub,
            "a POST with a body to the API: 200 (the subrequest is a GET without the body)", repr(r))


def check_api_token(t, n, access, sub):
    r = n.request("POST", "/api-tokens", headers=bearer(access), json_body={"name": "nginx-test"})
    if r.status == 404:
        print("# SKIP API token through nginx: this jotd has no /api-tokens yet (404)")
        return
    t.eq(r.status, 201, "POST /api-tokens through nginx")
    if r.status != 201:
        return
    tok, tid = r.json()["token"], r.json()["id"]
    r = n.request("GET", "/api/hello", headers=bearer(tok))
    t.check(r.status == 200 and r.json()["hello"] == sub, "an API token reaches the demo API with its owner's sub",
            repr(r))
    r = n.request("GET", "/api-tokens", headers=bearer(access))
    t.eq(r.status, 200, "GET /api-tokens through nginx")
    r = n.request("GET", "/sessions", headers=bearer(access))
    t.eq(r.status, 200, "GET /sessions through nginx")
    r = n.request("DELETE", "/api-tokens/" + tid, headers=bearer(access))
    t.eq(r.status, 204, "DELETE /api-tokens/{id} through nginx")
    took = mi.wait_until(lambda: all(n.request("GET", "/api/hello", headers=bearer(tok)).status == 401
                                     for _ in range(4)), mi.REVOKE_BOUND)
    t.check(took is not None, "the deleted API token is refused by the API on every instance within %.0f s"
            % mi.REVOKE_BOUND)
    if took is not None:
        print("# deleted API token refused everywhere after %.2f s" % took)


def check_refresh(t, n, who):
    r = n.login(who, mi.PASSWORD)
    rt = r.json()["refresh_token"]
    r = n.refresh(rt)
    t.eq(r.status, 200, "refresh (token in the body) through nginx")
    new = r.json()
    t.eq(n.request("GET", "/api/hello", headers=bearer(new["access_token"])).status, 200,
         "the refreshed access token reaches the API")
    r = n.refresh(rt)
    t.eq((r.status, r.error()), (401, "invalid_grant"), "the spent refresh token replayed through nginx: 401")
    # A browser: refresh token in the HttpOnly cookie, Path=/token.
    r = n.login(who, mi.PASSWORD, in_body=False)
    ck = r.cookie("jot_refresh")
    t.check(r.status == 200 and ck, "login through nginx sets the refresh cookie", repr(r))
    t.check("Path=/token" in (r.set_cookie("jot_refresh") or ""), "the cookie keeps Path=/token through nginx")
    r = n.request("POST", "/token", headers={"Cookie": "jot_refresh=" + ck, "X-Requested-With": "fetch"})
    t.check(r.status == 200 and r.cookie("jot_refresh") and r.cookie("jot_refresh") != ck,
            "refresh through the cookie through nginx: 200 with a new cookie", repr(r))


def check_logout(t, n, insts, who, audience, issuer):
    """The newest access token of a revoked family: what a local verifier
    and what nginx (auth_request -> /verify) do with it."""
    j = n.login(who, mi.PASSWORD).json()
    j = n.refresh(j["refresh_token"]).json()  # the family's newest pair
    access = j["access_token"]
    for _ in range(4):  # every instance has verified (and cached) it
        t.eq(n.request("GET", "/api/hello", headers=bearer(access)).status, 200, "before logout: API 200")
    r = n.request("POST", "/logout", headers=bearer(access))
    t.eq(r.status, 204, "logout through nginx (Bearer access token)")
    t0 = time.time()
    jwks = n.request("GET", "/.well-known/jwks.json").json()
    try:
        local_verify(jwks, access, audience, issuer)
        ok = True
    except Exception as e:
        ok = False
        print("# local verification: %r" % e)
    t.check(ok, "after logout the family's newest access token still verifies locally with the JWKS "
            "(signature, exp, aud, iss): resource servers that verify themselves accept it until it expires")
    t.check(jotdtest.claims_of(access)["exp"] > time.time(), "(it has not expired)")
    r = n.refresh(j["refresh_token"])
    t.eq((r.status, r.error()), (401, "invalid_grant"), "after logout the family's refresh token: 401")
    # Through nginx: /verify consults jotd's revoked set. The instance that
    # served the logout refuses at once; the others read the revocation
    # from the store within their 2 s poll.
    seen_ok = 0
    first = None
    deadline = t0 + mi.REVOKE_BOUND
    while time.time() < deadline:
        statuses = [n.request("GET", "/api/hello", headers=bearer(access)).status for _ in range(2 * len(insts))]
        seen_ok += statuses.count(200)
        if all(s == 401 for s in statuses):
            first = time.time() - t0
            break
        time.sleep(0.1)
    if len(insts) == 1:
        t.eq(seen_ok, 0, "one instance: nginx refuses the revoked family's access token at once (401)")
    t.check(first is not None, "nginx refuses the revoked family's access token on every instance within %.0f s"
            % mi.REVOKE_BOUND, "(still %d answers 200)" % seen_ok)
    if first is not None:
        print("# after logout: %d API answers 200 (an instance that had not polled the revocation yet), "
              "every answer 401 after %.2f s" % (seen_ok, first))
    for inst in insts:
        t.eq(inst.verify(access).status, 401, "jotd %s's /verify refuses it" % inst.name)
    for _ in range(4):
        check_unauthorized(t, n.request("GET", "/api/hello", headers=bearer(access)),
                           "the revoked family's access token through nginx")


def check_failover(t, n, insts, who):
    a, b = insts
    access = n.login(who, mi.PASSWORD).json()["access_token"]
    # API requests (GET: nginx retries one that failed on the other
    # instance) keep flowing while B is killed.
    stop = threading.Event()
    seen = []

    def hammer():
        while not stop.is_set():
            try:
                seen.append(n.request("GET", "/api/hello", headers=bearer(access), timeout=10).status)
            except OSError as e:
                seen.append(repr(e))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for th in threads:
        th.start()
    time.sleep(1.0)
    b.kill9()
    print("# killed jotd B (SIGKILL) under API load; A serves alone")
    time.sleep(1.0)
    stop.set()
    for th in threads:
        th.join(timeout=30)
    bad = [s for s in seen if s != 200]
    t.check(len(seen) > 20 and not bad, "API requests through nginx while B is killed: all 200 (%d requests)"
            % len(seen), "(%d not 200: %r)" % (len(bad), bad[:5]))
    statuses = [n.request("GET", "/api/hello", headers=bearer(access)).status for _ in range(20)]
    t.eq(sorted(set(statuses)), [200], "one instance killed: 20 API requests all 200 (served through A)")
    logins = [n.login(who, mi.PASSWORD) for _ in range(4)]
    t.eq([r.status for r in logins], [200] * 4, "one instance killed: logins (POST) through nginx all 200")
    refreshed = [n.refresh(r.json()["refresh_token"]).status for r in logins]
    t.eq(refreshed, [200] * 4, "one instance killed: refreshes (POST) through nginx all 200")
    t.eq(n.request("GET", "/.well-known/jwks.json").status, 200, "one instance killed: JWKS 200")
    t.check("connect() failed" in n.errors() or "upstream" in n.errors(),
            "nginx logged the failed instance", n.errors()[-500:])


def check_all_down(t, n, insts, access):
    for inst in insts:
        if inst.proc:
            inst.stop()
    r = n.request("GET", "/api/hello", headers=bearer(access))
    t.check(r.status >= 500, "every jotd down: the API answers 5xx (closed), never 200", repr(r))


def login_from(n, source, user, pw):
    """POST /login through nginx from a given loopback address."""
    return n.request("POST", "/login", json_body={"username": user, "password": pw, "refresh_in_body": True},
                     source=source)


def check_client_addresses(t, n):
    """deploy/jotd.conf trusts nginx's X-Forwarded-For: one client's failed
    logins do not lock out another behind the same nginx (security review,
    item 5: without trusted-proxies every client has nginx's address)."""
    # Each instance counts on its own: behind nginx's round robin over two
    # instances, the limit is reached on both after about 200 failures.
    statuses = []
    for i in range(300):
        r = login_from(n, "127.0.0.3", "ghost%d" % i, "not the password")
        statuses.append(r.status)
        if statuses[-2:] == [429, 429]:
            break
    t.check(statuses[-2:] == [429, 429] and statuses.count(401) >= 100,
            "client 127.0.0.3 is refused (429) after %d failed logins (login-limit-address 100 per instance)"
            % statuses.count(401))
    r = login_from(n, "127.0.0.4", "alice", mi.PASSWORD)
    t.eq(r.status, 200, "... client 127.0.0.4 behind the same nginx logs in")
    at = r.json()["access_token"]
    r = n.request("GET", "/sessions", headers={"Authorization": "Bearer " + at})
    cur = [x for x in r.json().get("sessions", []) if x.get("current")]
    t.eq(cur[0]["client_addr"] if cur else None, "127.0.0.4", "... and jotd records its address, not nginx's")


def main(t):
    if not mi.nginx_binary():
        t.check(False, "nginx is installed (Debian package nginx)")
        return
    pg = jotdtest.PG_URL
    key = mi.new_master_key()
    tmp = tempfile.mkdtemp(prefix="jotd-nginx-")
    db = None
    insts = []
    n = mi.Nginx([], os.path.join(tmp, "nginx"))
    issuer = n.base  # the public address: nginx's
    audience = "jot"
    try:
        if pg:
            db = mi.Database()
            insts = [mi.Instance(x, db.url, key, issuer, *(GRACE_OFF + SHIPPED)) for x in ("A", "B")]
            print("# two jotd instances on PostgreSQL database %s" % db.name)
        else:
            insts = [mi.Instance("A", None, key, issuer, *(GRACE_OFF + SHIPPED))]
            print("# JOTD_TEST_PG_URL not set: ONE jotd instance on SQLite (two instances cannot share one "
                  "SQLite store); the two-instance checks (failover) are skipped")
        for inst in insts:
            inst.start()
        n.upstreams = ["127.0.0.1:%d" % i.port for i in insts]
        n.prepare()
        p = n.test_config()
        t.check(p.returncode == 0, "nginx -t accepts deploy/nginx/jotd.conf", p.stderr)
        n.start()
        t.eq(n.request("GET", "/healthz").status, 200, "GET /healthz through nginx")
        r = n.signup("alice", mi.PASSWORD)
        t.eq(r.status, 201, "signup through nginx")
        r = n.login("alice", mi.PASSWORD)
        t.eq(r.status, 200, "login through nginx")
        j = r.json()
        access, refresh = j["access_token"], j["refresh_token"]
        t.eq(jotdtest.claims_of(access)["iss"], issuer, "tokens name nginx's address as issuer")
        r = n.request("GET", "/.well-known/jwks.json")
        t.check(r.status == 200 and r.json()["keys"], "JWKS through nginx", repr(r))
        try:
            local_verify(r.json(), access, audience, issuer)
            t.check(True, "the access token verifies locally with the JWKS served through nginx")
        except Exception as e:
            t.check(False, "the access token verifies locally with the JWKS served through nginx", repr(e))
        r = n.request("GET", "/metrics")
        t.check(r.status == 200 and b"jotd_verify_total" in r.body, "/metrics from the loopback through nginx")
        check_api(t, n, access, refresh, "alice")
        check_api_token(t, n, access, jotdtest.claims_of(access)["sub"])
        check_refresh(t, n, "alice")
        check_logout(t, n, insts, "alice", audience, issuer)
        check_client_addresses(t, n)
        if len(insts) == 2:
            check_failover(t, n, insts, "alice")
        else:
            print("# SKIP failover (one instance killed, the other serves): needs two instances (PostgreSQL)")
        check_all_down(t, n, insts, n.login("alice", mi.PASSWORD).json()["access_token"])
    except Exception:
        for inst in insts:
            sys.stderr.write("---- end of jotd %s's log:\n%s\n" % (inst.name, inst.log()[-3000:]))
        sys.stderr.write("---- nginx's error log:\n%s\n" % n.errors()[-3000:])
        raise
    finally:
        n.stop()
        for inst in insts:
            inst.cleanup()
        if db:
            db.drop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    jotdtest.run("nginx", main)

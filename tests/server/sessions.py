"""A user's logins: GET /sessions lists them (client address, user agent,
times, which one is the caller's), DELETE /sessions/{id} ends one (its
refresh token and its access tokens stop working), POST
/sessions/revoke-others ends all but the caller's, and nobody sees or ends
another user's logins."""

import time
from jotdtest import Server, claims_of, run

PW = "correct horse battery"


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def login(s, user, agent):
    r = s.request("POST", "/login", json_body={"username": user, "password": PW, "refresh_in_body": True},
                  headers={"User-Agent": agent})
    if r.status != 200:
        raise RuntimeError("login failed: %r" % r)
    j = r.json()
    return j["access_token"], j["refresh_token"]


def sessions(s, at):
    r = s.request("GET", "/sessions", headers=bearer(at))
    return r, (r.json().get("sessions") if r.status == 200 else None)


def listing(t, s):
    s.signup("alice", PW)
    a1, r1 = login(s, "alice", "Agent-One/1.0")
    a2, r2 = login(s, "alice", "Agent-Two/2.0 (X11)")
    r, items = sessions(s, a1)
    t.eq(r.status, 200, "list: 200")
    t.check(r.header("cache-control") == "no-store", "list: Cache-Control no-store")
    t.eq(len(items or []), 2, "list: both logins")
    by_id = {x["id"]: x for x in items or []}
    sid1, sid2 = claims_of(a1)["sid"], claims_of(a2)["sid"]
    t.check(set(by_id) == {sid1, sid2}, "list: the ids are the logins' sids")
    if set(by_id) == {sid1, sid2}:
        t.eq((by_id[sid1]["current"], by_id[sid2]["current"]), (True, False), "list: the caller's login is current")
        t.eq((by_id[sid1]["user_agent"], by_id[sid2]["user_agent"]), ("Agent-One/1.0", "Agent-Two/2.0 (X11)"),
             "list: each login's user agent")
        t.check(all(x["client_addr"] == "127.0.0.1" for x in items), "list: the client address")
        t.check(all(isinstance(x[k], int) and x[k] > 0 for x in items
                    for k in ("created_at", "last_used_at", "expires_at")),
                "list: created_at, last_used_at, expires_at", repr(items))
    _, items2 = sessions(s, a2)
    t.check(items2 and [x["current"] for x in items2 if x["id"] == sid2] == [True],
            "list with the other login's token: that one is current")
    r = s.refresh(r2)
    t.eq(r.status, 200, "a refresh keeps the login")
    a2, r2 = r.json()["access_token"], r.json()["refresh_token"]
    _, items = sessions(s, a1)
    t.eq(len(items or []), 2, "list after a refresh: still two logins")
    return a1, r1, a2, r2


def delete_other(t, s, a1, a2, r2):
    sid2 = claims_of(a2)["sid"]
    t.eq(s.verify(a2).status, 200, "the second login's access token verifies")
    r = s.request("DELETE", "/sessions/" + sid2, headers=bearer(a1))
    t.eq(r.status, 204, "delete the other login: 204")
    r = s.refresh(r2)
    t.eq((r.status, r.error()), (401, "invalid_grant"), "its refresh token is refused")
    r = s.verify(a2)
    t.check(r.status == 401 and "revoked" in r.body.decode(), "its access token is refused by /verify", repr(r))
    t.eq(s.verify(a1).status, 200, "the caller's login still works")
    _, items = sessions(s, a1)
    t.eq([x["id"] for x in items or []], [claims_of(a1)["sid"]], "list: only the caller's login is left")
    r = s.request("DELETE", "/sessions/" + sid2, headers=bearer(a1))
    t.eq(r.status, 204, "deleting it again: 204")
    r = s.request("DELETE", "/sessions/no-such-session", headers=bearer(a1))
    t.check(r.status == 404 and r.is_json_error(), "an unknown session: 404 JSON")


def other_users(t, s, a1):
    s.signup("bob", PW)
    b1, _ = login(s, "bob", "Bob-Agent")
    _, items = sessions(s, b1)
    t.eq([x["id"] for x in items or []], [claims_of(b1)["sid"]], "bob sees only his own login")
    r = s.request("DELETE", "/sessions/" + claims_of(a1)["sid"], headers=bearer(b1))
    t.check(r.status == 404 and r.is_json_error(), "bob deleting alice's login: 404 JSON", repr(r))
    t.eq(s.verify(a1).status, 200, "alice's login survives bob's attempt")
    r = s.request("POST", "/sessions/revoke-others", headers=bearer(b1))
    t.eq((r.status, r.json().get("revoked") if r.status == 200 else None), (200, 0),
         "bob revoking his other logins (none): 200, revoked 0")
    t.eq(s.verify(a1).status, 200, "alice's login survives bob's revoke-others")
    # Ids that jotd never makes, and bytes no store takes as text: 404.
    for bad in ["%FF", "x" * 60, "a%2Fb", "%C3%28"]:
        r = s.request("DELETE", "/sessions/" + bad, headers=bearer(b1))
        t.check(r.status == 404 and r.is_json_error(), "DELETE /sessions/%s: 404 JSON" % bad[:12], repr(r))
        r = s.request("DELETE", "/api-tokens/" + bad, headers=bearer(b1))
        t.check(r.status == 404 and r.is_json_error(), "DELETE /api-tokens/%s: 404 JSON" % bad[:12], repr(r))
    # A user agent that is not UTF-8 (or cut inside a character) is kept
    # as valid text, on either store.
    b2, _ = login(s, "bob", b"Bad\xff\xfeAgent/1 \xc3")
    _, items = sessions(s, b2)
    mine = [x for x in items or [] if x["current"]]
    t.eq(mine[0]["user_agent"] if mine else None, "Bad??Agent/1 ?", "an invalid UTF-8 user agent is stored with ? marks")
    long_ua = ("\u00e9" * 200).encode()  # 400 bytes: cut on a character boundary
    b3, _ = login(s, "bob", long_ua)
    _, items = sessions(s, b3)
    mine = [x for x in items or [] if x["current"]]
    t.check(bool(mine) and set(mine[0]["user_agent"]) == {"\u00e9"} and len(mine[0]["user_agent"]) == 127,
            "a long user agent is cut between characters", repr(mine[:1]))


def revoke_others(t, s, a1, r1):
    a3, r3 = login(s, "alice", "Agent-Three")
    a4, r4 = login(s, "alice", "Agent-Four")
    _, items = sessions(s, a1)
    t.eq(len(items or []), 3, "three logins before revoke-others")
    r = s.request("POST", "/sessions/revoke-others", headers=bearer(a1))
    t.eq((r.status, r.json().get("revoked") if r.status == 200 else None), (200, 2),
         "revoke-others: 200 with the number revoked")
    _, items = sessions(s, a1)
    t.eq([(x["id"], x["current"]) for x in items or []], [(claims_of(a1)["sid"], True)],
         "revoke-others: only the caller's login is left")
    t.eq(s.refresh(r3).status, 401, "revoke-others: another login's refresh token is refused")
    t.eq(s.verify(a4).status, 401, "revoke-others: another login's access token is refused")
    r = s.refresh(r1)
    t.eq(r.status, 200, "revoke-others: the caller's refresh token still works")
    a1b = r.json()["access_token"]
    r = s.request("DELETE", "/sessions/" + claims_of(a1b)["sid"], headers=bearer(a1b))
    t.eq(r.status, 204, "deleting one's own current login: 204 (a logout)")
    t.eq(s.verify(a1b).status, 401, "after it the access token is refused")
    r = s.request("GET", "/sessions", headers=bearer(a1b))
    t.eq(r.status, 401, "and the account endpoints refuse it")


def auth_required(t, s):
    for method, path in (("GET", "/sessions"), ("DELETE", "/sessions/x"), ("POST", "/sessions/revoke-others")):
        r = s.request(method, path)
        t.check(r.status == 401 and r.is_json_error() and (r.header("www-authenticate") or "").startswith("Bearer"),
                "%s %s without a token: 401 JSON, WWW-Authenticate Bearer" % (method, path), repr(r))
        r = s.request(method, path, headers=bearer("x.y.z"))
        t.eq(r.status, 401, "%s %s with garbage: 401" % (method, path))
    r = s.request("PUT", "/sessions")
    t.eq(r.status, 405, "PUT /sessions: 405")


def last_used(t):
    """A refresh moves the login's last_used_at: the family
    row is rewritten when the new expiry passes the recorded one by more
    than the touch slack, refresh-ttl / 10 (here 1 s)."""
    s = Server("--refresh-ttl", "10s").start()
    try:
        s.signup("dave", PW)
        a, rt = login(s, "dave", "d")
        _, items = sessions(s, a)
        before = (items or [{}])[0]
        time.sleep(2.2)
        r = s.refresh(rt)
        t.eq(r.status, 200, "last_used_at: the refresh after 2 s")
        if r.status == 200:
            a = r.json()["access_token"]
        _, items = sessions(s, a)
        after = (items or [{}])[0]
        t.check(len(items or []) == 1 and isinstance(before.get("last_used_at"), int)
                and after["last_used_at"] >= before["last_used_at"] + 2,
                "last_used_at moves with a refresh", "%r -> %r" % (before, after))
        t.eq(s.stop(), 0, "jotd (refresh-ttl 10s): exit 0 on SIGTERM")
    finally:
        s.cleanup()


def body(t):
    last_used(t)
    s = Server().start()
    try:
        auth_required(t, s)
        a1, r1, a2, r2 = listing(t, s)
        delete_other(t, s, a1, a2, r2)
        other_users(t, s, a1)
        revoke_others(t, s, a1, r1)
        # A refresh token presented as a Bearer token is no access token.
        s.signup("carol", PW)
        _, rc = login(s, "carol", "c")
        t.eq(s.request("GET", "/sessions", headers=bearer(rc)).status, 401, "a refresh token as Bearer: 401")
        t.eq(s.stop(), 0, "jotd: exit 0 on SIGTERM")
    finally:
        s.cleanup()


run("sessions", body)

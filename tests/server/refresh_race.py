"""Refresh rotation under races: 32 parallel refreshes with one token, with
the grace window off (exactly one wins, and the reuse revokes the family)
and on (one wins, at most GRACE more get the same successor, the rest are
refused without harm to the family, which lives on); a replay after the
window, or of an older token, revokes."""

import threading
import time

from jotdtest import BACKEND, Server, claims_of, run

PW = "correct horse battery"
N = 32
GRACE = 3  # grace answers per spent token (server/endpoints/token.c)


def burst(s, token):
    """N refreshes with the same token, released at once."""
    barrier = threading.Barrier(N)
    results = [None] * N

    def one(i):
        barrier.wait()
        try:
            results[i] = s.refresh(token)
        except Exception as e:  # a transport failure is a result too
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(N)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return results


def grace_off(t):
    s = Server("--refresh-grace", "0").start()
    try:
        _, rt = s.user_tokens()
        results = burst(s, rt)
        ok = [r for r in results if getattr(r, "status", None) == 200]
        bad = [r for r in results if getattr(r, "status", None) == 401 and r.error() == "invalid_grant"]
        t.eq(len(ok), 1, "grace off: exactly one of %d parallel refreshes wins" % N)
        t.eq(len(bad), N - 1, "grace off: every other one is 401 invalid_grant")
        if ok:
            j = ok[0].json()
            t.eq(s.refresh(j["refresh_token"]).status, 401, "grace off: the winner's successor is revoked too")
            t.eq(s.verify(j["access_token"]).status, 401, "grace off: the winner's access token is refused")
        m = s.request("GET", "/metrics").body.decode()
        reuse = [float(l.split()[1]) for l in m.splitlines() if l.startswith("jotd_refresh_reuse_detected_total ")]
        t.check(reuse and reuse[0] >= 1, "grace off: reuse counted in /metrics", repr(reuse))
        # A plain replay, no race: still reuse.
        _, rt = s.user_tokens("bob")
        t.eq(s.refresh(rt).status, 200, "grace off: a refresh")
        t.eq(s.refresh(rt).status, 401, "grace off: the same token at once again is reuse")
        t.eq(s.stop(), 0, "grace off: exit 0")
    finally:
        s.cleanup()


def grace_on(t):
    s = Server("--refresh-grace", "5s").start()
    try:
        # Family A: a burst, then the family goes on.
        _, rt = s.user_tokens("alice")
        results = burst(s, rt)
        ok = [r for r in results if getattr(r, "status", None) == 200]
        bad = [r for r in results if getattr(r, "status", None) == 401 and r.error() == "invalid_grant"]
        t.eq(len(ok), 1 + GRACE, "grace on: of %d parallel refreshes, one wins and %d get the grace answer"
             % (N, GRACE))
        t.eq(len(bad), N - 1 - GRACE, "grace on: ... the others are 401 invalid_grant")
        jtis = {claims_of(r.json()["refresh_token"])["jti"] for r in ok}
        tokens = {r.json()["refresh_token"] for r in ok}
        t.check(len(jtis) == 1 and len(tokens) == 1, "grace on: every answer carries the same successor",
                repr(jtis))
        t.check(claims_of(next(iter(tokens)))["jti"] != claims_of(rt)["jti"], "grace on: ... which is new")
        verified = [s.verify(r.json()["access_token"]).status for r in ok]
        t.check(all(v == 200 for v in verified), "grace on: every access token handed out verifies")
        succ = next(iter(tokens))
        r = s.refresh(succ)
        t.eq(r.status, 200, "grace on: the family stays usable (the successor refreshes)")
        newest = r.json()["refresh_token"]
        # rt is now two generations old: outside 'immediate predecessor'.
        r = s.refresh(rt)
        t.eq((r.status, r.error()), (401, "invalid_grant"),
             "grace on: an older token than the immediate predecessor is reuse even inside the window")
        t.eq(s.refresh(newest).status, 401, "grace on: ... and the family is revoked")

        # Family B: a burst, then a replay after the window.
        _, rt = s.user_tokens("bob")
        results = burst(s, rt)
        ok = [r for r in results if getattr(r, "status", None) == 200]
        t.eq(len(ok), 1 + GRACE, "grace on: second burst: one wins, %d grace answers" % GRACE)
        succ = ok[0].json()["refresh_token"] if ok else ""
        at = ok[0].json()["access_token"] if ok else ""
        time.sleep(6.5)
        r = s.refresh(rt)
        t.eq((r.status, r.error()), (401, "invalid_grant"), "grace on: a replay after the window is reuse")
        t.eq(s.refresh(succ).status, 401, "grace on: ... the successor is revoked with its family")
        t.eq(s.verify(at).status, 401, "grace on: ... and so are the family's access tokens")

        # The successor kept for the grace window: SQLite keeps it in
        # memory, never in its file; PostgreSQL keeps it sealed in the
        # database (several jotd share it) until the purge after the window.
        # Either way the refresh_tokens table holds 32-byte hashes, and the
        # store holds no token's signature.
        _, rt = s.user_tokens("carol")
        r = s.refresh(rt)
        t.eq(r.status, 200, "grace on: a plain refresh")
        succ = r.json()["refresh_token"]
        t.eq(s.refresh(rt).json().get("refresh_token"), succ, "grace on: the predecessor again gives the successor")
        out = s.jotd("migrate")
        t.eq(out.returncode, 0, "migrate on a live store")
        if BACKEND == "sqlite":
            cols = [c[1] for c in s.sql("PRAGMA table_info(refresh_tokens)")]
            t.check("successor_sealed" not in cols, "store: no sealed successor column in SQLite", repr(cols))
            blobs = s.sql("SELECT count(*) FROM refresh_tokens WHERE typeof(token_hash) != 'blob' "
                          "OR length(token_hash) != 32")[0][0]
        else:
            blobs = s.sql("SELECT count(*) FROM refresh_tokens WHERE length(token_hash) != 32")[0][0]
        t.eq(blobs, "0", "store: refresh tokens are kept as 32-byte hashes")
        data = s.store_bytes()
        sigs = [tok.split(".")[2].encode() for tok in (succ, rt)]
        t.check(len(data) > 0 and all(x not in data and x.hex().encode() not in data for x in sigs),
                "store: no refresh token's signature in the store")
        t.eq(s.stop(), 0, "grace on: exit 0")
    finally:
        s.cleanup()


def lifetimes(t):
    """Sliding lifetime (refresh-ttl) and absolute lifetime (session-max)."""
    s = Server("--refresh-ttl", "4s", "--session-max", "7s", "--refresh-grace", "0").start()
    try:
        _, rt1 = s.user_tokens("alice")
        c1 = claims_of(rt1)
        t.eq(c1["exp"] - c1["iat"], 4, "lifetimes: a refresh token lives refresh-ttl")
        time.sleep(2.5)
        r = s.refresh(rt1)
        t.eq(r.status, 200, "lifetimes: refresh within refresh-ttl")
        rt2 = r.json()["refresh_token"]
        time.sleep(2.5)
        r = s.refresh(rt2)
        t.eq(r.status, 200, "lifetimes: the lifetime slides: refresh again past the first token's end")
        rt3 = r.json()["refresh_token"]
        t.eq(claims_of(rt3)["exp"], c1["iat"] + 7, "lifetimes: no refresh token outlives session-max")
        time.sleep(2.5)
        r = s.refresh(rt3)
        t.eq((r.status, r.error()), (401, "invalid_grant"), "lifetimes: after session-max the user logs in again")
        _, rt = s.user_tokens("bob")
        time.sleep(5)
        r = s.refresh(rt)
        t.eq((r.status, r.error()), (401, "invalid_grant"), "lifetimes: an unused refresh token expires")
        t.eq(s.login("bob", PW).status, 200, "lifetimes: logging in again works")
        t.eq(s.stop(), 0, "lifetimes: exit 0")
    finally:
        s.cleanup()


def main(t):
    grace_off(t)
    grace_on(t)
    lifetimes(t)


run("refresh_race", main)

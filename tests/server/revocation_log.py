"""The revocation log (security review, items 2 and 13).

Other instances used to learn of revocations by polling "revoked at or
after my last poll minus five seconds", by the local clock, while
revoked_at was stamped by the revoking process's clock before its commit: a
peer more than five seconds behind, or a late commit, and the revocation
was never seen (an API token stayed valid for up to a year). Readers now
follow a log numbered by the store in commit order.
- SQLite: a revocation written to the store an hour back-dated (as a
  process with a slow clock writes it) is picked up.
- PostgreSQL: two instances, one with a clock an hour behind (libfaketime):
  its revocations reach the other; with right clocks a revocation on one is
  refused by the other's /verify within 500 ms (LISTEN/NOTIFY; the delay is
  printed); with the listening connections killed by the server,
  revocations still arrive (the poll, then the listener again).
And item 13: a restart with a lower access-ttl kept only revocations
younger than the new access-ttl, so a login revoked under a longer one came
back while its access tokens were still valid; each revocation now stays
until the longest access token it covers has expired."""

import time

from jotdtest import BACKEND, PG_URL, Server, claims_of, faketime_env, psql, run
import multi_instance as mi

PW = "correct horse battery"
BOUND = 0.5  # seconds: a revocation on one instance, refused by the other


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def refused_within(inst, tok, bound, step=0.01):
    """Seconds until inst's /verify refuses tok, or None after bound."""
    t0 = time.time()
    while True:
        if inst.verify(tok).status == 401:
            return time.time() - t0
        if time.time() - t0 > bound:
            return None
        time.sleep(step)


def backdated_sqlite(t):
    s = Server().start()
    try:
        at, _ = s.user_tokens()
        sid = claims_of(at)["sid"]
        t.eq(s.verify(at).status, 200, "sqlite: the access token verifies")
        # What a process whose clock is an hour slow leaves in the store
        # when it revokes the login (the log's number comes from the store).
        past = int(time.time()) - 3600
        s.sql("UPDATE families SET revoked_at = %d, revoke_reason = 'revoke' WHERE id = '%s'" % (past, sid))
        if s.sql("SELECT count(*) FROM sqlite_master WHERE name = 'revocations'")[0][0] != "0":
            s.sql("INSERT INTO revocations (kind, id, revoked_at, ends_at) VALUES ('family', '%s', %d, %d)"
                  % (sid, past, past + 7200))
        d = refused_within(s, at, 5)
        t.check(d is not None, "sqlite: a revocation back-dated by an hour is picked up (%s s)"
                % ("%.2f" % d if d is not None else "never"))
        t.eq(s.stop(), 0, "sqlite: exit 0")
    finally:
        s.cleanup()


def restart_lower_ttl(t):
    s = Server("--access-ttl", "180s").start()
    try:
        at, rt = s.user_tokens()
        t.eq(s.request("POST", "/logout", headers=bearer(at)).status, 204, "ttl: logout under access-ttl 180s")
        t.eq(s.verify(at).status, 401, "ttl: the access token is refused")
        t.eq(s.stop(), 0, "ttl: exit 0")
        # 90 s later (libfaketime), with access-ttl 5s: the token (180 s)
        # is still within its lifetime, so its revocation must still hold.
        s2 = Server("--access-ttl", "5s", directory=s.dir, port=s.port, env=faketime_env("+90s")).start()
        t.eq(s2.verify(at).status, 401, "ttl: restarted 90 s later with access-ttl 5s, still refused")
        t.eq(s2.stop(), 0, "ttl: exit 0 (restart)")
    finally:
        s.cleanup()


def two_instances(t):
    db = mi.Database()
    key = mi.new_master_key()
    issuer = "http://jotd.test"
    a = mi.Instance("A", db.url, key, issuer, "--access-ttl", "2h").start()
    # B's clock is an hour behind: what it stamps is in A's past.
    b = mi.Instance("B", db.url, key, issuer, "--access-ttl", "2h", env=faketime_env("-1h")).start()
    c = None
    try:
        t.eq(a.signup("alice", PW).status, 201, "pg: signup")
        # Log in at B (tokens stamped by its clock, valid at A: access-ttl
        # 2h), and log out at B.
        j = b.login("alice", PW).json()
        at = j["access_token"]
        t.eq(a.verify(at).status, 200, "pg: A accepts B's access token")
        r = b.request("POST", "/api-tokens", json_body={"name": "ci"}, headers=bearer(at))
        api = r.json()["token"]
        t.eq(a.verify(api).status, 200, "pg: A accepts B's API token")
        t.eq(b.request("DELETE", "/api-tokens/" + r.json()["id"], headers=bearer(at)).status, 204,
             "pg: B (an hour slow) revokes the API token")
        t.eq(b.request("POST", "/logout", headers=bearer(at)).status, 204, "pg: B logs the session out")
        d1 = refused_within(a, at, 5)
        d2 = refused_within(a, api, 5)
        t.check(d1 is not None, "pg: A refuses the session revoked by the slow B (%s s)" % d1)
        t.check(d2 is not None, "pg: A refuses the API token revoked by the slow B (%s s)" % d2)
        t.eq(b.stop(), 0, "pg: B exits 0")

        # Right clocks: NOTIFY makes it sub-second.
        c = mi.Instance("C", db.url, key, issuer, "--access-ttl", "2h").start()
        delays = []
        for i in range(5):
            at = a.login("alice", PW).json()["access_token"]
            t.eq(c.verify(at).status, 200, "pg: C accepts A's token (%d)" % i)
            t0 = time.time()
            c.request("POST", "/logout", headers=bearer(at))
            d = refused_within(a, at, 3)
            delays.append(d if d is not None else float("inf"))
            t.check(d is not None and time.time() - t0 < 3, "pg: revoked on C, refused by A (%d)" % i)
        print("# revocation on C -> refused by A's /verify: %s ms" % ", ".join("%.0f" % (d * 1000) for d in delays))
        t.check(max(delays) < BOUND, "pg: every one within %d ms (max %.0f ms)" % (BOUND * 1000, max(delays) * 1000))

        # The listening connections killed by the server: revocations still
        # arrive (the periodic poll), and the listener comes back.
        rows = psql(db.url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'jotd revocations'")
        t.eq(rows[0][0], "2", "pg: each instance listens on a connection of its own")
        psql(db.url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE application_name = 'jotd revocations'")
        at = a.login("alice", PW).json()["access_token"]
        c.request("POST", "/logout", headers=bearer(at))
        d = refused_within(a, at, 5)
        t.check(d is not None, "pg: listeners killed: the revocation still arrives (%s s)" % d)
        back = mi.wait_until(lambda: psql(db.url, "SELECT count(*) FROM pg_stat_activity WHERE application_name"
                                                  " = 'jotd revocations'")[0][0] == "2", 10)
        t.check(back is not None, "pg: ... and the listeners are back")
        at = a.login("alice", PW).json()["access_token"]
        c.request("POST", "/logout", headers=bearer(at))
        d = refused_within(a, at, 3)
        t.check(d is not None and d < BOUND, "pg: ... and sub-second again (%s s)" % d)
        t.eq(a.stop(), 0, "pg: A exits 0")
        t.eq(c.stop(), 0, "pg: C exits 0")
    finally:
        for x in (a, b, c):
            if x:
                x.cleanup()
        db.drop()


def main(t):
    print("# backend: %s" % BACKEND)
    if PG_URL:
        two_instances(t)
    else:
        backdated_sqlite(t)
    restart_lower_ttl(t)


if __name__ == "__main__":
    run("revocation_log", main)

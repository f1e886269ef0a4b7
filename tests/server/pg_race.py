"""The PostgreSQL store shared by two jotd instances (same database, same
master key, same issuer):

  * 64 parallel refreshes of one refresh token, half on each instance,
    refresh-grace 0: exactly one 200, every other answer 401 invalid_grant;
  * login on A, refresh on B, the spent token replayed on A: reuse, the
    family is revoked, B refuses the family's newest refresh token, and B's
    /verify refuses its access token within the revocation poll;
  * grace window on: the successor sealed for the window is in the
    database (the other instance answers the predecessor with the same
    successor), and the purge clears it once the window has passed.

Only with JOTD_TEST_PG_URL (the server-pg/ registration); skipped otherwise.
"""

import http.client
import os
import threading
import time
import urllib.parse

from jotdtest import BACKEND, Server, claims_of, run, skip

PW = "correct horse battery"
N = 64
ISSUER = "http://jot-pg-race.test"


def pair(*args):
    """Two servers on one database, sharing the master key and issuer."""
    a = Server("--issuer", ISSUER, *args)
    b = Server("--issuer", ISSUER, *args, env={"JOTD_MASTER_KEY_FILE": os.path.join(a.dir, "jotd.master.key")})
    a.start()
    # B's store is A's database.
    b.pg_db = a.pg_db
    b.start()
    return a, b


def refresh_raw(port, token, out, i, barrier):
    body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": token})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.connect()
        barrier.wait(30)
        conn.request("POST", "/token", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        out[i] = (r.status, r.read())
    except Exception as e:  # counted as a failure below
        out[i] = (0, repr(e).encode())
    finally:
        conn.close()


def race(t, a, b):
    _, rt = a.user_tokens("racer")
    out = [None] * N
    barrier = threading.Barrier(N)
    ths = [threading.Thread(target=refresh_raw, args=((a, b)[i % 2].port, rt, out, i, barrier)) for i in range(N)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(90)
    statuses = [o[0] if o else None for o in out]
    t.eq(statuses.count(200), 1, "race: %d parallel refreshes of one token over two instances, exactly one 200" % N)
    others = [o for o in out if o and o[0] != 200]
    t.check(len(others) == N - 1 and all(o[0] == 401 and b"invalid_grant" in o[1] for o in others),
            "race: every other answer is 401 invalid_grant", repr(sorted(set(statuses), key=str)))


def cross_reuse(t, a, b):
    r = a.login("crosser", PW) if a.signup("crosser", PW).status == 201 else None
    t.check(r is not None and r.status == 200, "cross: login on A")
    rt1 = r.json()["refresh_token"]
    r = b.refresh(rt1)
    t.eq(r.status, 200, "cross: refresh on B")
    rt2, at2 = r.json()["refresh_token"], r.json()["access_token"]
    t.eq(claims_of(rt2)["sid"], claims_of(rt1)["sid"], "cross: same family")
    t.eq(b.verify(at2).status, 200, "cross: B's access token verifies on B")
    r = a.refresh(rt1)
    t.eq((r.status, r.error()), (401, "invalid_grant"), "cross: the spent token replayed on A is reuse")
    t.eq(b.refresh(rt2).status, 401, "cross: B refuses the family's newest refresh token")
    t.eq(a.verify(at2).status, 401, "cross: A refuses the family's access token at once")
    deadline = time.time() + 8
    while time.time() < deadline and b.verify(at2).status != 401:
        time.sleep(0.2)
    t.eq(b.verify(at2).status, 401, "cross: B refuses it too within its revocation poll")


def grace(t):
    c, d = pair("--refresh-grace", "3s")
    try:
        _, rt = c.user_tokens("gracie")
        r = c.refresh(rt)
        t.eq(r.status, 200, "grace: refresh on C")
        succ = r.json()["refresh_token"]
        sealed = c.sql("SELECT count(*) FROM refresh_tokens WHERE successor_sealed IS NOT NULL")[0][0]
        t.eq(sealed, "1", "grace: the sealed successor is in the database")
        r = d.refresh(rt)
        t.check(r.status == 200 and r.json().get("refresh_token") == succ,
                "grace: the predecessor on D within the window gives C's successor", repr(r))
        deadline = time.time() + 15
        while time.time() < deadline:
            sealed = c.sql("SELECT count(*) FROM refresh_tokens WHERE successor_sealed IS NOT NULL")[0][0]
            if sealed == "0":
                break
            time.sleep(0.5)
        t.eq(sealed, "0", "grace: the purge clears the sealed successor after the window")
        r = d.refresh(rt)
        t.eq((r.status, r.error()), (401, "invalid_grant"), "grace: after the window the predecessor is reuse")
        t.eq(c.stop(), 0, "grace: C exits 0")
        t.eq(d.stop(), 0, "grace: D exits 0")
    finally:
        d.cleanup()
        c.cleanup()


def main(t):
    a, b = pair("--refresh-grace", "0")
    try:
        race(t, a, b)
        cross_reuse(t, a, b)
        t.eq(a.stop(), 0, "A exits 0")
        t.eq(b.stop(), 0, "B exits 0")
    finally:
        b.cleanup()
        a.cleanup()
    grace(t)


if __name__ == "__main__":
    if BACKEND != "postgresql":
        skip("two jotd instances need a shared PostgreSQL store: JOTD_TEST_PG_URL is not set "
             "(ctest runs this as server-pg/pg_race)")
    run("pg_race", main)

"""Refresh races across 64 clients with overlapping reuse, many rounds:

 - grace off: 16 logins, and each login's refresh token is presented by 4
   clients at once (64 at once in all), while in every round some clients
   present the family's previous (spent) token at the same moment. Every
   time: at most one 200 per token, exactly one when nobody replayed an
   older token, every other answer a 401 invalid_grant JSON error; and since
   each family saw a spent token, every family is revoked: the winners'
   successors are refused by /token, their access tokens by /verify.
 - grace on (5 s): 64 clients refreshing 16 tokens 4 at a time all get the
   same successor per token (same jti), and the families live on.

tests/server/refresh_race.py is the 32-client, one-token version."""

import threading

from jotdtest import Server, claims_of, run

PW = "correct horse battery"
FAMILIES = 16
PER = 4            # clients per token: 16 x 4 = 64 at once
ROUNDS = 20
# How the races went: families with a replay whose current token still had
# a winner (the replay came after), or none (the replay revoked it first).
STATS = {"winners": 0, "no_winner": 0}


def burst(s, jobs):
    """Run every (key, token) of jobs as one refresh, all released at once;
    the results by index."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def one(i, token):
        try:
            barrier.wait(30)
            results[i] = s.refresh(token)
        except Exception as e:  # a transport failure is a result too
            results[i] = e

    threads = [threading.Thread(target=one, args=(i, tok)) for i, (_, tok) in enumerate(jobs)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    return results


def logins(s, n):
    out = []
    for i in range(n):
        r = s.login("alice", PW)
        if r.status != 200:
            raise RuntimeError("login failed: %r" % r)
        out.append(r.json())
    return out


def grace_off_round(t, s, rnd):
    fams = logins(s, FAMILIES)
    # One refresh per family first, so that each has a spent predecessor.
    prev, cur = [], []
    for f in fams:
        r = s.refresh(f["refresh_token"])
        if r.status != 200:
            raise RuntimeError("first refresh failed: %r" % r)
        prev.append(f["refresh_token"])
        cur.append(r.json()["refresh_token"])
    # 64 clients: PER on each family's current token; in half of the
    # families one of them presents the spent predecessor instead.
    jobs = []
    for k in range(FAMILIES):
        for j in range(PER):
            replay = (k % 2 == 1 and j == 0)
            jobs.append(((k, replay), prev[k] if replay else cur[k]))
    results = burst(s, jobs)
    ok_all = True
    winners = {}
    for (key, _), r in zip(jobs, results):
        k, replay = key
        st = getattr(r, "status", None)
        if st == 200:
            if replay:
                ok_all = t.check(False, "round %d: a spent token was answered 200 (family %d)" % (rnd, k)) and ok_all
            winners.setdefault(k, []).append(r.json())
        elif not (st == 401 and r.error() == "invalid_grant" and r.is_json_error()):
            ok_all = t.check(False, "round %d: a loser's answer is 401 invalid_grant" % rnd, repr(r)) and ok_all
    for k in range(FAMILIES):
        n = len(winners.get(k, []))
        if k % 2 == 0:
            # Nobody replayed an older token: exactly one of the four wins.
            if n != 1:
                ok_all = t.check(False, "round %d: family %d: exactly one winner" % (rnd, k), "(%d)" % n) and ok_all
        elif n > 1:
            ok_all = t.check(False, "round %d: family %d: at most one winner" % (rnd, k), "(%d)" % n) and ok_all
    # Every family saw a spent token (a loser's, or the replay): all are
    # revoked, whatever the order in which the threads ran.
    for k in range(FAMILIES):
        for w in winners.get(k, []):
            r = s.refresh(w["refresh_token"])
            if r.status != 401:
                ok_all = t.check(False, "round %d: family %d: the winner's successor is refused" % (rnd, k),
                                 repr(r)) and ok_all
            r = s.verify(w["access_token"])
            if r.status != 401:
                ok_all = t.check(False, "round %d: family %d: the winner's access token is refused by /verify"
                                 % (rnd, k), repr(r)) and ok_all
        r = s.refresh(cur[k])
        if r.status != 401:
            ok_all = t.check(False, "round %d: family %d: the raced token stays refused" % (rnd, k),
                             repr(r)) and ok_all
    STATS["winners"] += sum(1 for k in range(1, FAMILIES, 2) if winners.get(k))
    STATS["no_winner"] += sum(1 for k in range(1, FAMILIES, 2) if not winners.get(k))
    t.check(ok_all, "grace off, round %d: 64 clients on 16 families, %d with a replay: one winner per token, "
            "every family revoked" % (rnd, FAMILIES // 2))


def grace_on(t):
    s = Server("--refresh-grace", "5s").start()
    try:
        s.signup("alice", PW)
        for rnd in range(2):
            fams = logins(s, FAMILIES)
            jobs = [(k, fams[k]["refresh_token"]) for k in range(FAMILIES) for _ in range(PER)]
            results = burst(s, jobs)
            ok_all = True
            succ = {}
            for (k, _), r in zip(jobs, results):
                if getattr(r, "status", None) != 200:
                    ok_all = t.check(False, "grace on: every racer gets 200", repr(r)) and ok_all
                    continue
                succ.setdefault(k, set()).add(claims_of(r.json()["refresh_token"])["jti"])
            for k in range(FAMILIES):
                if len(succ.get(k, ())) != 1:
                    ok_all = t.check(False, "grace on: one successor per token", repr(succ.get(k))) and ok_all
            # The families live on: each successor refreshes once more.
            for k in range(FAMILIES):
                tok = next(r.json()["refresh_token"] for (kk, _), r in zip(jobs, results)
                           if kk == k and getattr(r, "status", None) == 200)
                r = s.refresh(tok)
                if r.status != 200:
                    ok_all = t.check(False, "grace on: the family lives on", repr(r)) and ok_all
            t.check(ok_all, "grace on, round %d: 64 clients on 16 tokens: one successor each, families alive" % rnd)
        t.eq(s.stop(), 0, "grace on: jotd stops cleanly")
    finally:
        s.cleanup()


def main(t):
    s = Server("--refresh-grace", "0").start()
    try:
        s.signup("alice", PW)
        for rnd in range(ROUNDS):
            grace_off_round(t, s, rnd)
        print("# families with a replay: %(winners)d still had a winner, %(no_winner)d were revoked before "
              "any refresh won" % STATS)
        t.eq(s.stop(), 0, "grace off: jotd stops cleanly")
    finally:
        s.cleanup()
    grace_on(t)


if __name__ == "__main__":
    run("fault_refresh_race", main)

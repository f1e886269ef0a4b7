"""Durability of refreshes: a 200 from POST /token means the rotation is
committed to the store's WAL. jotd is killed with SIGKILL (no chance to
flush anything) right after a burst of refreshes, restarted, and every
chain must go on from the newest token it received, while the tokens before
it are spent (reuse)."""

import signal
import threading

from jotdtest import BACKEND, Server, run

PW = "correct horse battery"
CHAINS = 8
STEPS = 60


def main(t):
    s = Server().start()
    try:
        s.signup("alice", PW)
        chains = [s.login("alice", PW).json()["refresh_token"] for _ in range(CHAINS)]
        first = list(chains)
        errors = []

        def walk(i):
            for _ in range(STEPS):
                r = s.refresh(chains[i])
                if r.status != 200:
                    errors.append(r)
                    return
                chains[i] = r.json()["refresh_token"]

        ths = [threading.Thread(target=walk, args=(i,)) for i in range(CHAINS)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(120)
        t.eq(errors, [], "durability: %d chains of %d refreshes, all 200" % (CHAINS, STEPS))
        # No SIGTERM: nothing gets a chance to be flushed or checkpointed.
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(30)
        s.logfile.close()
        s.proc = None
        if BACKEND == "sqlite":
            ok = s.sql("PRAGMA integrity_check")[0][0]
            t.eq(ok, "ok", "durability: the store passes SQLite's integrity check after SIGKILL")
        else:
            print("# skipped on %s: SQLite's integrity check (the database server's files are its own;"
                  " a SIGKILL of jotd cannot leave them half-written)" % BACKEND)
        spent = int(s.sql("SELECT count(*) FROM refresh_tokens WHERE state = 'spent'")[0][0])
        t.eq(spent, CHAINS * STEPS, "durability: every rotation answered 200 is in the store")
        s.start()
        got = [s.refresh(rt).status for rt in chains]
        t.eq(got, [200] * CHAINS, "durability: after the restart every chain goes on from its newest token")
        r = s.refresh(first[0])
        t.eq((r.status, r.error()), (401, "invalid_grant"), "durability: a token spent before the kill is reuse")
        t.eq(s.stop(), 0, "durability: exit 0")
    finally:
        s.cleanup()


run("durability", main)

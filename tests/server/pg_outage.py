"""Losing the PostgreSQL store and getting it back, jotd running on:

  * the database server stops during a load of logins, refreshes and
    /verify: what needs the store answers 503 with a JSON error (never
    another 5xx, never a hang), /healthz answers 503, and /verify and the
    JWKS keep answering 200 from memory;
  * the database server starts again: jotd recovers by itself (the same
    process, no restart): /healthz 200, a refresh token issued before the
    outage refreshes, logins work;
  * the connection URL's password never reaches the log.

Only with JOTD_TEST_PG_URL and JOTD_TEST_PG_DIR (the server-pg/
registration, whose cluster tests/pg/cluster.sh can pause and resume);
skipped otherwise.
"""

import os
import subprocess
import threading
import time
import urllib.parse

from jotdtest import BACKEND, Server, run, skip

PW = "correct horse battery"
HERE = os.path.dirname(os.path.abspath(__file__))
CLUSTER = os.path.join(os.path.dirname(HERE), "pg", "cluster.sh")
STATE = os.environ.get("JOTD_TEST_PG_DIR")


def cluster(cmd):
    p = subprocess.run(["bash", CLUSTER, cmd, STATE], capture_output=True, text=True, timeout=90)
    if p.returncode != 0:
        raise RuntimeError("cluster.sh %s failed: %s" % (cmd, p.stderr))


class Load:
    """Threads that log in and refresh, and verify, until stopped; every
    answer is recorded with the phase it was sent in."""

    def __init__(self, s, at):
        self.s = s
        self.at = at
        self.phase = "before"
        self.stop = threading.Event()
        self.seen = []  # (phase, what, status, is_json_error)
        self.lock = threading.Lock()

    def note(self, phase, what, r):
        with self.lock:
            self.seen.append((phase, what, r.status, r.is_json_error()))

    def sessions(self):
        rt = None
        while not self.stop.is_set():
            phase = self.phase
            try:
                if rt is None:
                    r = self.s.login("loader", PW)
                    self.note(phase, "login", r)
                    rt = r.json()["refresh_token"] if r.status == 200 else None
                else:
                    r = self.s.refresh(rt)
                    self.note(phase, "refresh", r)
                    if r.status == 200:
                        rt = r.json()["refresh_token"]
                    elif r.status != 503:
                        rt = None
            except OSError as e:
                with self.lock:
                    self.seen.append((phase, "connection", repr(e), False))
            time.sleep(0.02)

    def verifier(self):
        while not self.stop.is_set():
            phase = self.phase
            try:
                self.note(phase, "verify", self.s.verify(self.at))
            except OSError as e:
                with self.lock:
                    self.seen.append((phase, "connection", repr(e), False))
            time.sleep(0.02)

    def of(self, phase, what):
        with self.lock:
            return [x for x in self.seen if x[0] == phase and x[1] == what]


def main(t):
    s = Server().start()
    pid = s.proc.pid
    load = None
    paused = False
    try:
        at, rt = s.user_tokens("alice")
        s.signup("loader", PW)
        load = Load(s, at)
        ths = [threading.Thread(target=load.sessions) for _ in range(3)] + [threading.Thread(target=load.verifier)]
        for th in ths:
            th.start()
        time.sleep(0.5)

        cluster("pause")
        paused = True
        load.phase = "down"
        time.sleep(0.3)
        r = s.request("GET", "/healthz", timeout=15)
        t.check(r.status == 503 and r.is_json_error(), "down: /healthz is 503 with a JSON error", repr(r))
        r = s.login("alice", PW)
        t.check(r.status == 503 and r.is_json_error() and r.error() == "temporarily_unavailable",
                "down: login is 503 temporarily_unavailable (JSON)", repr(r))
        r = s.refresh(rt)
        t.check(r.status == 503 and r.is_json_error(), "down: refresh is 503 (JSON)", repr(r))
        r = s.signup("bob", PW)
        t.check(r.status == 503 and r.is_json_error(), "down: signup is 503 (JSON)", repr(r))
        # A revocation the store cannot record is not reported as done.
        r = s.request("POST", "/logout", form={"refresh_token": rt}, timeout=15)
        t.check(r.status == 503 and r.is_json_error(), "down: logout is 503, not a 204 that revoked nothing", repr(r))
        r = s.request("POST", "/revoke", form={"token": rt}, timeout=15)
        t.check(r.status == 503 and r.is_json_error(), "down: revoke is 503 (RFC 7009 2.2.1)", repr(r))
        t.eq([s.verify(at).status for _ in range(20)], [200] * 20, "down: /verify answers 200 from memory")
        t.eq(s.request("GET", "/.well-known/jwks.json").status, 200, "down: the JWKS is served from memory")
        time.sleep(1.5)

        cluster("resume")
        paused = False
        load.phase = "back"
        deadline = time.time() + 15
        while time.time() < deadline and s.request("GET", "/healthz", timeout=15).status != 200:
            time.sleep(0.1)
        t.eq(s.request("GET", "/healthz").status, 200, "back: /healthz is 200 again")
        t.check(s.proc.poll() is None and s.proc.pid == pid, "back: the same jotd process, not restarted")
        r = s.refresh(rt)
        t.eq(r.status, 200, "back: a refresh token issued before the outage refreshes")
        t.eq(s.login("alice", PW).status, 200, "back: login works")
        t.eq(s.signup("bob", PW).status, 201, "back: signup works")
        time.sleep(1.0)
        load.stop.set()
        for th in ths:
            th.join(60)

        down = load.of("down", "login") + load.of("down", "refresh")
        t.check(len(down) > 0 and all(x[2] in (200, 503) for x in down),
                "load while down: logins and refreshes answer 503 (or 200 when in before the stop)",
                repr(sorted(set(x[2] for x in down), key=str)))
        t.check(all(x[3] for x in down if x[2] == 503), "load while down: every 503 is a JSON error")
        t.check(any(x[2] == 503 for x in down), "load while down: the store's loss is seen (503s)")
        vdown = load.of("down", "verify")
        t.check(len(vdown) > 0 and all(x[2] == 200 for x in vdown), "load while down: every /verify is 200",
                repr(sorted(set(x[2] for x in vdown), key=str)))
        back = load.of("back", "login") + load.of("back", "refresh")
        t.check(any(x[2] == 200 for x in back), "load after: logins and refreshes succeed again")
        conn = [x for x in load.seen if x[1] == "connection"]
        t.eq(conn, [], "load: no connection was dropped or timed out")
        t.eq(s.stop(), 0, "exit 0 on SIGTERM")
        password = urllib.parse.urlsplit(s.store).password
        t.check(password and password not in s.log(), "the log never holds the store's password")
        t.check("store" in s.log() and "connect" in s.log(), "the store's loss is logged")
    finally:
        if load:
            load.stop.set()
        if paused:
            cluster("resume")
        s.cleanup()


if __name__ == "__main__":
    if BACKEND != "postgresql" or not STATE:
        skip("needs a PostgreSQL cluster it may stop and start: JOTD_TEST_PG_URL and JOTD_TEST_PG_DIR "
             "(ctest runs this as server-pg/pg_outage)")
    run("pg_outage", main)

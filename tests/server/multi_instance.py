"""Several jotd instances on one PostgreSQL database (issue 6).

Instances A and B share the database named by JOTD_TEST_PG_URL (a fresh
database is created on that cluster for the run and dropped afterwards),
the master key and the issuer, as a deployment behind a load balancer does:

  * login on A, refresh on B, replay the spent token on A: reuse is
    detected (401 invalid_grant), the family is revoked, and B refuses the
    family's newest refresh token too (and, within the revocation poll, its
    access token at /verify);
  * 64 parallel refreshes of one refresh token, spread over A and B, with
    refresh-grace 0: exactly one 200, the other 63 401 invalid_grant; then
    the same with the default grace window on two more instances: every
    200 carries the one successor (no second successor is ever minted);
  * `jotd keys rotate` run against the shared store: both instances publish
    the new key in their JWKS within KEY_BOUND seconds (jotd rereads the
    keys every 2 s), and after `keys rotate --now` both sign with it and
    each /verify accepts what the other signed;
  * kill -9 of B during a sustained refresh load on A and B: A keeps
    answering 200, and no refresh token was answered 200 twice (the tokens
    answered are replayed afterwards: 401 each).

Without JOTD_TEST_PG_URL the test is skipped (two instances cannot share
one SQLite store), with the reason printed.

The helpers here (fresh_database, Instance, Nginx) serve tests/server/nginx.py
too.
"""

import hashlib
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jotdtest  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY_NGINX = os.path.join(REPO, "deploy", "nginx")
PASSWORD = "correct horse battery"
# jotd rereads keys and revocations every 2 s; a change must show on every
# instance within this bound (the poll, plus a poll that was just missed,
# plus a loaded machine).
KEY_BOUND = 6.0
REVOKE_BOUND = 6.0


# ---- PostgreSQL -----------------------------------------------------------

class Database:
    """A fresh database on the cluster of JOTD_TEST_PG_URL (jotdtest's
    helpers), for several instances at once; dropped by drop()."""

    def __init__(self):
        self.name = "jot_multi_%s" % secrets.token_hex(6)
        self.url = jotdtest.pg_create(self.name)

    def drop(self):
        jotdtest.pg_drop(self.name)


# ---- jotd instances sharing one store ---------------------------------------

class Instance(jotdtest.Server):
    """A jotd on a given store (a PostgreSQL URL shared with other
    instances, or an SQLite file of its own), with a given master key
    and issuer: what instances behind one load balancer share."""

    def __init__(self, name, store, master_key, issuer, *args, **kw):
        self.name = name
        self._store = store
        env = dict(kw.pop("env", None) or {})
        env["JOTD_MASTER_KEY"] = master_key
        super().__init__("--issuer", issuer, *args, env=env, **kw)
        if not self._store:
            self._store = os.path.join(self.dir, "jotd.db")

    @property
    def store(self):
        return self._store

    def command(self, *extra):
        return [jotdtest.JOTD, "serve", "--listen", "127.0.0.1:%d" % self.port, "--store", self.store] + \
            self.args + list(extra)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.logfile.close()
        self.proc = None

    def metric(self, name, labels=""):
        """The value of one sample of GET /metrics (0 when absent)."""
        r = self.request("GET", "/metrics")
        want = name + ("{%s}" % labels if labels else "")
        for line in r.body.decode().splitlines():
            if line.startswith(want + " "):
                return float(line.split()[-1])
        return 0.0


def new_master_key():
    return secrets.token_hex(32)


# ---- nginx with deploy/nginx/jotd.conf ----------------------------------------

def nginx_binary():
    for c in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if c and os.access(c, os.X_OK):
            return c
    return None


class Nginx:
    """nginx as the current user, running deploy/nginx/jotd.conf unchanged
    in a prefix folder written by deploy/nginx/local.sh."""

    # The client side of jotdtest.Server works for any port.
    request = jotdtest.Server.request
    signup = jotdtest.Server.signup
    login = jotdtest.Server.login
    refresh = jotdtest.Server.refresh
    # What the client side notes of the secrets it sends and receives
    # (kept here, unused: nginx's log is not jotd's).
    note_request = jotdtest.Server.note_request
    note_response = jotdtest.Server.note_response
    record_secret = jotdtest.Server.record_secret

    def __init__(self, upstreams, directory):
        self.secrets = set()
        self.dir = directory
        os.makedirs(self.dir, exist_ok=True)
        self.port = jotdtest.free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.upstreams = list(upstreams)
        self.proc = None
        self.errpath = os.path.join(self.dir, "error.log")

    def prepare(self):
        p = subprocess.run(["sh", os.path.join(DEPLOY_NGINX, "local.sh"), self.dir, str(self.port)] + self.upstreams,
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError("deploy/nginx/local.sh failed: %s" % p.stderr)

    def args(self):
        return [nginx_binary(), "-e", "stderr", "-p", self.dir + "/", "-c", os.path.join(self.dir, "nginx.conf")]

    def test_config(self):
        return subprocess.run(self.args() + ["-t"], capture_output=True, text=True, timeout=30)

    def start(self, timeout=20):
        self.errfile = open(self.errpath, "ab")
        self.proc = subprocess.Popen(self.args() + ["-g", "daemon off;"], stdout=self.errfile, stderr=self.errfile)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited with %d:\n%s" % (self.proc.returncode, self.errors()))
            try:
                r = self.request("GET", "/healthz", timeout=2)
                if r.status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("nginx did not come up:\n" + self.errors())

    def stop(self):
        if not self.proc:
            return
        self.proc.send_signal(signal.SIGQUIT)  # graceful
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.errfile.close()
        self.proc = None

    def errors(self):
        try:
            with open(self.errpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


# ---- refresh helpers ------------------------------------------------------------

def token_hash(tok):
    return hashlib.sha256(tok.encode()).hexdigest()[:16]


def refresh_on(port, token, timeout=30):
    """POST /token on 127.0.0.1:port; (status, json or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": token})
        conn.request("POST", "/token", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        data = r.read()
        try:
            j = json.loads(data)
        except ValueError:
            j = None
        return r.status, j
    finally:
        conn.close()


def wait_until(pred, bound, step=0.1):
    """Seconds until pred() held, or None when it did not within bound."""
    t0 = time.time()
    while True:
        if pred():
            return time.time() - t0
        if time.time() - t0 > bound:
            return None
        time.sleep(step)


def parallel_refresh(ports, token, n=64):
    """n requests with one refresh token at once, port i % len(ports) for
    request i, each on a connection opened beforehand; the answers as
    (status, json or None), in request order."""
    conns = []
    for i in range(n):
        c = http.client.HTTPConnection("127.0.0.1", ports[i % len(ports)], timeout=60)
        c.connect()
        conns.append(c)
    barrier = threading.Barrier(n)
    out = [None] * n
    body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": token})

    def one(i):
        c = conns[i]
        try:
            barrier.wait(timeout=30)
            c.request("POST", "/token", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse()
            data = r.read()
            try:
                j = json.loads(data)
            except ValueError:
                j = None
            out[i] = (r.status, j)
        except Exception as e:  # counted as a failure by the caller
            out[i] = (-1, {"exception": repr(e)})
        finally:
            c.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=90)
    return out


# ---- the checks -----------------------------------------------------------------

def check_cross_instance_reuse(t, a, b):
    a.signup("carol", PASSWORD)
    r = a.login("carol", PASSWORD)
    t.eq(r.status, 200, "login on A")
    j = r.json()
    rt0, at0 = j["refresh_token"], j["access_token"]
    t.eq(b.verify(at0).status, 200, "B's /verify accepts the access token A issued")
    r = b.refresh(rt0)
    t.eq(r.status, 200, "A's refresh token refreshed on B")
    rt1 = r.json()["refresh_token"]
    at1 = r.json()["access_token"]
    t.eq(a.verify(at1).status, 200, "A's /verify accepts the access token B issued")
    r = a.refresh(rt0)
    t.eq((r.status, r.error()), (401, "invalid_grant"), "the spent token replayed on A: 401 invalid_grant (reuse)")
    t.check("reuse" in json.dumps(r.json()), "A says reuse was detected", r.body)
    r = b.refresh(rt1)
    t.eq((r.status, r.error()), (401, "invalid_grant"), "B refuses the family's newest refresh token too")
    r = a.refresh(rt1)
    t.eq((r.status, r.error()), (401, "invalid_grant"), "A refuses the family's newest refresh token")
    t.eq(a.verify(at1).status, 401, "A's /verify refuses the family's access token at once")
    took = wait_until(lambda: b.verify(at1).status == 401, REVOKE_BOUND)
    t.check(took is not None, "B's /verify refuses it within %.0f s (revocations are polled every 2 s)" % REVOKE_BOUND,
            "(still 200)")
    if took is not None:
        print("# B learned the revocation made on A after %.2f s" % took)


def check_parallel_refresh(t, a, b, label):
    """64 parallel refreshes of one token on A and B (refresh-grace 0):
    exactly one 200."""
    a.signup("dave", PASSWORD)
    rt = a.login("dave", PASSWORD).json()["refresh_token"]
    out = parallel_refresh([a.port, b.port], rt)
    statuses = [s for s, _ in out]
    ok = [j for s, j in out if s == 200]
    t.eq(len(ok), 1, "%s: 64 parallel refreshes over A and B: exactly one 200" % label)
    others = sorted(set((s, (j or {}).get("error")) for s, j in out if s != 200))
    t.eq(others, [(401, "invalid_grant")], "%s: the other 63 are 401 invalid_grant" % label)
    print("# statuses: %s" % {s: statuses.count(s) for s in set(statuses)})


def check_parallel_refresh_grace(t, c, d):
    """The same with the default grace window (5 s): a request that finds
    the token just spent may get the one successor again (same jti), on
    the instance that holds the successor's sealed copy; any other answer
    is 401. Never a second successor."""
    c.signup("erin", PASSWORD)
    rt = c.login("erin", PASSWORD).json()["refresh_token"]
    out = parallel_refresh([c.port, d.port], rt)
    ok = [j for s, j in out if s == 200]
    bad = [(s, j) for s, j in out if s not in (200, 401)]
    t.check(len(ok) >= 1, "grace 5 s: at least one of 64 parallel refreshes is 200", "(%d)" % len(ok))
    t.eq(bad, [], "grace 5 s: every other answer is 200 or 401")
    jtis = set(jotdtest.claims_of(j["refresh_token"])["jti"] for j in ok)
    t.eq(len(jtis), 1, "grace 5 s: every 200 carries the same successor (one jti): no second successor minted")
    print("# grace 5 s: %d x 200 (one successor), %d x 401" % (len(ok), sum(1 for s, _ in out if s == 401)))


def jwks_kids(inst):
    r = inst.request("GET", "/.well-known/jwks.json")
    return [k["kid"] for k in r.json()["keys"]]


def check_key_rotation(t, a, b):
    before = set(jwks_kids(a))
    t.eq(set(jwks_kids(b)), before, "A and B publish the same keys")
    p = a.jotd("keys", "rotate")
    t.check(p.returncode == 0, "jotd keys rotate on the shared store", p.stderr)
    took = wait_until(lambda: len(set(jwks_kids(a)) - before) == 1 and set(jwks_kids(b)) == set(jwks_kids(a)),
                      KEY_BOUND)
    t.check(took is not None, "both instances publish the new (next) key within %.0f s" % KEY_BOUND,
            "(A %r, B %r)" % (jwks_kids(a), jwks_kids(b)))
    if took is not None:
        print("# the rotated key was in both JWKS after %.2f s" % took)
    nxt = set(jwks_kids(a)) - before
    a.signup("carol2", PASSWORD)
    at = a.login("carol2", PASSWORD).json()["access_token"]
    t.check(jotdtest.header_of(at)["kid"] in before, "a `next` key does not sign yet")

    p = a.jotd("keys", "rotate", "--now")
    t.check(p.returncode == 0, "jotd keys rotate --now on the shared store", p.stderr)
    known = before | nxt

    def both_sign_new():
        ka, kb = set(jwks_kids(a)), set(jwks_kids(b))
        new = ka - known
        if len(new) != 1 or ka != kb:
            return False
        kid = new.pop()
        ta = a.login("carol2", PASSWORD).json()["access_token"]
        tb = b.login("carol2", PASSWORD).json()["access_token"]
        return jotdtest.header_of(ta)["kid"] == kid and jotdtest.header_of(tb)["kid"] == kid

    took = wait_until(both_sign_new, KEY_BOUND, step=0.25)
    t.check(took is not None, "after `keys rotate --now` both instances publish and sign with the new key within %.0f s"
            % KEY_BOUND)
    if took is not None:
        print("# both instances signed with the new key after %.2f s" % took)
    ta = a.login("carol2", PASSWORD).json()["access_token"]
    tb = b.login("carol2", PASSWORD).json()["access_token"]
    t.eq(b.verify(ta).status, 200, "B verifies an access token A signed with the new key")
    t.eq(a.verify(tb).status, 200, "A verifies an access token B signed with the new key")
    # Refresh tokens carry a MAC keyed from the master key and the kid:
    # one signed by A refreshes on B.
    rt = a.login("carol2", PASSWORD).json()["refresh_token"]
    t.eq(b.refresh(rt).status, 200, "B refreshes a refresh token A issued under the new key")


def check_kill_under_load(t, a, b, seconds_before=3.0, seconds_after=3.0, workers=8):
    """Refresh chains over A and B (each request to the next instance, as a
    round-robin balancer would); B is killed with SIGKILL in the middle;
    a request that cannot reach B goes to A (as nginx does for a
    connection that fails). A chain whose token was lost (401) logs in
    again on A."""
    for i in range(workers):
        a.signup("load%d" % i, PASSWORD)
    answered = {}   # hash of a presented token -> number of 200 answers
    minted = {}     # hash of a refresh token returned by a 200 -> times
    spent = []      # tokens answered 200 (replayed at the end)
    counts = {"a_ok": 0, "a_after": 0, "b_ok": 0, "conn_err_b": 0, "a_5xx": 0, "a_other": 0, "b_other": 0,
              "a_conn_err": 0, "broken": 0}
    lock = threading.Lock()
    killed_at = [None]
    stop = time.time() + seconds_before + seconds_after

    def worker(i):
        rt = a.login("load%d" % i, PASSWORD).json()["refresh_token"]
        turn = i % 2
        while time.time() < stop:
            inst = (a, b)[turn]
            turn ^= 1
            try:
                s, j = refresh_on(inst.port, rt, timeout=10)
            except OSError:
                with lock:
                    counts["conn_err_b" if inst is b else "a_conn_err"] += 1
                if inst is b:
                    # The balancer takes the request to A (POST or not, a
                    # connection that failed carried no request... or did:
                    # the reply is then 401 if B had spent the token).
                    try:
                        s, j = refresh_on(a.port, rt, timeout=10)
                        inst = a
                    except OSError:
                        with lock:
                            counts["a_conn_err"] += 1
                        continue
                else:
                    continue
            with lock:
                if s == 200:
                    h = token_hash(rt)
                    answered[h] = answered.get(h, 0) + 1
                    nh = token_hash(j["refresh_token"])
                    minted[nh] = minted.get(nh, 0) + 1
                    spent.append(rt)
                    if inst is a:
                        counts["a_ok"] += 1
                        if killed_at[0] is not None:
                            counts["a_after"] += 1
                    else:
                        counts["b_ok"] += 1
                elif inst is a and s >= 500:
                    counts["a_5xx"] += 1
                elif s != 401:
                    counts["a_other" if inst is a else "b_other"] += 1
            if s == 200:
                rt = j["refresh_token"]
            elif s == 401:
                with lock:
                    counts["broken"] += 1
                r = a.login("load%d" % i, PASSWORD)
                if r.status == 200:
                    rt = r.json()["refresh_token"]

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for th in threads:
        th.start()
    time.sleep(seconds_before)
    b.kill9()
    killed_at[0] = time.time()
    for th in threads:
        th.join(timeout=seconds_after + 60)
    print("# load: %s" % counts)
    t.check(counts["b_ok"] > 0 and counts["a_ok"] > 0, "both instances answered refreshes before the kill",
            "(%s)" % counts)
    t.check(counts["a_after"] >= 20, "A kept answering 200 after B was killed with SIGKILL", "(%s)" % counts)
    t.eq(counts["a_5xx"] + counts["a_conn_err"] + counts["a_other"], 0,
         "A answered only 200 or 401 (no 5xx, no connection error)")
    twice = [h for h, n in answered.items() if n > 1]
    t.eq(twice, [], "no refresh token was answered 200 twice (refresh-grace 0)")
    dup = [h for h, n in minted.items() if n > 1]
    t.eq(dup, [], "no refresh token was handed out twice")
    sample = spent[-40:] + spent[:10]
    replay = [refresh_on(a.port, tok)[0] for tok in sample]
    t.eq(sorted(set(replay)), [401], "every spent token replayed on A afterwards: 401 (%d tokens)" % len(sample))


def main(t):
    db = Database()
    key = new_master_key()
    issuer = "http://jot-multi.test"
    insts = []
    try:
        a = Instance("A", db.url, key, issuer, "--refresh-grace", "0")
        insts.append(a)
        a.start()
        b = Instance("B", db.url, key, issuer, "--refresh-grace", "0")
        insts.append(b)
        b.start()
        check_cross_instance_reuse(t, a, b)
        check_parallel_refresh(t, a, b, "grace 0")
        check_key_rotation(t, a, b)
        c = Instance("C", db.url, key, issuer)
        insts.append(c)
        c.start()
        d = Instance("D", db.url, key, issuer)
        insts.append(d)
        d.start()
        check_parallel_refresh_grace(t, c, d)
        c.stop()
        d.stop()
        check_kill_under_load(t, a, b)
    except Exception:
        for i in insts:
            sys.stderr.write("---- end of jotd %s's log:\n%s\n" % (i.name, i.log()[-3000:]))
        raise
    finally:
        for i in insts:
            i.cleanup()
        db.drop()


if __name__ == "__main__":
    if not jotdtest.PG_URL:
        jotdtest.skip("JOTD_TEST_PG_URL is not set; several jotd instances need a shared PostgreSQL store "
                      "(two cannot share one SQLite store). tests/pg/cluster.sh starts one.")
    jotdtest.run("multi_instance", main)

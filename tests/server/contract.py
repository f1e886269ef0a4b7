"""Exact contract details, each a fix found by reviewing jotd against
CONTRACT.md (section jotd) and DESIGN.md; every check here failed before its
fix."""

import re
import statistics
import time

from jotdtest import Server, run

PW = "correct horse battery"


def challenge(t, s):
    """/verify refusals carry exactly WWW-Authenticate: Bearer
    error="invalid_token", whatever the reason (the reason is in the JSON
    body only)."""
    at, rt = s.user_tokens("alice")
    cases = [({}, "no Authorization"), ({"Authorization": "Bearer x.y.z"}, "garbage"),
             ({"Authorization": "Bearer " + rt}, "a refresh token"), ({"Authorization": "Basic YTpi"}, "Basic")]
    for hdrs, what in cases:
        r = s.request("GET", "/verify", headers=hdrs)
        t.check(r.status == 401 and r.header("www-authenticate") == 'Bearer error="invalid_token"'
                and r.error() == "invalid_token" and r.is_json_error(),
                "verify: %s is 401 with exactly Bearer error=\"invalid_token\"" % what,
                repr((r.status, r.header("www-authenticate"), r.body)))
    s.request("POST", "/logout", headers={"Authorization": "Bearer " + at})
    r = s.verify(at)
    t.check(r.status == 401 and r.header("www-authenticate") == 'Bearer error="invalid_token"'
            and "revoked" in r.json().get("error_description", ""),
            "verify: a revoked token is 401, same challenge, reason in the body", repr((r.headers, r.body)))


def cookie_logout(t, s):
    """POST /logout with the jot_refresh cookie revokes the family; like a
    cookie refresh it needs X-Requested-With, which a cross-site form
    cannot send (without it: 400, and nothing is revoked)."""
    lr = s.login("alice", PW, in_body=False)
    at, cookie = lr.json()["access_token"], lr.cookie("jot_refresh")
    r = s.request("POST", "/logout", headers={"Cookie": "jot_refresh=" + cookie})
    t.check(r.status == 400 and r.error() == "invalid_request" and r.set_cookie("jot_refresh") is None,
            "logout: the cookie without X-Requested-With is 400 and keeps the cookie", repr(r))
    t.eq(s.verify(at).status, 200, "logout: ... and revokes nothing")
    r = s.request("POST", "/logout", headers={"Cookie": "jot_refresh=" + cookie, "X-Requested-With": "t"})
    sc = (r.set_cookie("jot_refresh") or "").lower()
    t.check(r.status == 204 and "max-age=0" in sc, "logout: the cookie with X-Requested-With is 204 and clears it", repr((r, sc)))
    t.eq(s.verify(at).status, 401, "logout: ... the family's access token is refused")
    r = s.request("POST", "/token", headers={"Cookie": "jot_refresh=" + cookie, "X-Requested-With": "x"})
    t.eq((r.status, r.error()), (401, "invalid_grant"), "logout: ... and its refresh token too")


def histogram(t, s):
    """Every histogram's _count equals its +Inf bucket, and every sample line
    is well-formed Prometheus text."""
    for _ in range(20):
        s.request("GET", "/healthz")
    text = s.request("GET", "/metrics").body.decode()
    inf, count = {}, {}
    bad = []
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? '
                        r'[0-9.eE+-]+$')
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if not sample.match(line):
            bad.append(line)
        m = re.match(r'jotd_http_request_duration_seconds_bucket\{route="([^"]+)",le="\+Inf"\} (\d+)', line)
        if m:
            inf[m.group(1)] = int(m.group(2))
        m = re.match(r'jotd_http_request_duration_seconds_count\{route="([^"]+)"\} (\d+)', line)
        if m:
            count[m.group(1)] = int(m.group(2))
    t.check(not bad, "metrics: every sample line is well-formed", repr(bad[:3]))
    t.check(inf and inf == count and inf.get("/healthz", 0) >= 20,
            "metrics: _count equals the +Inf bucket for every route", repr((inf, count)))


def unknown_path_log(t, s):
    """A token pasted into an unknown path does not reach the log whole."""
    at, _ = s.user_tokens("bob")
    r = s.request("GET", "/" + at)
    t.eq((r.status, r.error()), (404, "not_found"), "log: a token as a path is 404")
    sig = at.split(".")[2]
    log = s.wait_log('"path":"/eyJ')
    t.check(sig not in log and at.split(".")[1][:40] not in log,
            "log: neither the token's signature nor its claims are logged")
    t.check('"path":"/eyJ' in log, "log: the start of the unknown path is logged")


def track_bound(t):
    """Successful logins do not fill the failed-login table: with room for 3
    names, 6 users log in one after the other."""
    s = Server("--login-track-max", "3").start()
    try:
        for i in range(6):
            s.signup("user%d" % i, PW)
        got = [s.login("user%d" % i, PW).status for i in range(6)]
        t.eq(got, [200] * 6, "throttle table: successful logins leave no entry behind")
        got = [s.login("user%d" % i, "wrong password").status for i in range(4)]
        t.eq(got, [401, 401, 401, 429], "throttle table: names with failures fill it, then it fails closed")
        t.eq(s.login("user0", PW).status, 200, "throttle table: a tracked name below its limit logs in")
        t.eq(s.login("user3", "wrong password").status, 401, "throttle table: ... which frees its entry")
        t.eq(s.stop(), 0, "throttle table: exit 0")
    finally:
        s.cleanup()


def parallel_logins(t):
    """Parallel logins of one user, all with the right password, are not
    slowed down: the slow-down counts failures, not attempts in flight."""
    import threading
    s = Server("--hash-workers", "2").start()
    try:
        s.signup("alice", PW)
        times = [None] * 6
        codes = [None] * 6
        barrier = threading.Barrier(6)

        def one(i):
            barrier.wait()
            t0 = time.perf_counter()
            codes[i] = s.login("alice", PW).status
            times[i] = time.perf_counter() - t0

        ths = [threading.Thread(target=one, args=(i,)) for i in range(6)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(60)
        t.eq(codes, [200] * 6, "parallel logins: six at once for one user are all 200")
        t.check(max(times) < 0.9, "parallel logins: none is held back by the slow-down (slowest %.3f s)" % max(times))
        t.eq(s.stop(), 0, "parallel logins: exit 0")
    finally:
        s.cleanup()


def login_timing(t):
    """An unknown username costs an argon2id verification, like a wrong
    password (default parameters: m=19 MiB, t=2)."""
    s = Server("--login-limit-user", "1000", "--login-slow-after", "1000", fast=False).start()
    try:
        s.signup("alice", PW)
        wrong, unknown = [], []
        for i in range(8):
            for name, xs in (("alice", wrong), ("nobody%d" % i, unknown)):
                t0 = time.perf_counter()
                r = s.login(name, "wrong password")
                xs.append(time.perf_counter() - t0)
                assert r.status == 401, r
        mw, mu = statistics.median(wrong), statistics.median(unknown)
        t.check(mu > 0.6 * mw and mw > 0.6 * mu,
                "login timing: unknown user %.1f ms vs wrong password %.1f ms (median)" % (mu * 1e3, mw * 1e3))
        t.eq(s.stop(), 0, "login timing: exit 0")
    finally:
        s.cleanup()


def precedence(t):
    """Option > environment JOTD_NAME > config file > default, for the
    contract's settings that a token shows: issuer, audience, access-ttl,
    refresh-ttl, store and master-key-file."""
    import os
    import subprocess
    import tempfile
    from jotdtest import JOTD, free_port
    d = tempfile.mkdtemp(prefix="jotd-prec-")
    port = free_port()
    conf = os.path.join(d, "jotd.conf")
    with open(conf, "w") as f:
        f.write("# every setting from the file\n"
                "listen = 127.0.0.1:%d\n"
                "issuer = https://file.example\n"
                "audience = file-aud\n"
                "access-ttl = 2m\n"
                "refresh-ttl = 2h\n"
                "store = %s/file.db\n"
                "master-key-file = %s/file.key\n"
                "argon2-memory = 1024\n" % (port, d, d))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOTD_")}
    env.update({"JOTD_AUDIENCE": "env-aud", "JOTD_ISSUER": "https://env.example", "JOTD_ACCESS_TTL": "3m",
                "JOTD_STORE": os.path.join(d, "env.db"), "JOTD_MASTER_KEY_FILE": os.path.join(d, "env.key")})
    log = open(os.path.join(d, "log"), "wb")
    p = subprocess.Popen([JOTD, "serve", "--config", conf, "--issuer", "https://option.example",
                          "--access-ttl=4m"], env=env, stdout=log, stderr=log, cwd=d)
    try:
        s = Server(port=port, directory=d)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if s.request("GET", "/healthz", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        s.signup("prec", PW)
        j = s.login("prec", PW).json()
        from jotdtest import claims_of
        c = claims_of(j["access_token"])
        t.eq(c.get("iss"), "https://option.example", "precedence: the option beats the environment (issuer)")
        t.eq(c.get("aud"), "env-aud", "precedence: the environment beats the file (audience)")
        t.eq(c["exp"] - c["iat"], 240, "precedence: --access-ttl=4m beats JOTD_ACCESS_TTL=3m and the file's 2m")
        t.eq(j.get("refresh_expires_in"), 7200, "precedence: the file beats the default (refresh-ttl 2h)")
        t.check(os.path.exists(os.path.join(d, "env.db")) and not os.path.exists(os.path.join(d, "file.db")),
                "precedence: JOTD_STORE beats the file's store")
        t.check(os.path.exists(os.path.join(d, "env.key")) and not os.path.exists(os.path.join(d, "file.key")),
                "precedence: JOTD_MASTER_KEY_FILE beats the file's master-key-file")
    finally:
        p.terminate()
        rc = p.wait(30)
        log.close()
        t.eq(rc, 0, "precedence: exit 0 on SIGTERM")
        import shutil
        shutil.rmtree(d, ignore_errors=True)


def main(t):
    s = Server().start()
    try:
        challenge(t, s)
        cookie_logout(t, s)
        histogram(t, s)
        unknown_path_log(t, s)
        t.eq(s.stop(), 0, "exit 0 on SIGTERM")
    finally:
        s.cleanup()
    track_bound(t)
    parallel_logins(t)
    login_timing(t)
    precedence(t)


run("contract", main)

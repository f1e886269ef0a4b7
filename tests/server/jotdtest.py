"""Shared harness for the jotd tests: a real jotd on 127.0.0.1, a fresh
temporary store per server, plain HTTP requests, and a tally of checks.

Run by the tests/server/*.sh wrappers with /usr/bin/python3 (PyJWT lives
there); JOTD is the path of the jotd binary.

The store: an SQLite file in the server's folder, or, when
JOTD_TEST_PG_URL names a PostgreSQL cluster (postgresql://USER:PW@HOST:PORT/DB,
see tests/pg/cluster.sh), a fresh database on that cluster per server
folder, dropped by cleanup(). One suite, two backends: BACKEND says which.
Tests that look into the store itself use Server.sql and Server.store_bytes,
or skip what only one backend has with a printed reason.

As a command: `jotdtest.py pg-create` prints the URL of a fresh database on
the cluster, `jotdtest.py pg-drop URL` drops it (for the shell tests).
"""

import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

JOTD = os.environ.get("JOTD")
if JOTD:
    JOTD = os.path.abspath(JOTD)
if not JOTD or not os.access(JOTD, os.X_OK):
    print("JOTD must name the jotd binary", file=sys.stderr)
    sys.exit(2)

# Cheaper argon2id for tests that log in many times; tests of the defaults
# pass their own settings.
FAST_ARGON2 = ["--argon2-memory", "1024", "--argon2-iterations", "1"]

# JOT_VALGRIND=1: every jotd runs under valgrind memcheck; an error or a
# definite leak makes it exit 99, which fails the test (see stop, cleanup).
VALGRIND = os.environ.get("JOT_VALGRIND", "") not in ("", "0")
VALGRIND_CMD = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect"]

# Secrets seen by the harness (passwords sent, tokens sent or received), per
# server, and what cleanup() found of them in that server's log: Tally.finish
# fails the test on any.
LEAKS = []

PG_URL = os.environ.get("JOTD_TEST_PG_URL") or None
BACKEND = "postgresql" if PG_URL else "sqlite"
SKIP = 77  # the exit status CTest reports as skipped (SKIP_RETURN_CODE)


def skip(reason):
    """End the test as skipped, saying why."""
    print("SKIP: %s" % reason)
    sys.stdout.flush()
    sys.exit(SKIP)


# ---- PostgreSQL ---------------------------------------------------------------

def pg_binary(name):
    """A PostgreSQL client program (psql, pg_dump): the newest server's own,
    else the one on PATH."""
    found = []
    base = "/usr/lib/postgresql"
    if os.path.isdir(base):
        for v in os.listdir(base):
            c = os.path.join(base, v, "bin", name)
            if v.isdigit() and os.access(c, os.X_OK):
                found.append((int(v), c))
    if found:
        return max(found)[1]
    p = shutil.which(name)
    if not p:
        raise RuntimeError("%s not found (Debian package postgresql-client)" % name)
    return p


def pg_with_database(url, name):
    """The URL url, naming database name instead."""
    u = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


def psql(url, sql, timeout=60):
    """Run sql on url; its rows as lists of strings (unaligned, tab-separated)."""
    p = subprocess.run([pg_binary("psql"), "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                        "-d", url, "-c", sql], capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("psql %r failed: %s" % (sql, p.stderr.strip()))
    return [line.split("\t") for line in p.stdout.splitlines() if line]


def pg_create(name):
    """Create database name on the cluster (nothing when it exists); its URL."""
    if not psql(PG_URL, "SELECT 1 FROM pg_database WHERE datname = '%s'" % name):
        psql(PG_URL, "CREATE DATABASE %s" % name)
    return pg_with_database(PG_URL, name)


# The folder of the server each database was made for (its master key).
_pg_dirs = {}


def pg_drop(name):
    try:
        psql(PG_URL, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    except Exception as e:  # the test's verdict is made; say it and go on
        print("# could not drop database %s: %s" % (name, e))


FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def faketime_env(spec):
    """The environment that runs a process with libfaketime (Debian
    package faketime): spec "+10m" (a clock ahead by that much) or
    "@2026-01-02 03:04:05" (a clock stopped there). The monotonic clock is
    left alone (timeouts and thread waits stay real)."""
    if not os.path.exists(FAKETIME_LIB):
        raise RuntimeError("libfaketime is missing (Debian package faketime)")
    asan = os.environ.get("ASAN_OPTIONS", "")
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": spec, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_DONT_RESET": "1",
            # ASan wants to be the first library; libfaketime only wraps
            # the clock, which ASan does not intercept.
            "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (lower-case name, value)
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def error(self):
        """The error code of a JSON error body, or None."""
        try:
            j = self.json()
        except Exception:
            return None
        return j.get("error") if isinstance(j, dict) else None

    def is_json_error(self):
        ct = (self.header("content-type") or "").split(";")[0].strip()
        if ct != "application/json":
            return False
        try:
            j = self.json()
        except Exception:
            return False
        return (isinstance(j, dict) and isinstance(j.get("error"), str)
                and isinstance(j.get("error_description"), str))

    def cookie(self, name):
        """The value set for cookie name by Set-Cookie, or None."""
        for v in self.all("set-cookie"):
            first = v.split(";")[0]
            k, _, val = first.partition("=")
            if k.strip() == name:
                return val
        return None

    def set_cookie(self, name):
        for v in self.all("set-cookie"):
            if v.split("=")[0].strip() == name:
                return v
        return None

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:200])


class Server:
    """One jotd process with its own temporary directory and port."""

    def __init__(self, *args, directory=None, port=None, env=None, fast=True):
        self.dir = directory or tempfile.mkdtemp(prefix="jotd-test-")
        self.port = port or free_port()
        self.args = list(args)
        if fast:
            self.args = FAST_ARGON2 + self.args
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("JOTD_") and k != "JOTD_MASTER_KEY":
                del self.env[k]
        if PG_URL:
            # The master key beside the store, as with SQLite: in the folder
            # of the server whose database this is (the one given with
            # --store, else this server's own). A test's own setting wins.
            given = self.args[self.args.index("--store") + 1] if "--store" in self.args[:-1] else None
            keydir = _pg_dirs.get(given, self.dir)
            self.env["JOTD_MASTER_KEY_FILE"] = os.path.join(keydir, "jotd.master.key")
        if env:
            self.env.update(env)
        self.proc = None
        self.logpath = os.path.join(self.dir, "jotd.log")
        self.base = "http://127.0.0.1:%d" % self.port
        self.pg_db = None
        self.secrets = set()
        self.valgrind_failed = False

    @property
    def store(self):
        if not PG_URL:
            return os.path.join(self.dir, "jotd.db")
        # One database per server folder: a server started again on the
        # same folder finds its store.
        if not self.pg_db:
            self.pg_db = "jt_" + hashlib.sha256(os.path.abspath(self.dir).encode()).hexdigest()[:16]
            _pg_dirs[pg_create(self.pg_db)] = self.dir
        return pg_with_database(PG_URL, self.pg_db)

    def sql(self, query):
        """Rows of query on this server's store, as lists of strings."""
        if PG_URL:
            return psql(self.store, query)
        import sqlite3
        db = sqlite3.connect(self.store, timeout=10)
        try:
            rows = [["" if v is None else str(v) for v in row] for row in db.execute(query).fetchall()]
            db.commit()
            return rows
        finally:
            db.close()

    def store_bytes(self):
        """Everything the store holds, as bytes: the SQLite file and its
        WAL, or a pg_dump of the database (bytea in hex)."""
        if PG_URL:
            p = subprocess.run([pg_binary("pg_dump"), "-d", self.store], capture_output=True, timeout=60)
            if p.returncode != 0:
                raise RuntimeError("pg_dump failed: %s" % p.stderr.decode())
            return p.stdout
        data = b""
        for suffix in ("", "-wal"):
            try:
                with open(self.store + suffix, "rb") as f:
                    data += f.read()
            except OSError:
                pass
        return data

    def command(self, *extra):
        return (VALGRIND_CMD if VALGRIND else []) + [JOTD, "serve", "--listen", "127.0.0.1:%d" % self.port, "--store", self.store] + self.args + list(extra)

    def start(self, timeout=120 if VALGRIND else 30):
        self.logfile = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self.logfile, stderr=self.logfile, env=self.env,
                                     cwd=self.dir)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("jotd exited with %d:\n%s" % (self.proc.returncode, self.log()))
            try:
                r = self.request("GET", "/healthz", timeout=2)
                if r.status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("jotd did not come up:\n" + self.log())

    def stop(self, sig=signal.SIGTERM, timeout=120 if VALGRIND else 30):
        """Signal jotd and wait; returns its exit status."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.logfile.close()
        self.proc = None
        if VALGRIND and rc == 99:
            self.valgrind_failed = True
        if rc != 0 and sig == signal.SIGTERM:
            # An unclean stop is a failure the caller reports; the log's end
            # says why (an sanitizer report, a library's abort message).
            sys.stderr.write("jotd exited %d; end of its log:\n%s\n" % (rc, self.log()[-4000:]))
        return rc

    def record_secret(self, value):
        """Remember a secret that must never reach the log: a password, or
        a token (whole, and its payload and signature segments)."""
        if not isinstance(value, str) or len(value) < 8:
            return
        self.secrets.add(value)
        parts = value.split(".")
        if len(parts) == 3 and all(parts):
            self.secrets.update(p for p in parts[1:] if len(p) >= 16)

    def check_log_secrets(self):
        log = self.log()
        found = sorted(s for s in self.secrets if s in log)
        if found:
            LEAKS.append("%s: %d secrets in the log of %s, e.g. %r" %
                         (os.path.basename(sys.argv[0]), len(found), self.dir, found[0][:24] + "..."))
        if self.valgrind_failed:
            LEAKS.append("valgrind reported errors or leaks for jotd in %s:\n%s" % (self.dir, self.log()[-6000:]))
            self.valgrind_failed = False

    def cleanup(self):
        if self.proc:
            self.stop()
        self.check_log_secrets()
        if self.pg_db:
            pg_drop(self.pg_db)
            self.pg_db = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def wait_log(self, needle, timeout=5):
        """The log once it contains needle (request lines are written by a
        writer thread, a few milliseconds after the response), or as it is
        after timeout."""
        deadline = time.time() + timeout
        while True:
            log = self.log()
            if needle in log or time.time() > deadline:
                return log
            time.sleep(0.02)

    def log(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def request(self, method, path, body=None, headers=None, json_body=None, form=None, timeout=30, source=None):
        """One request on a new connection; source: the loopback address to
        send from (127.0.0.2, ...: another client), else the default."""
        h = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            h.setdefault("Content-Type", "application/json")
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if isinstance(body, str):
            body = body.encode()
        self.note_request(h, json_body, form)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            resp = Response(r.status, [(k.lower(), v) for k, v in r.getheaders()], data)
            self.note_response(resp)
            return resp
        finally:
            conn.close()

    def note_request(self, headers, json_body, form):
        fields = json_body if isinstance(json_body, dict) else (form if isinstance(form, dict) else {})
        for k in ("password", "refresh_token", "token", "client_secret"):
            self.record_secret(fields.get(k))
        for k, v in headers.items():
            if k.lower() == "authorization" and isinstance(v, str) and " " in v:
                self.record_secret(v.split(" ", 1)[1])

    def note_response(self, resp):
        try:
            j = json.loads(resp.body) if resp.body[:1] == b"{" else None
        except ValueError:
            j = None
        if isinstance(j, dict):
            for k in ("access_token", "refresh_token", "token"):
                self.record_secret(j.get(k))
        for v in resp.all("set-cookie"):
            self.record_secret(v.split(";")[0].partition("=")[2])

    # Conveniences for the common steps.
    def signup(self, username, password):
        return self.request("POST", "/signup", json_body={"username": username, "password": password})

    def login(self, username, password, in_body=True):
        b = {"username": username, "password": password}
        if in_body:
            b["refresh_in_body"] = True
        return self.request("POST", "/login", json_body=b)

    def refresh(self, token):
        return self.request("POST", "/token", form={"grant_type": "refresh_token", "refresh_token": token})

    def verify(self, access):
        return self.request("GET", "/verify", headers={"Authorization": "Bearer " + access})

    def user_tokens(self, username="alice", password="correct horse battery"):
        r = self.signup(username, password)
        if r.status != 201:
            raise RuntimeError("signup failed: %r" % r)
        r = self.login(username, password)
        if r.status != 200:
            raise RuntimeError("login failed: %r" % r)
        j = r.json()
        return j["access_token"], j["refresh_token"]

    def jotd(self, *args, stdin=None, env=None):
        """Run another jotd command on this server's store."""
        e = dict(self.env)
        if env:
            e.update(env)
        p = subprocess.run([JOTD] + list(args) + ["--store", self.store] + FAST_ARGON2, input=stdin,
                           capture_output=True, env=e, cwd=self.dir, timeout=60)
        return p


def b64url_json(part):
    part += "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(part))


def header_of(token):
    return b64url_json(token.split(".")[0])


def claims_of(token):
    """The payload of a JWT, NOT verified (for checking what jotd wrote)."""
    return b64url_json(token.split(".")[1])


class Tally:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print("ok - %s" % what)
        else:
            self.failed += 1
            print("FAIL - %s %s" % (what, detail))
        sys.stdout.flush()
        return cond

    def eq(self, got, want, what):
        return self.check(got == want, what, "(got %r, want %r)" % (got, want))

    def finish(self):
        for leak in LEAKS:
            self.check(False, "harness: " + leak)
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed or self.passed == 0 else 0)


def run(name, body):
    """Run body(t) and report; an exception counts as a failure."""
    t = Tally(name)
    try:
        body(t)
    except Exception:
        traceback.print_exc()
        t.check(False, "%s: unexpected exception" % name)
    t.finish()


if __name__ == "__main__":
    # For the shell tests: a fresh database on the cluster, and its end.
    if len(sys.argv) == 2 and sys.argv[1] == "pg-create" and PG_URL:
        print(pg_create("jt_" + os.urandom(8).hex()))
    elif len(sys.argv) == 3 and sys.argv[1] == "pg-drop" and PG_URL:
        pg_drop(urllib.parse.urlsplit(sys.argv[2]).path.lstrip("/"))
    else:
        print("usage: JOTD_TEST_PG_URL=URL jotdtest.py pg-create | pg-drop URL", file=sys.stderr)
        sys.exit(2)

"""Shared harness for the jotd tests: a real jotd on 127.0.0.1, a fresh
temporary store per server, plain HTTP requests, and a tally of checks.

Run by the tests/server/*.sh wrappers with /usr/bin/python3 (PyJWT lives
there); JOTD is the path of the jotd binary.
"""

import base64
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
        if env:
            self.env.update(env)
        self.proc = None
        self.logpath = os.path.join(self.dir, "jotd.log")
        self.base = "http://127.0.0.1:%d" % self.port

    @property
    def store(self):
        return os.path.join(self.dir, "jotd.db")

    def command(self, *extra):
        return [JOTD, "serve", "--listen", "127.0.0.1:%d" % self.port, "--store", self.store] + self.args + list(extra)

    def start(self, timeout=30):
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

    def stop(self, sig=signal.SIGTERM, timeout=30):
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
        if rc != 0 and sig == signal.SIGTERM:
            # An unclean stop is a failure the caller reports; the log's end
            # says why (an sanitizer report, a library's abort message).
            sys.stderr.write("jotd exited %d; end of its log:\n%s\n" % (rc, self.log()[-4000:]))
        return rc

    def cleanup(self):
        if self.proc:
            self.stop()
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

    def request(self, method, path, body=None, headers=None, json_body=None, form=None, timeout=30):
        h = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            h.setdefault("Content-Type", "application/json")
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if isinstance(body, str):
            body = body.encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, [(k.lower(), v) for k, v in r.getheaders()], data)
        finally:
            conn.close()

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

"""The store's disk full, then read-only: jotd answers 503 with the
contract's JSON error (never a 500, never a hang), what it reads still
works, nothing is corrupted (PRAGMA integrity_check), and it recovers by
itself once space (or write access) is back: new logins, refreshes of the
tokens issued before the fault.

How: the store lives on a small tmpfs of its own (we run as root in the
test environment; mount(8) is needed, else the test is skipped with the
reason). Disk full is a filler file that takes every free byte; read-only is
`mount -o remount,ro` while jotd is stopped. SQLite only (the PostgreSQL store's disk is the
cluster's)."""

import os
import shutil
import subprocess
import tempfile
import time

from jotdtest import BACKEND, Server, run, skip

PW = "correct horse battery"
SIZE = "16m"


def sh(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=30)


def mount_tmpfs():
    if BACKEND != "sqlite":
        skip("the disk of a PostgreSQL store is the cluster's")
    if os.geteuid() != 0:
        skip("mounting a small tmpfs needs root")
    mnt = tempfile.mkdtemp(prefix="jotd-fault-disk-")
    p = sh("mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % SIZE, "tmpfs", mnt)
    if p.returncode != 0:
        os.rmdir(mnt)
        skip("cannot mount a tmpfs: %s" % p.stderr.strip())
    return mnt


def fill(path):
    """Write into path until the file system is full; the bytes written."""
    n = 0
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                n += f.write(chunk)
            except OSError:
                break
        # The last partial blocks.
        while True:
            try:
                if not f.write(b"\0" * 512):
                    break
                n += 512
            except OSError:
                break
    return n


def integrity(s):
    rows = s.sql("PRAGMA integrity_check")
    return rows[0][0] if rows else "no answer"


def writes_until_503(t, s, what, refresh_token):
    """Logins (each writes a session row) until one is refused: every answer
    on the way is 200 or a 503 JSON error. Returns (the 503 seen or None,
    refresh tokens answered 200 meanwhile)."""
    issued = []
    for i in range(300):
        r = s.login("alice", PW)
        if r.status == 200:
            issued.append(r.json()["refresh_token"])
            continue
        t.check(r.status == 503 and r.is_json_error(), "%s: a refused login is a 503 JSON error" % what,
                "(got %r after %d logins)" % (r, i))
        print("# %s: the store refused a write after %d logins" % (what, i))
        return r, issued
    t.check(False, "%s: 300 logins all succeeded: the store never failed" % what)
    return None, issued


def during_fault(t, s, what, access, refresh_token):
    """What jotd answers while the store cannot be written."""
    r = s.refresh(refresh_token)
    t.check(r.status == 503 and r.is_json_error(), "%s: a refresh is a 503 JSON error" % what, repr(r))
    r = s.signup("bob%d" % int(time.time() * 1000), PW)
    t.check(r.status == 503 and r.is_json_error(), "%s: a signup is a 503 JSON error" % what, repr(r))
    # Reads need no space: the JWKS and /verify of an access token issued
    # before go on working.
    r = s.request("GET", "/.well-known/jwks.json")
    t.eq(r.status, 200, "%s: the JWKS is still served" % what)
    r = s.verify(access)
    t.eq(r.status, 200, "%s: /verify of an earlier access token still answers 200" % what)
    # Nothing was spent by the failed refresh: it did not happen at all.
    return r


def recovers(t, s, what, refresh_token):
    deadline = time.time() + 15
    r = None
    while time.time() < deadline:
        r = s.login("alice", PW)
        if r.status == 200:
            break
        time.sleep(0.2)
    t.eq(getattr(r, "status", None), 200, "%s: logins work again once the disk is back" % what)
    r2 = s.refresh(refresh_token)
    t.eq(r2.status, 200, "%s: the refresh token refused during the fault refreshes now" % what)
    return r2.json()["refresh_token"] if r2.status == 200 else refresh_token


def main(t):
    mnt = mount_tmpfs()
    s = Server(directory=mnt)
    # The log stays writable, off the tmpfs.
    logdir = tempfile.mkdtemp(prefix="jotd-fault-disk-log-")
    s.logpath = os.path.join(logdir, "jotd.log")
    try:
        s.start()
        access, rt = s.user_tokens("alice", PW)
        filler = os.path.join(mnt, "filler")

        # ---- disk full ----
        n = fill(filler)
        print("# tmpfs of %s filled with %d bytes" % (SIZE, n))
        refused, issued = writes_until_503(t, s, "disk full", rt)
        if refused is not None:
            during_fault(t, s, "disk full", access, rt)
        os.unlink(filler)
        rt = recovers(t, s, "disk full", rt)
        for i, tok in enumerate(issued[-3:]):
            r = s.refresh(tok)
            t.eq(r.status, 200, "disk full: a token issued just before the disk filled is not lost (%d)" % i)
        t.eq(integrity(s), "ok", "disk full: PRAGMA integrity_check while jotd runs")

        # ---- read-only ----
        # A mount cannot be made read-only under a process that has files
        # open for writing on it (EBUSY), and chattr +i does not stop
        # writes through descriptors already open: a store that turns
        # read-only while jotd runs cannot be made here without
        # LD_PRELOAD. What can: jotd started on a read-only store.
        t.eq(s.stop(), 0, "jotd stops cleanly after the disk-full phase")
        p = sh("mount", "-o", "remount,ro", mnt)
        t.check(p.returncode == 0, "remount read-only (jotd stopped)", p.stderr)
        try:
            try:
                s.start(timeout=15)
                started = True
            except RuntimeError:
                started = False
            if started:
                print("# jotd serves a read-only store")
                refused, _ = writes_until_503(t, s, "read-only", rt)
                if refused is not None:
                    during_fault(t, s, "read-only", access, rt)
                s.stop()
            else:
                log = s.log().strip().splitlines()
                last = log[-1] if log else ""
                print("# jotd refuses a read-only store: %s" % last)
                t.check("read" in last.lower() or "store" in last.lower(),
                        "read-only: jotd refuses to start and says why", last)
        finally:
            if s.proc:
                s.stop()
            p = sh("mount", "-o", "remount,rw", mnt)
            t.check(p.returncode == 0, "remount read-write", p.stderr)
        s.start()
        rt = recovers(t, s, "read-only", rt)

        # ---- a clean stop, and the store as it is left ----
        rc = s.stop()
        t.eq(rc, 0, "jotd stops cleanly after both faults")
        t.eq(integrity(s), "ok", "PRAGMA integrity_check after the faults")
        rows = s.sql("SELECT count(*) FROM users")
        t.check(rows and int(rows[0][0]) >= 1, "the users are still there", repr(rows))
        log = s.log()
        t.check('"level":"error"' in log or '"level":"warn"' in log,
                "the store's failures were logged", "(no warn/error line in the log)")
        s.start()
        r = s.refresh(rt)
        t.eq(r.status, 200, "after a restart the last refresh token still refreshes")
    finally:
        s.cleanup()
        sh("umount", "-l", mnt)
        shutil.rmtree(logdir, ignore_errors=True)
        try:
            os.rmdir(mnt)
        except OSError:
            pass


if __name__ == "__main__":
    run("fault_disk", main)

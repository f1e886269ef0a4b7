"""No secret in jotd's log, and its files private.

A broad workload -- every endpoint, with good and bad input: signups, logins
with right and wrong passwords, refreshes through the body and the cookie,
a reuse that revokes a family, revoke, logout, /verify of good and forged
tokens, API tokens, sessions, introspection, tokens pasted into URLs and
headers where they do not belong -- then every byte jotd wrote to its log is
searched for every secret that went by:

 - each token issued or presented (access, refresh, API): whole, its
   header.payload part, its payload segment, its signature segment, and any
   16-character piece of its payload or signature segment;
 - every password (right and wrong) and the introspection secret;
 - the master key (raw, hex, base64, base64url);
 - private key material: a JWK "d" member, a PEM private key.

Then the store (and its WAL and SHM) and the master key file must be mode
0600 (nothing for group or others)."""

import base64
import os
import re
import subprocess
import stat

from jotdtest import JOTD, BACKEND, Server, run

PW = "correct horse battery staple"
WRONG = ["wrong-password-%d-zz" % i for i in range(3)]
INTROSPECT_SECRET = "rs-secret-8f3a9c2e71d04b56"
PIECE = 16


class Secrets:
    def __init__(self):
        self.whole = set()    # searched as they are
        self.pieces = set()   # PIECE-long pieces of random segments

    def token(self, tok):
        if not isinstance(tok, str) or tok.count(".") != 2:
            return
        h, p, sg = tok.split(".")
        self.whole.update({tok, h + "." + p, p, sg} - {""})
        for seg in (p, sg):
            for i in range(0, max(0, len(seg) - PIECE + 1)):
                self.pieces.add(seg[i:i + PIECE])

    def text(self, s):
        if s:
            self.whole.add(s)

    def from_response(self, r):
        try:
            j = r.json()
        except Exception:
            j = None
        if isinstance(j, dict):
            for k in ("access_token", "refresh_token", "token"):
                self.token(j.get(k))
        for v in r.all("set-cookie"):
            val = v.split(";")[0].partition("=")[2]
            self.token(val)
            self.text(val)
        return r


def workload(s, sec):
    R = sec.from_response
    basic = "Basic " + base64.b64encode(("resource-server:" + INTROSPECT_SECRET).encode()).decode()
    sec.text(basic.split(" ", 1)[1])

    R(s.signup("alice", PW))
    R(s.signup("alice", PW))                       # taken
    R(s.signup("b", "short"))                      # bad
    for w in WRONG:
        R(s.login("alice", w))                     # wrong passwords
    R(s.login("nobody", WRONG[0]))                 # unknown user
    r = R(s.login("alice", PW))
    access, rt = r.json()["access_token"], r.json()["refresh_token"]
    r = R(s.login("alice", PW, in_body=False))     # the cookie flavour
    cookie = r.cookie("jot_refresh")

    # Refresh through the body and the cookie; a reuse that revokes.
    r2 = R(s.refresh(rt))
    rt2 = r2.json()["refresh_token"]
    R(s.refresh(rt))                               # reuse: family revoked
    R(s.refresh(rt2))                              # refused now
    R(s.request("POST", "/token", form={"grant_type": "refresh_token"},
                headers={"Cookie": "jot_refresh=" + cookie, "X-Requested-With": "x"}))
    R(s.request("POST", "/token", form={"grant_type": "refresh_token"},
                headers={"Cookie": "jot_refresh=" + cookie}))        # no X-Requested-With
    R(s.request("POST", "/token", form={"grant_type": "password", "username": "alice", "password": PW}))
    R(s.request("POST", "/token", body="grant_type=refresh_token&refresh_token=" + rt + "%zz",
                headers={"Content-Type": "application/x-www-form-urlencoded"}))

    # A fresh login for the endpoints behind a token.
    r = R(s.login("alice", PW))
    access, rt = r.json()["access_token"], r.json()["refresh_token"]
    auth = {"Authorization": "Bearer " + access}
    R(s.verify(access))
    R(s.verify(rt))                                # a refresh token is no access token
    R(s.verify(access[:-4] + "AAAA"))              # forged signature
    R(s.verify(access + "x"))
    R(s.request("GET", "/verify", headers={"Authorization": "Basic " + access}))
    R(s.request("GET", "/.well-known/jwks.json"))
    R(s.request("GET", "/healthz"))
    R(s.request("GET", "/metrics"))
    r = R(s.request("POST", "/api-tokens", json_body={"name": "ci", "expires_in": 3600}, headers=auth))
    api_id = None
    try:
        api_id = r.json().get("id")
    except Exception:
        pass
    R(s.request("GET", "/api-tokens", headers=auth))
    R(s.request("GET", "/sessions", headers=auth))
    R(s.request("POST", "/introspect", form={"token": access}, headers={"Authorization": basic}))
    R(s.request("POST", "/introspect", form={"token": rt}, headers={"Authorization": basic}))
    R(s.request("POST", "/introspect", form={"token": access},
                headers={"Authorization": "Basic " + base64.b64encode(b"resource-server:" + PW.encode()).decode()}))
    if api_id:
        R(s.request("DELETE", "/api-tokens/" + api_id, headers=auth))
    # Tokens and passwords where they do not belong: in the path, the query
    # string, unknown headers, a JSON body of the wrong shape.
    R(s.request("GET", "/" + access))
    R(s.request("GET", "/verify/" + access))
    R(s.request("GET", "/healthz?token=" + access + "&password=" + PW.replace(" ", "+")))
    R(s.request("GET", "/sessions/" + rt, headers=auth))
    R(s.request("DELETE", "/sessions/" + rt, headers=auth))
    R(s.request("POST", "/login", body='{"username":"alice","password":"' + PW + '"',
                headers={"Content-Type": "application/json"}))          # truncated JSON
    R(s.request("POST", "/login", body="username=alice&password=" + PW,
                headers={"Content-Type": "application/x-www-form-urlencoded"}))  # wrong type
    R(s.request("POST", "/login", json_body={"username": ["alice"], "password": PW}))
    R(s.request("POST", "/login", json_body={"username": "alice", "password": PW, "password2": PW}))
    R(s.request("POST", "/revoke", form={"token": access, "token_type_hint": "access_token"}))
    R(s.request("POST", "/revoke", form={"token": rt, "token_type_hint": "refresh_token"}))
    r = R(s.login("alice", PW))
    R(s.request("POST", "/logout", headers={"Authorization": "Bearer " + r.json()["access_token"]}))
    r = R(s.login("alice", PW))
    R(s.request("POST", "/logout", form={"refresh_token": r.json()["refresh_token"]}))
    R(s.request("POST", "/token/logout", headers={"Cookie": "jot_refresh=" + cookie, "X-Requested-With": "1"}))


def master_key_forms(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return []
    raw = raw.strip()
    key = bytes.fromhex(raw.decode()) if len(raw) == 64 and re.fullmatch(rb"[0-9a-fA-F]+", raw) else raw
    forms = [key.hex(), key.hex().upper(), base64.b64encode(key).decode().rstrip("="),
             base64.urlsafe_b64encode(key).decode().rstrip("=")]
    return forms, key


def check_modes(t, s, when):
    """The store, its WAL and SHM (when there), the master key: mode 0600."""
    mk = os.path.join(s.dir, "jotd.master.key")
    files = [mk]
    if BACKEND == "sqlite":
        files.append(s.store)
        files += [s.store + sfx for sfx in ("-wal", "-shm") if os.path.exists(s.store + sfx)]
    for f in files:
        if not os.path.exists(f):
            t.check(False, "%s exists %s" % (os.path.basename(f), when))
            continue
        mode = stat.S_IMODE(os.stat(f).st_mode)
        t.check(mode & 0o077 == 0, "%s is private %s (mode %o)" % (os.path.basename(f), when, mode))


def main(t):
    s = Server("--introspect-secret", INTROSPECT_SECRET)
    try:
        s.start()
        sec = Secrets()
        for p in [PW] + WRONG:
            sec.text(p)
            sec.text(p.replace(" ", "+"))
        sec.text(INTROSPECT_SECRET)
        workload(s, sec)
        check_modes(t, s, "while jotd runs")
        t.eq(s.stop(), 0, "jotd stops cleanly after the workload")
        check_modes(t, s, "after it stopped")

        log = s.log()
        logb = open(s.logpath, "rb").read()
        lines = log.count("\n")
        print("# the log: %d lines, %d bytes; %d secrets and %d pieces searched" %
              (lines, len(logb), len(sec.whole), len(sec.pieces)))
        t.check(lines > 40, "the workload was logged (one line per request at least)", "(%d lines)" % lines)

        hits = sorted(x for x in sec.whole if x in log)
        t.check(not hits, "no token, token part, password or secret in the log",
                repr([h[:24] + "..." for h in hits][:5]))
        pieces = sorted(p for p in sec.pieces if p in log)
        t.check(not pieces, "no %d-character piece of any token's payload or signature in the log" % PIECE,
                repr(pieces[:5]))
        t.check(not re.search(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ", log), "nothing shaped like a JWT in the log")
        t.check(not re.search(r'"d"\s*:\s*"', log) and "PRIVATE KEY" not in log,
                "no private key material (JWK d, PEM) in the log")

        mk = os.path.join(s.dir, "jotd.master.key")
        forms = master_key_forms(mk)
        if forms:
            text_forms, raw = forms
            t.check(not any(f in log for f in text_forms) and raw not in logb, "the master key is not in the log")
        else:
            t.check(False, "the master key file exists", mk)

    finally:
        s.cleanup()
    store_passwords(t)


def store_passwords(t):
    """A database password in a postgresql:// store never reaches a
    message: not when libpq cannot parse the URI (its own message quotes
    it), not in what jotd migrate prints."""
    s = Server()
    try:
        for uri in ["postgresql://u:s3cretPW1@[::1/db", "postgresql://u:s3cret%zzPW1@127.0.0.1/db",
                    "postgresql://u@127.0.0.1:1/db?password=s3cretPW1&connect_timeout=1",
                    "postgresql://u:s3cretPW1@127.0.0.1:1/db?connect_timeout=1"]:
            for cmd in (["serve"], ["migrate"]):
                p = subprocess.run([JOTD] + cmd + ["--store", uri], capture_output=True, timeout=60, cwd=s.dir,
                                   env=s.env)
                out = (p.stdout + p.stderr).decode(errors="replace")
                t.check(p.returncode != 0 and "s3cret" not in out,
                        "%s with %s...: refused without showing the password" % (cmd[0], uri[:22]), out[:200])
    finally:
        s.cleanup()


if __name__ == "__main__":
    run("secrets_log", main)

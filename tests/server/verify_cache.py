"""/verify's cache of verified access tokens (setting verify-cache): the
second answer for a token comes from the cache; it must be the same answer,
and the cache must never let through what the verifier would refuse."""

import base64
import json
import time

from jotdtest import Server, claims_of, run

PW = "correct horse battery"


def metric(s, name):
    for line in s.request("GET", "/metrics").body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return -1


def headers_of(r):
    return sorted((k, v) for k, v in r.headers if k.startswith("x-jot-") or k in ("cache-control", "content-length"))


def same_answers(t, s, label):
    at, _ = s.user_tokens("alice")
    first = s.verify(at)
    again = [s.verify(at) for _ in range(5)]
    t.check(first.status == 200 and all(r.status == 200 for r in again), "%s: 200 every time" % label)
    t.check(all(headers_of(r) == headers_of(first) for r in again) and
            dict(headers_of(first)).get("x-jot-sub") == claims_of(at)["sub"],
            "%s: the same X-Jot-* headers every time" % label, repr((headers_of(first), headers_of(again[-1]))))
    r = s.request("HEAD", "/verify", headers={"Authorization": "Bearer " + at})
    t.check(r.status == 200 and r.body == b"" and r.header("x-jot-name") == "alice", "%s: HEAD too" % label)
    t.check(metric(s, 'jotd_verify_total{result="valid"}') >= 7, "%s: every answer counted as valid" % label)
    hits = metric(s, "jotd_verify_cache_hits_total")
    if label == "cache on":
        t.check(hits >= 6, "cache on: the answers after the first came from the cache", repr(hits))
    else:
        t.eq(hits, 0, "cache off: no cache hit")
    return at


def forged(at):
    """The same signature over other claims."""
    h, p, sig = at.split(".")
    c = claims_of(at)
    c["role"] = "admin"
    p2 = base64.urlsafe_b64encode(json.dumps(c, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return h + "." + p2 + "." + sig


def cache_on(t):
    s = Server("--access-ttl", "3s").start()
    try:
        at = same_answers(t, s, "cache on")
        r = s.verify(forged(at))
        t.eq((r.status, r.error()), (401, "invalid_token"), "cache on: a cached signature over other claims is refused")
        r = s.verify(at[:-2] + ("AA" if at[-2:] != "AA" else "BA"))
        t.eq(r.status, 401, "cache on: a cached token with its signature altered is refused")
        t.eq(s.verify(at + "x").status, 401, "cache on: a cached token with a byte added is refused")
        t.eq(s.verify(at).status, 200, "cache on: the token itself still passes")
        # Revocation reaches a cached token at once.
        at2 = s.login("alice", PW).json()["access_token"]
        t.eq(s.verify(at2).status, 200, "cache on: a second login's token is cached")
        t.eq(s.request("POST", "/logout", headers={"Authorization": "Bearer " + at2}).status, 204, "cache on: logout")
        r = s.verify(at2)
        t.check(r.status == 401 and "revoked" in r.json().get("error_description", ""),
                "cache on: the cached token of a revoked family is refused", repr(r))
        t.eq(s.verify(at).status, 200, "cache on: the other family's token is unaffected")
        # Expiry reaches a cached token: exp is 3 s after iat.
        exp = claims_of(at)["exp"]
        while time.time() < exp + 0.2:
            time.sleep(0.1)
        r = s.verify(at)
        t.check(r.status == 401 and r.json().get("error_description") == "expired",
                "cache on: a cached token is refused once expired, as the verifier says", repr(r))
        t.eq(s.stop(), 0, "cache on: exit 0")
    finally:
        s.cleanup()


def cache_tiny(t):
    # One set of four ways: many tokens evict each other, answers stay right.
    s = Server("--verify-cache", "1").start()
    try:
        s.signup("alice", PW)
        tokens = [s.login("alice", PW).json()["access_token"] for _ in range(12)]
        ok = all(s.verify(tok).status == 200 for _ in range(3) for tok in tokens)
        t.check(ok, "tiny cache: twelve tokens in a four-entry cache all verify, three rounds")
        t.eq(s.verify(forged(tokens[0])).status, 401, "tiny cache: forged claims still refused")
        t.eq(s.stop(), 0, "tiny cache: exit 0")
    finally:
        s.cleanup()


def cache_off(t):
    s = Server("--verify-cache", "0").start()
    try:
        at = same_answers(t, s, "cache off")
        t.eq(s.verify(forged(at)).status, 401, "cache off: forged claims refused")
        t.eq(s.stop(), 0, "cache off: exit 0")
    finally:
        s.cleanup()


def main(t):
    cache_on(t)
    cache_tiny(t)
    cache_off(t)


run("verify_cache", main)

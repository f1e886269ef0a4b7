"""Key lifetimes (security review, items 1 and 14).

An API token lives up to a year, far longer than the access tokens whose
expiry used to decide when a retired signing key left the JWKS: a key now
stays published, and in the verifiers, until the last unrevoked API token it
signed has expired. Seen before the fix: rotate, wait past access-ttl + the
one-minute slack, and the API token was 401 no-key at /verify, inactive at
/introspect, and unverifiable with the JWKS, while GET /api-tokens still
listed it. The test runs jotd again under libfaketime ten minutes ahead
instead of waiting.

`jotd keys rotate --now` twice in one second used to leave the order of two
keys with the same activation to their kids (random): the key it promised
would sign often never did. Keys now keep their insertion order."""

import base64
import json
import os
import re
import time

import jwt

from jotdtest import BACKEND, Server, faketime_env, header_of, run

PW = "correct horse battery"
SECRET = "introspection-secret-0123456789"


def basic():
    return {"Authorization": "Basic " + base64.b64encode(("resource-server:" + SECRET).encode()).decode()}


def pyjwt_ok(s, token):
    """PyJWT, with the key the JWKS (fetched from jotd) holds for the
    token's kid; the claims, or the exception's name."""
    try:
        jwks = s.request("GET", "/.well-known/jwks.json").json()
        kid = header_of(token)["kid"]
        keys = [k for k in jwks["keys"] if k.get("kid") == kid]
        if not keys:
            return "no key %s in the JWKS" % kid
        return jwt.decode(token, jwt.PyJWK(keys[0]).key, algorithms=["ES256"], audience="jot", issuer=s.iss)
    except Exception as e:
        return type(e).__name__


def checks(t, s, tok, what, want, local=True):
    """tok at /verify, /introspect and (local) with the JWKS in PyJWT: all
    valid (want True) or all refused."""
    r = s.verify(tok)
    t.eq(r.status, 200 if want else 401, "%s: /verify" % what)
    r = s.request("POST", "/introspect", form={"token": tok}, headers=basic())
    t.eq(r.status == 200 and r.json().get("active"), want, "%s: /introspect active" % what)
    if not local:
        return
    c = pyjwt_ok(s, tok)
    t.eq(isinstance(c, dict), want, "%s: PyJWT with jotd's JWKS (%s)" % (what, c if not isinstance(c, dict) else "ok"))


def leaked_key(s, kid):
    """The private JWK of signing key kid, as a thief holding the store and
    the master key file has it (nonce | ciphertext | tag, AES-256-GCM, the
    kid in the additional data)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    path = s.env.get("JOTD_MASTER_KEY_FILE") or os.path.join(s.dir, "jotd.master.key")
    raw = open(path, "rb").read()
    key = bytes.fromhex(raw.decode().strip()) if len(raw) != 32 else raw
    hexcol = "encode(sealed, 'hex')" if BACKEND == "postgresql" else "hex(sealed)"
    sealed = bytes.fromhex(s.sql("SELECT %s FROM signing_keys WHERE kid = '%s'" % (hexcol, kid))[0][0])
    jwk = AESGCM(key).decrypt(sealed[:12], sealed[12:], ("jotd signing key " + kid).encode())
    return json.loads(jwk)


def forged_access(jwk, kid, iss, now):
    """An access token signed with that key, valid for an hour from now."""
    claims = {"iss": iss, "sub": "00000000-0000-0000-0000-000000000000", "aud": "jot", "exp": now + 3600,
              "iat": now, "jti": "forged-" + str(now), "client_id": "jot", "sid": "forged-sid", "role": "admin",
              "name": "mallory"}
    return jwt.encode(claims, jwt.PyJWK(jwk).key, algorithm=jwk.get("alg", "ES256"),
                      headers={"typ": "at+jwt", "kid": kid})


def kid_of_rotation(p):
    m = re.search(rb"added key (\S+) ", p.stdout)
    return m.group(1).decode() if m else None


def api_tokens_survive_rotation(t):
    args = ("--access-ttl", "2s", "--introspect-secret", SECRET, "--key-publish-delay", "1s")
    s = Server(*args).start()
    s.iss = s.base
    try:
        at, _ = s.user_tokens()
        r = s.request("POST", "/api-tokens", json_body={"name": "ci", "expires_in": "30d"},
                      headers={"Authorization": "Bearer " + at})
        t.eq(r.status, 201, "an API token for 30 days")
        tok = r.json()["token"]
        gone = s.request("POST", "/api-tokens", json_body={"name": "short-lived", "expires_in": "1h"},
                         headers={"Authorization": "Bearer " + at}).json()
        k0 = header_of(tok)["kid"]
        for i in range(2):
            p = s.jotd("keys", "rotate", "--now")
            t.eq(p.returncode, 0, "keys rotate --now (%d)" % (i + 1))
        checks(t, s, tok, "right after two rotations", True)
        # The short-lived token is revoked: its key need not stay for it.
        r = s.request("DELETE", "/api-tokens/" + gone["id"], headers={"Authorization": "Bearer " + at})
        t.eq(r.status, 204, "the other API token is revoked")
        t.eq(s.stop(), 0, "exit 0")

        # Ten minutes on: far past the old key's access tokens (2 s) and the
        # one-minute slack; the API token has 30 days left.
        later = Server(*args, directory=s.dir, port=s.port, env=faketime_env("+10m")).start()
        later.iss = s.base
        checks(t, later, tok, "ten minutes after the rotations (a restart)", True)
        # (the first access token has expired under the fake clock)
        at2 = later.login("alice", PW).json()["access_token"]
        listed = later.request("GET", "/api-tokens", headers={"Authorization": "Bearer " + at2}).json()
        active = [x for x in listed["api_tokens"] if x["name"] == "ci"]
        t.check(active and not active[0].get("revoked_at"), "GET /api-tokens lists it active", repr(listed))
        # The old key still verifies the API tokens it signed, but no access
        # token: one forged with it (as by a thief of the key) is refused,
        # as after any rotation, so that rotate --now cuts a leaked key off.
        forged = forged_access(leaked_key(later, k0), k0, s.base, int(time.time()) + 600)
        t.eq(later.verify(forged).status, 401, "an access token signed by the retired key is refused")
        r = later.request("POST", "/introspect", form={"token": forged}, headers=basic())
        t.eq(r.json().get("active"), False, "... and inactive at /introspect")
        kl = later.jotd("keys", "list", env=faketime_env("+10m")).stdout.decode()
        line = [l for l in kl.splitlines() if l.startswith(k0)]
        t.check(line and " retired " in line[0], "keys list: the first key is retired but still published",
                kl)

        # Revoked: refused at once, and the key may then go (no other live
        # API token names it).
        r = later.request("POST", "/revoke", form={"token": tok})
        t.eq(r.status, 200, "POST /revoke with the API token")
        # (a verifier with the JWKS alone cannot know of revocations)
        checks(t, later, tok, "after its revocation", False, local=False)
        t.eq(later.stop(), 0, "exit 0 (later)")
        again = Server(*args, directory=s.dir, port=s.port, env=faketime_env("+10m")).start()
        again.iss = s.base
        jwks = [k["kid"] for k in again.request("GET", "/.well-known/jwks.json").json()["keys"]]
        t.check(k0 not in jwks, "with its last API token revoked, the retired key leaves the JWKS", repr(jwks))
        t.eq(again.stop(), 0, "exit 0 (again)")
    finally:
        s.cleanup()


def rotations_in_one_second(t):
    s = Server().start()
    try:
        t.eq(s.stop(), 0, "a store with its first key")
        # A stopped clock an hour ahead: every rotation lands in the same
        # second, after the first key's activation.
        frozen = faketime_env("@" + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() + 3600)))
        kids = []
        for i in range(5):
            p = s.jotd("keys", "rotate", "--now", env=frozen)
            t.check(p.returncode == 0, "rotate --now #%d in the same second exits 0" % (i + 1),
                    p.stderr.decode())
            kids.append(kid_of_rotation(p))
            kl = s.jotd("keys", "list", env=frozen).stdout.decode()
            cur = [l.split()[0] for l in kl.splitlines() if " current " in l]
            t.eq(cur, [kids[-1]], "rotate --now #%d: keys list shows the new key as the signing one" % (i + 1))
        # The server, started in that same second, signs with the last one.
        s2 = Server(directory=s.dir, port=s.port, env=frozen).start()
        r = s2.signup("bob", PW)
        r = s2.login("bob", PW)
        t.eq(header_of(r.json()["access_token"])["kid"], kids[-1], "jotd signs with the last key rotated in")
        t.eq(s2.stop(), 0, "exit 0")
    finally:
        s.cleanup()


def main(t):
    print("# backend: %s" % BACKEND)
    api_tokens_survive_rotation(t)
    rotations_in_one_second(t)


if __name__ == "__main__":
    run("key_lifetime", main)

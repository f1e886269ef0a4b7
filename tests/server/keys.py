"""Keys and persistence: access tokens verified by an independent JWT
implementation (PyJWT) against the JWKS fetched over HTTP; key rotation
keeps earlier tokens verifiable; a restart keeps users, sessions and keys;
the store and the master key are private files and the store holds no
usable secret; every configurable algorithm works."""

import json
import os
import stat
import time

import jwt

from jotdtest import BACKEND, Server, claims_of, header_of, run

PW = "correct horse battery"


def pyjwt_verify(s, token, alg):
    """Verify with PyJWT and the JWKS fetched from jotd over HTTP."""
    client = jwt.PyJWKClient(s.base + "/.well-known/jwks.json", cache_keys=False, cache_jwk_set=False)
    key = client.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=[alg], audience="jot", issuer=s.base,
                      options={"require": ["exp", "iat", "sub", "jti"]})


def jwks_kids(s):
    return [k["kid"] for k in s.request("GET", "/.well-known/jwks.json").json()["keys"]]


def wait_for(pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def rotation_and_restart(t):
    s = Server("--key-publish-delay", "3s").start()
    try:
        at1, rt1 = s.user_tokens()
        k1 = header_of(at1)["kid"]
        try:
            c = pyjwt_verify(s, at1, "ES256")
            t.check(c.get("sub") == claims_of(at1)["sub"], "PyJWT verifies the access token against the JWKS")
        except Exception as e:
            t.check(False, "PyJWT verifies the access token against the JWKS", repr(e))
        bad = at1[:-4] + ("AAAA" if not at1.endswith("AAAA") else "BBBB")
        try:
            pyjwt_verify(s, bad, "ES256")
            t.check(False, "PyJWT refuses an altered signature")
        except jwt.InvalidTokenError:
            t.check(True, "PyJWT refuses an altered signature")

        p = s.jotd("keys", "rotate", "--key-publish-delay", "3s")
        t.check(p.returncode == 0 and b"added key" in p.stdout, "keys rotate: exit 0", p.stderr.decode())
        t.check(wait_for(lambda: len(jwks_kids(s)) == 2), "rotation: the next key is published within seconds")
        kids = jwks_kids(s)
        k2 = [k for k in kids if k != k1][0] if len(kids) == 2 else None
        t.eq(kids[0] if kids else None, k1, "rotation: the current key is listed first")
        at_mid = s.login("alice", PW).json()["access_token"]
        t.eq(header_of(at_mid)["kid"], k1, "rotation: the next key does not sign before its time")
        lst = s.jotd("keys", "list").stdout.decode()
        t.check(" current " in lst and " next " in lst, "keys list: current and next", lst)

        def signs_with_k2():
            return header_of(s.login("alice", PW).json()["access_token"])["kid"] == k2
        t.check(wait_for(signs_with_k2, 15), "rotation: the new key signs after key-publish-delay")
        at2 = s.login("alice", PW).json()["access_token"]
        t.eq(sorted(jwks_kids(s)), sorted([k1, k2]), "rotation: the old key stays published")
        t.eq(s.verify(at1).status, 200, "rotation: /verify still accepts the token of the old key")
        t.eq(s.verify(at2).status, 200, "rotation: /verify accepts the token of the new key")
        for tok, what in [(at1, "old"), (at2, "new")]:
            try:
                pyjwt_verify(s, tok, "ES256")
                t.check(True, "rotation: PyJWT verifies the %s key's token" % what)
            except Exception as e:
                t.check(False, "rotation: PyJWT verifies the %s key's token" % what, repr(e))
        r = s.refresh(rt1)
        t.eq(r.status, 200, "rotation: a refresh token signed by the old key still refreshes")
        rt_after = r.json()["refresh_token"]
        lst = s.jotd("keys", "list").stdout.decode()
        t.check(" retired " in lst and " current " in lst, "keys list: current and retired", lst)

        # Restart: users, sessions, keys and revocations survive.
        gone = s.login("alice", PW).json()["access_token"]
        t.eq(s.request("POST", "/logout", headers={"Authorization": "Bearer " + gone}).status, 204, "restart: a logout")
        t.eq(s.stop(), 0, "restart: first run exits 0")
        if BACKEND == "sqlite":
            for name in ["jotd.db", "jotd.master.key"]:
                t.eq(mode(os.path.join(s.dir, name)), 0o600, "file mode of %s is 0600" % name)
            for name in ["jotd.db-wal", "jotd.db-shm"]:
                path = os.path.join(s.dir, name)
                if os.path.exists(path):
                    t.eq(mode(path), 0o600, "file mode of %s is 0600" % name)
        else:
            t.eq(mode(os.path.join(s.dir, "jotd.master.key")), 0o600, "file mode of jotd.master.key is 0600")
            print("# skipped on %s: the store's file modes (the database server owns its files)" % BACKEND)
        t.eq(os.path.getsize(os.path.join(s.dir, "jotd.master.key")), 32, "the master key file is 32 bytes")
        blob = s.store_bytes()
        t.check(len(blob) > 0 and all(tok.encode() not in blob and tok.encode().hex().encode() not in blob
                                      for tok in (rt_after, rt1)),
                "store: no refresh token text is in the store (%s)" % BACKEND)
        hexsealed = "hex(sealed)" if BACKEND == "sqlite" else "encode(sealed, 'hex')"
        sealed = [bytes.fromhex(r[0]) for r in s.sql("SELECT %s FROM signing_keys" % hexsealed)]
        hashes = [r[0] for r in s.sql("SELECT password_hash FROM users")]
        t.check(sealed and all(b'"d"' not in x and b"kty" not in x for x in sealed),
                "store: the signing keys are sealed (no JWK text)")
        t.check(hashes and all(h.startswith("$argon2id$v=19$") for h in hashes), "store: argon2id hashes only")

        s.start()
        t.eq(s.login("alice", PW).status, 200, "restart: the user can log in")
        t.eq(s.refresh(rt_after).status, 200, "restart: the session's refresh token works")
        t.eq(s.verify(at1).status, 200, "restart: a token of the retired key still verifies")
        t.eq(s.verify(at2).status, 200, "restart: a token of the current key still verifies")
        t.eq(sorted(jwks_kids(s)), sorted([k1, k2]), "restart: the same keys are published")
        t.eq(s.verify(gone).status, 401, "restart: the revoked family's access token is still refused")
        t.eq(s.stop(), 0, "restart: second run exits 0")

        # The master key: missing, wrong, too open.
        mk = os.path.join(s.dir, "jotd.master.key")
        os.rename(mk, mk + ".bak")
        p = s.jotd("keys", "rotate")
        t.check(p.returncode == 1 and b"master key" in p.stderr and not os.path.exists(mk),
                "a missing master key beside a populated store is an error, not a new key", p.stderr.decode())
        os.rename(mk + ".bak", mk)
        p = s.jotd("keys", "rotate", env={"JOTD_MASTER_KEY": "00" * 32})
        t.check(p.returncode == 0, "keys rotate under another master key adds a key...", p.stderr.decode())
        try:
            s.start(timeout=10)
            t.check(False, "...which jotd then cannot unseal: it refuses to start")
        except RuntimeError as e:
            t.check("unseal" in str(e) or "master key" in str(e),
                    "...which jotd then cannot unseal: it refuses to start", str(e)[-300:])
            s.proc = None
        os.chmod(mk, 0o644)
        p = s.jotd("keys", "list")
        p = s.jotd("keys", "rotate")
        t.check(p.returncode == 1 and b"chmod" in p.stderr, "a master key file readable by others is refused",
                p.stderr.decode())
    finally:
        s.cleanup()


def env_master_key(t):
    s = Server(env={"JOTD_MASTER_KEY": "ab" * 32}).start()
    try:
        at, _ = s.user_tokens()
        t.eq(s.verify(at).status, 200, "JOTD_MASTER_KEY: works")
        t.check(not os.path.exists(os.path.join(s.dir, "jotd.master.key")),
                "JOTD_MASTER_KEY: no key file is created")
        t.eq(s.stop(), 0, "JOTD_MASTER_KEY: exit 0")
    finally:
        s.cleanup()


def algorithms(t):
    for alg in ["RS256", "PS256", "EdDSA", "ES384", "HS256"]:
        s = Server("--alg", alg).start()
        try:
            at, rt = s.user_tokens()
            t.eq(header_of(at)["alg"], alg, "alg %s: the access token uses it" % alg)
            t.eq(s.verify(at).status, 200, "alg %s: /verify accepts it" % alg)
            t.eq(s.refresh(rt).status, 200, "alg %s: refresh works" % alg)
            keys = s.request("GET", "/.well-known/jwks.json").json()["keys"]
            if alg == "HS256":
                t.eq(keys, [], "alg HS256: the JWKS publishes no secret")
            else:
                t.check(len(keys) == 1 and keys[0].get("alg") == alg and "d" not in keys[0],
                        "alg %s: the JWKS has the public key" % alg, json.dumps(keys))
                try:
                    pyjwt_verify(s, at, alg)
                    t.check(True, "alg %s: PyJWT verifies against the JWKS" % alg)
                except Exception as e:
                    t.check(False, "alg %s: PyJWT verifies against the JWKS" % alg, repr(e))
            t.eq(s.stop(), 0, "alg %s: exit 0" % alg)
        finally:
            s.cleanup()


def main(t):
    rotation_and_restart(t)
    env_master_key(t)
    algorithms(t)


run("keys", main)

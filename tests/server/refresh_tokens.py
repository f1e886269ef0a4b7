"""Refresh tokens carry a MAC (HS256 under a key derived from the master
key and the signing key's kid) rather than a signature: jotd alone reads
them. Tokens of the earlier format, signed with the signing key, still
refresh; algorithm confusion is refused; the store's migration from schema
1 to 2 keeps every session."""

import base64
import hashlib
import hmac
import json
import os
import sqlite3
import time

import jwt
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jotdtest import BACKEND, Server, claims_of, header_of, run

PW = "correct horse battery"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def hs256(header, claims, key):
    h = b64(json.dumps(header, separators=(",", ":")).encode())
    p = b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest()
    return h + "." + p + "." + b64(sig)


def master_key(s):
    with open(os.path.join(s.dir, "jotd.master.key"), "rb") as f:
        return f.read()


def signing_key(s, kid):
    """The private JWK of a signing key, unsealed with the master key."""
    hexsealed = "hex(sealed)" if BACKEND == "sqlite" else "encode(sealed, 'hex')"
    sealed = bytes.fromhex(s.sql("SELECT %s FROM signing_keys WHERE kid = '%s'" % (hexsealed, kid))[0][0])
    plain = AESGCM(master_key(s)).decrypt(sealed[:12], sealed[12:], ("jotd signing key " + kid).encode())
    return json.loads(plain)


def format_and_confusion(t, s):
    at, rt = s.user_tokens("alice")
    h, c = header_of(rt), claims_of(rt)
    kid = header_of(at)["kid"]
    t.check(h.get("alg") == "HS256" and h.get("typ") == "refresh+jwt" and h.get("kid") == "r-" + kid,
            "format: the refresh token is HS256, typ refresh+jwt, kid r-<signing kid>", repr(h))
    jwks_kids = [k["kid"] for k in s.request("GET", "/.well-known/jwks.json").json()["keys"]]
    t.check(h["kid"] not in jwks_kids, "format: its key is not published")
    # The key is HMAC-SHA-256(master, "jotd refresh+jwt v1 " + kid): a
    # token made with it by anyone holding the master key is accepted...
    key = hmac.new(master_key(s), ("jotd refresh+jwt v1 " + kid).encode(), hashlib.sha256).digest()
    parts = rt.split(".")
    want = b64(hmac.new(key, (parts[0] + "." + parts[1]).encode(), hashlib.sha256).digest())
    t.eq(parts[2], want, "format: the MAC is HS256 under the derived key")
    # ... and nothing else is.
    pub = signing_key(s, kid)
    pub_pem = jwt.algorithms.ECAlgorithm.from_jwk(json.dumps({k: pub[k] for k in ("kty", "crv", "x", "y")}))
    from cryptography.hazmat.primitives import serialization
    pem = pub_pem.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for hdr, secret, what in [({"alg": "HS256", "typ": "refresh+jwt", "kid": kid}, pem, "HS256 with the EC kid and its PEM"),
                              ({"alg": "HS256", "typ": "refresh+jwt", "kid": "r-" + kid}, pem, "HS256 under the public PEM"),
                              ({"alg": "HS256", "typ": "refresh+jwt", "kid": "r-" + kid}, master_key(s), "HS256 under the master key itself"),
                              ({"alg": "HS256", "typ": "refresh+jwt", "kid": "r-" + kid}, key[:31] + b"x", "HS256 under another key")]:
        forged = hs256(hdr, c, secret)
        r = s.refresh(forged)
        # Refused by the verifier itself, before the store is asked (whose
        # hash comparison would refuse any other text anyway).
        t.check(r.status == 401 and r.error() == "invalid_grant"
                and "not valid" in r.json().get("error_description", ""),
                "confusion: %s is refused by the verifier" % what, repr(r))
    none = b64(json.dumps({"alg": "none", "typ": "refresh+jwt", "kid": "r-" + kid}).encode()) + "." + parts[1] + "."
    t.eq(s.refresh(none).status, 401, "confusion: alg none is refused")
    # The right key over other claims: the MAC passes, the stored hash does not.
    other = dict(c, exp=c["exp"] - 1)
    r = s.refresh(hs256(h, other, key))
    t.check(r.status == 401 and r.error() == "invalid_grant" and "unknown" in r.json().get("error_description", ""),
            "store: a token the MAC accepts but jotd never issued is unknown", repr(r))
    r = s.refresh(rt)
    t.eq(r.status, 200, "format: the genuine token still refreshes after the refusals")
    return r.json()


def legacy_token(t, s):
    """A refresh token of the earlier format (ES256 with the signing key),
    backed by its row, still refreshes."""
    at, rt = s.user_tokens("bob")
    kid = header_of(at)["kid"]
    c = claims_of(rt)
    priv = jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(signing_key(s, kid)))
    now = int(time.time())
    claims = {"iss": c["iss"], "sub": c["sub"], "aud": c["aud"], "exp": now + 3600, "iat": now,
              "jti": "legacy-jti-0001", "sid": c["sid"]}
    old = jwt.encode(claims, priv, algorithm="ES256", headers={"typ": "refresh+jwt", "kid": kid})
    h = hashlib.sha256(old.encode()).hexdigest()
    hashlit = "X'%s'" % h if BACKEND == "sqlite" else "decode('%s', 'hex')" % h
    s.sql("INSERT INTO refresh_tokens (family_id, jti, token_hash, state, issued_at, expires_at) "
          "VALUES ('%s', '%s', %s, 'active', %d, %d)" % (c["sid"], claims["jti"], hashlit, now, now + 3600))
    r = s.refresh(old)
    t.check(r.status == 200 and header_of(r.json()["refresh_token"])["alg"] == "HS256",
            "legacy: an ES256 refresh token of the earlier format refreshes, into an HS256 one", repr(r))
    t.eq(s.refresh(old).status, 200, "legacy: ... within the grace window, again the same successor")


V1_TOKENS = """
CREATE TABLE refresh_tokens_v1 (
  jti TEXT PRIMARY KEY,
  family_id TEXT NOT NULL REFERENCES families(id) ON DELETE CASCADE,
  token_hash BLOB NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'spent', 'revoked')),
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  spent_at INTEGER,
  successor_jti TEXT,
  successor_sealed BLOB);
INSERT INTO refresh_tokens_v1 (jti, family_id, token_hash, state, issued_at, expires_at, spent_at, successor_jti)
  SELECT jti, family_id, token_hash, state, issued_at, expires_at, spent_at, successor_jti FROM refresh_tokens;
DROP TABLE refresh_tokens;
ALTER TABLE refresh_tokens_v1 RENAME TO refresh_tokens;
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX refresh_tokens_sealed ON refresh_tokens(spent_at) WHERE successor_sealed IS NOT NULL;
DROP TABLE IF EXISTS api_tokens;
DROP TABLE IF EXISTS revocations;
ALTER TABLE signing_keys DROP COLUMN seq;
PRAGMA user_version = 1;
"""


def migration(t):
    if BACKEND != "sqlite":
        print("# skipped on %s: the migration of SQLite's schema 1 to 2 (the PostgreSQL schema began after it)"
              % BACKEND)
        return
    s = Server().start()
    try:
        _, rt = s.user_tokens("carol")
        r = s.refresh(rt)
        rt2 = r.json()["refresh_token"]
        t.eq(s.stop(), 0, "migration: first run exits 0")
        # Put the store back into schema 1's shape, rows included.
        db = sqlite3.connect(s.store)
        db.executescript(V1_TOKENS)
        n1 = db.execute("SELECT count(*) FROM refresh_tokens").fetchone()[0]
        db.close()
        out = s.jotd("migrate")
        t.check(out.returncode == 0 and b"schema version 4 (latest 4)" in out.stdout,
                "migration: 1 to the latest", out.stdout.decode() + out.stderr.decode())
        db = sqlite3.connect(s.store)
        n2 = db.execute("SELECT count(*) FROM refresh_tokens").fetchone()[0]
        db.close()
        t.check(n1 == n2 and n1 >= 2, "migration: every refresh token row is kept", repr((n1, n2)))
        s.start()
        t.eq(s.refresh(rt2).status, 200, "migration: the session refreshes afterwards")
        t.eq((s.refresh(rt).status, s.refresh(rt).error()), (401, "invalid_grant"),
             "migration: the spent token is still recognised as reuse")
        t.eq(s.stop(), 0, "migration: exit 0")
    finally:
        s.cleanup()


def main(t):
    s = Server().start()
    try:
        format_and_confusion(t, s)
        legacy_token(t, s)
        t.eq(s.stop(), 0, "exit 0 on SIGTERM")
    finally:
        s.cleanup()
    migration(t)


run("refresh_tokens", main)

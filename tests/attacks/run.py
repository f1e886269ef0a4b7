#!/usr/bin/python3
"""The JWT attack suite: every case of attacks.jsonl against the real
`jot verify` (env JOT), checking its exit status and its rejection code
(CONTRACT.md: exit 1 and `jot: rejected: CODE: detail` on stderr).

The keys are made fresh in a temporary folder for each run (nothing private
is committed); the tokens are built from each case's recipe with
python3-cryptography, so every case says in a few fields what the attack is.

A case (one JSON object a line; lines starting with # are comments):
  id        a unique name
  ref       where the attack comes from (RFC section, CVE, advisory URL)
  keys      the keys given to jot verify: "rsa.pub.pem" is --key FILE,
            "secret:hs.bin" is --secret-file FILE (see make_keys)
  cli       more options for jot verify (list), default none
  expect    the rejection code, "ok" (exit 0), or "usage" (exit 2)
  token     a literal token, or else the recipe:
  header    the protected header, an object (serialised compactly, in
            order) -- or header_raw: its exact JSON text -- or header_b64:
            the exact segment
  payload   likewise (payload, payload_raw, payload_b64); default
            {"sub":"attacker","admin":true}
  sign      {"alg": ALG, "key": FILE}: sign with that key (HS*: the file's
            raw bytes are the secret, whatever they are), optional
            "der": true for an ECDSA signature in DER instead of R||S
  sig       instead of sign: "empty", "b64:TEXT" (the exact segment),
            "zeros:N", "ecdsa:CURVE:R:S" (R, S integers or "n", "n+1",
            "n-1" for the curve order)
  tamper    after signing: "payload" (change a byte of the payload),
            "sig" (flip a bit of the signature)
  template  how the segments are joined, default "{h}.{p}.{s}"
  stdin     true: give the token on stdin (bytes, "\\u0000" allowed)
In header and payload texts, <<N*TEXT>> stands for TEXT N times ({i} in
TEXT: the index). In header and payload values, "$ATTACKER_JWK", "$ATTACKER_X5C" and
"$RSA_JWK" stand for the attacker's public JWK, the attacker's certificate
chain (x5c) and the victim's public JWK.

Usage: JOT=path/to/jot run.py [--list] [ID...]   (JOT_VALGRIND=1: under memcheck)
"""
import base64
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PAYLOAD = {"sub": "attacker", "admin": True}
# The time the cases are verified at (--now), unless a case gives its own.
NOW = 1700000000
ORDERS = {
    "P-256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "P-384": int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16),
    "P-521": int("01FF" + "FFFFFFFF" * 7 + "FFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409", 16),
}
CURVE_BYTES = {"P-256": 32, "P-384": 48, "P-521": 66}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n, size):
    return n.to_bytes(size, "big")


# ---- Keys ------------------------------------------------------------------


def pem_private(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def pem_public(k, fmt=serialization.PublicFormat.SubjectPublicKeyInfo):
    return k.public_key().public_bytes(serialization.Encoding.PEM, fmt)


def rsa_jwk(k, kid=None):
    n = k.public_key().public_numbers()
    j = {"kty": "RSA", "n": b64u(uint(n.n, (n.n.bit_length() + 7) // 8)), "e": b64u(uint(n.e, 3))}
    if kid:
        j["kid"] = kid
    return j


def ec_jwk(k, crv, kid=None):
    n = k.public_key().public_numbers()
    size = CURVE_BYTES[crv]
    j = {"kty": "EC", "crv": crv, "x": b64u(uint(n.x, size)), "y": b64u(uint(n.y, size))}
    if kid:
        j["kid"] = kid
    return j


def self_signed(k):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    now = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
            .sign(k, hashes.SHA256()))


def make_keys(d):
    """Write every key file the cases name into d; return the private keys
    by file name, and the placeholder values."""
    priv = {}

    def write(name, data, mode="wb"):
        with open(os.path.join(d, name), mode) as f:
            f.write(data)

    victim = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec256 = ec.generate_private_key(ec.SECP256R1())
    ec384 = ec.generate_private_key(ec.SECP384R1())
    ec521 = ec.generate_private_key(ec.SECP521R1())
    ed = ed25519.Ed25519PrivateKey.generate()
    cert = self_signed(victim)
    att_cert = self_signed(attacker)

    write("rsa.pem", pem_private(victim))
    write("rsa.pub.pem", pem_public(victim))
    write("rsa.pub.nonl.pem", pem_public(victim).rstrip(b"\n"))
    write("rsa.pub.pkcs1.pem", pem_public(victim, serialization.PublicFormat.PKCS1))
    write("rsa.pub.der", victim.public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    write("rsa.pub.ssh", victim.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                         serialization.PublicFormat.OpenSSH))
    write("rsa.cert.pem", cert.public_bytes(serialization.Encoding.PEM))
    write("rsa.pub.jwk", json.dumps(rsa_jwk(victim, "rsa-1")).encode())
    write("rsa.pub.jwk.compact", json.dumps(rsa_jwk(victim, "rsa-1"), separators=(",", ":")).encode())
    write("attacker.pem", pem_private(attacker))
    write("ec256.pem", pem_private(ec256))
    write("ec256.pub.pem", pem_public(ec256))
    write("ec256.pub.jwk", json.dumps(ec_jwk(ec256, "P-256", "ec-1")).encode())
    write("ec384.pem", pem_private(ec384))
    write("ec384.pub.pem", pem_public(ec384))
    write("ec521.pem", pem_private(ec521))
    write("ec521.pub.pem", pem_public(ec521))
    write("ed25519.pem", pem_private(ed))
    write("ed25519.pub.pem", pem_public(ed))
    secret = os.urandom(32)
    write("hs.bin", secret)
    write("hs64.bin", os.urandom(64))
    write("empty.bin", b"")
    write("short.bin", b"secret")
    oct_jwk = {"kty": "oct", "kid": "hs-1", "k": b64u(secret)}
    write("jwks.json", json.dumps({"keys": [rsa_jwk(victim, "rsa-1"), oct_jwk]}).encode())
    write("jwks-rsa-ec.json", json.dumps({"keys": [rsa_jwk(victim, "rsa-1"),
                                                   ec_jwk(ec256, "P-256", "ec-1")]}).encode())
    priv.update({"rsa.pem": victim, "attacker.pem": attacker, "ec256.pem": ec256, "ec384.pem": ec384,
                 "ec521.pem": ec521, "ed25519.pem": ed})
    subst = {
        "$ATTACKER_JWK": rsa_jwk(attacker, "attacker"),
        "$ATTACKER_X5C": [base64.b64encode(att_cert.public_bytes(serialization.Encoding.DER)).decode()],
        "$RSA_JWK": rsa_jwk(victim, "rsa-1"),
    }
    return priv, subst


# ---- Tokens ----------------------------------------------------------------

HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def sign(alg, keyfile, data, d, priv, der=False):
    if alg.startswith("HS"):
        with open(os.path.join(d, keyfile), "rb") as f:
            h = hmac.HMAC(f.read(), HASHES[alg[2:]]())
        h.update(data)
        return h.finalize()
    k = priv[keyfile]
    if alg.startswith("RS"):
        return k.sign(data, padding.PKCS1v15(), HASHES[alg[2:]]())
    if alg.startswith("PS"):
        h = HASHES[alg[2:]]()
        return k.sign(data, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    if alg.startswith("ES"):
        h = HASHES[alg[2:]]()
        sig = k.sign(data, ec.ECDSA(h))
        if der:
            return sig
        r, s = decode_dss_signature(sig)
        size = (k.curve.key_size + 7) // 8
        return uint(r, size) + uint(s, size)
    if alg == "EdDSA":
        return k.sign(data)
    raise ValueError("no signer for " + alg)


def repeat(text):
    """Expand <<N*TEXT>>: TEXT N times, {i} in it replaced by the index."""
    return re.sub(r"<<(\d+)\*(.*?)>>",
                  lambda m: "".join(m.group(2).replace("{i}", str(i)) for i in range(int(m.group(1)))), text,
                  flags=re.S)


def substitute(v, subst):
    if isinstance(v, str) and v in subst:
        return subst[v]
    if isinstance(v, str):
        return repeat(v)
    if isinstance(v, dict):
        return {k: substitute(x, subst) for k, x in v.items()}
    if isinstance(v, list):
        return [substitute(x, subst) for x in v]
    return v


def segment(case, name, subst):
    if name + "_b64" in case:
        return case[name + "_b64"]
    if name + "_raw" in case:
        return b64u(repeat(case[name + "_raw"]).encode("utf-8", "surrogatepass"))
    value = case.get(name, DEFAULT_PAYLOAD if name == "payload" else None)
    if value is None:
        raise ValueError(f"{case['id']}: no {name}")
    return b64u(json.dumps(substitute(value, subst), separators=(",", ":")).encode())


def ecdsa_value(text, order):
    text = str(text)
    if text.startswith("n"):
        return order + int(text[1:] or "0")
    return int(text)


def build(case, d, priv, subst):
    if "token" in case:
        return case["token"]
    h = segment(case, "header", subst)
    p = segment(case, "payload", subst)
    signing_input = f"{h}.{p}".encode()
    if "sign" in case:
        sg = case["sign"]
        s = b64u(sign(sg["alg"], sg["key"], signing_input, d, priv, sg.get("der", False)))
    else:
        spec = case.get("sig", "empty")
        if spec == "empty":
            s = ""
        elif spec.startswith("b64:"):
            s = spec[4:]
        elif spec.startswith("zeros:"):
            s = b64u(bytes(int(spec[6:])))
        elif spec.startswith("ecdsa:"):
            _, crv, r, sv = spec.split(":")
            order, size = ORDERS[crv], CURVE_BYTES[crv]
            rv, svv = ecdsa_value(r, order), ecdsa_value(sv, order)
            s = b64u(uint(rv, size) + uint(svv, size))
        else:
            raise ValueError(f"{case['id']}: bad sig {spec}")
    tamper = case.get("tamper")
    if tamper == "payload":
        p = b64u(json.dumps({"sub": "attacker", "admin": True, "x": 1}, separators=(",", ":")).encode())
    elif tamper == "sig":
        raw = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
        raw[len(raw) // 2] ^= 1
        s = b64u(bytes(raw))
    return case.get("template", "{h}.{p}.{s}").format(h=h, p=p, s=s)


# ---- Running jot verify -----------------------------------------------------


def run_case(jot, case, d, priv, subst):
    token = build(case, d, priv, subst)
    argv = wrapper() + [jot, "verify"]
    for k in case["keys"]:
        if k.startswith("secret:"):
            argv += ["--secret-file", os.path.join(d, k[7:])]
        else:
            argv += ["--key", os.path.join(d, k)]
    cli = case.get("cli", [])
    if "--now" not in cli:
        argv += ["--now", str(NOW)]
    argv += cli
    if case.get("stdin"):
        argv.append("-")
        data = token.encode("utf-8", "surrogatepass")
    else:
        argv.append(token)
        data = None
    p = subprocess.run(argv, input=data, capture_output=True, timeout=120)
    err = p.stderr.decode(errors="replace").splitlines()
    first = err[0] if err else ""
    expect = case["expect"]
    if expect == "ok":
        return p.returncode == 0, f"exit {p.returncode} {first}"
    if expect == "usage":
        return p.returncode == 2 and first.startswith("jot: "), f"exit {p.returncode} {first}"
    prefix = "jot: rejected: "
    code = first[len(prefix):].split(":")[0] if first.startswith(prefix) else None
    return p.returncode == 1 and code == expect, f"exit {p.returncode} {first}"


def wrapper():
    """JOT_VALGRIND as tests/cli/data/harness.bash reads it: 1 runs jot under
    valgrind memcheck (an error or a leak is exit 99, which fails the case);
    another value is the wrapper command itself."""
    v = os.environ.get("JOT_VALGRIND", "")
    if v in ("", "0"):
        return []
    if v in ("1", "yes", "on"):
        return ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect"]
    return v.split()


def load_cases(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            c = json.loads(line)
            for field in ("id", "ref", "keys", "expect"):
                if field not in c:
                    raise ValueError(f"attacks.jsonl:{n}: no {field}")
            cases.append(c)
    ids = [c["id"] for c in cases]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"duplicate ids: {sorted(dup)}")
    return cases


def main():
    cases = load_cases(os.path.join(HERE, "attacks.jsonl"))
    args = sys.argv[1:]
    if args[:1] == ["--list"]:
        for c in cases:
            print(f"{c['id']:40} {c['expect']:18} {c['ref']}")
        return 0
    if args:
        cases = [c for c in cases if c["id"] in args]
    jot = os.environ.get("JOT")
    if not jot or not os.access(jot, os.X_OK):
        print("run.py: set JOT to the jot binary", file=sys.stderr)
        return 2
    failed = 0
    with tempfile.TemporaryDirectory(prefix="jot-attacks-") as d:
        priv, subst = make_keys(d)
        for c in cases:
            try:
                ok, got = run_case(jot, c, d, priv, subst)
            except Exception as e:  # a broken recipe is a failure too
                ok, got = False, f"error building the case: {e}"
            if not ok:
                failed += 1
                print(f"FAIL {c['id']}: expected {c['expect']}, got: {got}  [{c['ref']}]")
    print(f"attacks: {len(cases) - failed} of {len(cases)} passed")
    # Fewer cases than this means the data file was cut short.
    if not args and len(cases) < MIN_CASES:
        print(f"attacks: only {len(cases)} cases, expected at least {MIN_CASES}")
        return 1
    return 1 if failed else 0


MIN_CASES = 100

if __name__ == "__main__":
    sys.exit(main())

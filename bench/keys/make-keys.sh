#!/bin/sh
# Regenerates the benchmark keys in this folder. They were generated once and
# committed, so that every contestant (libjot, the OpenSSL floor, libjwt,
# cjose) signs and verifies with the very same keys; run this only to replace
# them. These keys protect nothing: never use them outside the benchmarks.
#
#   hs256.secret           32 random bytes (HS256, RFC 7518 3.2)
#   rs256.pem, .pub.pem    RSA-2048, PKCS#8 private key and SPKI public key
#   es256.pem, .pub.pem    P-256
#   eddsa.pem, .pub.pem    Ed25519
#   *.jwk                  the same private keys as JWK (RFC 7517), for cjose
set -eu
cd "$(dirname "$0")"
umask 022
openssl rand -out hs256.secret 32
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rs256.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out es256.pem
openssl genpkey -algorithm ED25519 -out eddsa.pem
for k in rs256 es256 eddsa; do openssl pkey -in $k.pem -pubout -out $k.pub.pem; done
# Readable by all: these keys are public test data, committed on purpose.
chmod 644 ./*.pem
# The JWK forms come from the same files; Debian's python3-cryptography does
# the arithmetic (the pyenv python3 first on PATH may lack it).
/usr/bin/python3 - <<'PY'
import base64, json
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa, ec, ed25519

def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def n2b(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return b64(n.to_bytes(size, "big"))

def load(name):
    with open(name, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)

def write(name, jwk):
    with open(name, "w") as f:
        f.write(json.dumps(jwk, separators=(",", ":")) + "\n")

with open("hs256.secret", "rb") as f:
    write("hs256.jwk", {"kty": "oct", "kid": "k1", "k": b64(f.read())})

k = load("rs256.pem").private_numbers()
write("rs256.jwk", {"kty": "RSA", "kid": "k1", "n": n2b(k.public_numbers.n), "e": n2b(k.public_numbers.e),
                    "d": n2b(k.d), "p": n2b(k.p), "q": n2b(k.q), "dp": n2b(k.dmp1), "dq": n2b(k.dmq1),
                    "qi": n2b(k.iqmp)})

k = load("es256.pem").private_numbers()
write("es256.jwk", {"kty": "EC", "kid": "k1", "crv": "P-256", "x": n2b(k.public_numbers.x, 32),
                    "y": n2b(k.public_numbers.y, 32), "d": n2b(k.private_value, 32)})

k = load("eddsa.pem")
raw = serialization.Encoding.Raw
write("eddsa.jwk", {"kty": "OKP", "kid": "k1", "crv": "Ed25519",
                    "x": b64(k.public_key().public_bytes(raw, serialization.PublicFormat.Raw)),
                    "d": b64(k.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()))})
PY

#!/bin/bash
# tests/cli/interop_pyjwt.sh - interoperability with PyJWT (Debian's
# python3-jwt with python3-cryptography), both directions, for every
# algorithm: PyJWT verifies what `jot sign` made, and `jot verify` accepts
# what PyJWT signed with keys that jot never generated. Nothing is skipped:
# an algorithm that PyJWT lacks is a failure.
. "$(dirname "$0")/data/harness.bash"

ALGS="HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA"
ISS=https://issuer.example

cat >"$T/interop.py" <<'EOF'
import json, sys, time
import jwt
from jwt import algorithms
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

CLAIMS = {"iss": "https://issuer.example", "sub": "interop", "aud": "api",
          "nested": {"a": [1, "two", True, None]}, "uni": "h\u00e9llo \u2713"}

def check_claims(got, want):
    for k, v in want.items():
        if got.get(k) != v:
            sys.exit("claim %s: got %r, want %r" % (k, got.get(k), v))

def cmd_has(alg):
    # PyJWT must implement every algorithm of the contract.
    if alg not in algorithms.get_default_algorithms():
        sys.exit("PyJWT %s has no %s" % (jwt.__version__, alg))

def cmd_verify(alg, token, keyfile, kind):
    """PyJWT verifies a token that jot signed."""
    raw = open(keyfile, "rb").read()
    if kind == "jwk":
        key = jwt.PyJWK(json.loads(raw), algorithm=alg).key
    else:
        key = raw  # an HMAC secret or a PEM public key
    hdr = jwt.get_unverified_header(token)
    if hdr.get("alg") != alg or hdr.get("typ") != "JWT":
        sys.exit("header %r" % hdr)
    got = jwt.decode(token, key, algorithms=[alg], audience="api", issuer=CLAIMS["iss"],
                     options={"require": ["exp", "iat", "iss", "sub", "aud"]})
    check_claims(got, CLAIMS)
    now = int(time.time())
    if not (now - 120 <= got["iat"] <= now + 5 and got["exp"] == got["iat"] + 600):
        sys.exit("iat %r exp %r, now %d" % (got["iat"], got["exp"], now))
    # And PyJWT rejects jot's token with a changed payload.
    h, p, s = token.split(".")
    forged = jwt.api_jws.base64url_encode(json.dumps({"sub": "mallory"}).encode()).decode()
    try:
        jwt.decode(h + "." + forged + "." + s, key, algorithms=[alg],
                   options={"verify_aud": False})
    except jwt.InvalidSignatureError:
        pass
    else:
        sys.exit("PyJWT accepted a forged payload")

def cmd_keys(alg, secret_file, outdir):
    """Make a key with cryptography (not jot): the private key for PyJWT,
    and for jot the public key as SPKI PEM and as PyJWT's own JWK."""
    if alg.startswith("HS"):
        secret = open(secret_file, "rb").read()
        priv = secret
        open(outdir + "/py.jwk", "w").write(algorithms.HMACAlgorithm.to_jwk(secret))
    else:
        if alg[:2] in ("RS", "PS"):
            priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = algorithms.RSAAlgorithm.to_jwk(priv.public_key())
        elif alg.startswith("ES"):
            curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
            priv = ec.generate_private_key(curve)
            jwk = algorithms.ECAlgorithm.to_jwk(priv.public_key())
        else:
            priv = ed25519.Ed25519PrivateKey.generate()
            jwk = algorithms.OKPAlgorithm.to_jwk(priv.public_key())
        open(outdir + "/py.jwk", "w").write(jwk)
        open(outdir + "/py.spki.pem", "wb").write(priv.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        priv = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    open(outdir + "/py.priv", "wb").write(priv)

def cmd_sign(alg, outdir):
    """PyJWT signs a token for jot to verify."""
    key = open(outdir + "/py.priv", "rb").read()
    now = int(time.time())
    claims = dict(CLAIMS, iat=now, nbf=now - 5, exp=now + 600, jti="py-" + alg)
    tok = jwt.encode(claims, key, algorithm=alg, headers={"kid": "py-" + alg})
    sys.stdout.write(tok)

def cmd_claims(alg, got):
    """jot's verified claims are PyJWT's."""
    got = json.loads(got)
    check_claims(got, dict(CLAIMS, jti="py-" + alg))
    if not (got["exp"] == got["iat"] + 600 and got["nbf"] == got["iat"] - 5):
        sys.exit("times %r" % got)

def cmd_fixjwk(outdir):
    """PyJWT 2.6 writes EC coordinates without their leading zero bytes,
    against RFC 7518 6.2.1.2 (x and y MUST be the full coordinate size);
    for P-521 that is most keys. Write py.fixed.jwk with them padded, and
    exit 3 when PyJWT's own JWK was short (and so must be refused)."""
    import base64
    j = json.loads(open(outdir + "/py.jwk").read())
    short = False
    if j.get("kty") == "EC":
        size = {"P-256": 32, "P-384": 48, "P-521": 66}[j["crv"]]
        for m in ("x", "y"):
            raw = base64.urlsafe_b64decode(j[m] + "=" * (-len(j[m]) % 4))
            if len(raw) < size:
                short = True
                j[m] = base64.urlsafe_b64encode(raw.rjust(size, b"\0")).rstrip(b"=").decode()
    open(outdir + "/py.fixed.jwk", "w").write(json.dumps(j))
    sys.exit(3 if short else 0)

cmd = sys.argv[1]
globals()["cmd_" + cmd](*sys.argv[2:])
EOF

py() {
    $PY "$T/interop.py" "$@"
}

for alg in $ALGS; do
    py has "$alg" || fail "PyJWT cannot do $alg"
    pass

    # ---- jot signs, PyJWT verifies. ----
    case $alg in
    HS*)
        head -c 64 /dev/urandom >"$T/$alg.secret"
        keyopt="--secret-file $T/$alg.secret"
        pyfile=$T/$alg.secret
        pykind=secret
        ;;
    *)
        expect_ok "$alg: jot keygen pem" keygen --alg "$alg" --format pem --out "$T/$alg.pem"
        openssl pkey -in "$T/$alg.pem" -pubout -out "$T/$alg.spki.pem" 2>/dev/null || fail "$alg: openssl pkey -pubout"
        keyopt="--key $T/$alg.pem"
        pyfile=$T/$alg.spki.pem
        pykind=pem
        ;;
    esac
    expect_ok "$alg: jot sign" sign $keyopt --alg "$alg" --iss "$ISS" --sub interop --aud api --exp 10m --iat \
        --claims '{"nested":{"a":[1,"two",true,null]},"uni":"héllo ✓"}'
    tok=$OUT
    py verify "$alg" "$tok" "$pyfile" "$pykind" || fail "$alg: PyJWT does not accept jot's token $tok"
    pass

    # PyJWT also takes jot's JWK (the public half, or the oct key).
    if [ "$pykind" = pem ]; then
        expect_ok "$alg: jot keygen jwk" keygen --alg "$alg" --out "$T/$alg.jwk"
        jot jwk --public "$T/$alg.jwk"
    else
        expect_ok "$alg: jot keygen jwk" keygen --alg "$alg" --out "$T/$alg.jwk"
        jot jwk "$T/$alg.jwk"
    fi
    [ "$RC" -eq 0 ] || fail "$alg: jot jwk: $ERR"
    printf '%s\n' "$OUT" >"$T/$alg.export.jwk"
    expect_ok "$alg: jot sign with the JWK" sign --key "$T/$alg.jwk" --iss "$ISS" --sub interop --aud api --exp 10m \
        --iat --claims '{"nested":{"a":[1,"two",true,null]},"uni":"héllo ✓"}'
    py verify "$alg" "$OUT" "$T/$alg.export.jwk" jwk || fail "$alg: PyJWT does not accept jot's JWK and token"
    pass

    # ---- PyJWT signs with a key cryptography made, jot verifies. ----
    rm -f "$T/py.priv" "$T/py.jwk" "$T/py.spki.pem"
    py keys "$alg" "$T/$alg.secret" "$T" || fail "$alg: cryptography could not make a key"
    ptok=$(py sign "$alg" "$T") || fail "$alg: PyJWT could not sign"
    case $alg in
    HS*) jkey="--secret-file $T/$alg.secret" ;;
    *) jkey="--key $T/py.spki.pem" ;;
    esac
    expect_ok "$alg: jot verify of PyJWT's token" verify $jkey --iss "$ISS" --aud api --sub interop \
        --require iat,nbf,exp,jti "$ptok"
    py claims "$alg" "$OUT" || fail "$alg: jot's claims of PyJWT's token: $OUT"
    pass
    py fixjwk "$T"
    case $? in
    0) ;;
    3)
        echo "note: $alg: PyJWT's JWK has short EC coordinates (RFC 7518 6.2.1.2); jot must refuse it"
        expect_usage "$alg: jot refuses PyJWT's short-coordinate JWK" verify --key "$T/py.jwk" "$ptok"
        ;;
    *) fail "$alg: cannot read PyJWT's JWK" ;;
    esac
    expect_ok "$alg: jot verify with PyJWT's JWK" verify --key "$T/py.fixed.jwk" --alg "$alg" "$ptok"
    expect_ok "$alg: jot verify, --alg given" verify $jkey --alg "$alg" "$ptok"
    decode_header "$ptok"
    [ "$(json_get "$HDR" kid)" = "py-$alg" ] || fail "$alg: PyJWT's kid: $HDR"
    pass
    expect_reject bad-signature "$alg: PyJWT's token, tampered" $jkey "$(tamper_sig "$ptok")"
done

finish

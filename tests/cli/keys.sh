#!/bin/bash
# tests/cli/keys.sh - `jot keygen`, `jot jwk`, `jot jwks`: file modes,
# public halves, RFC 7638 thumbprints, and every PEM kind of the contract
# (made with the openssl command at test time), each cross-checked against
# the Python cryptography package.
. "$(dirname "$0")/data/harness.bash"

command -v openssl >/dev/null || fail "the openssl command is needed"

# jwk_check JWK PEM: the JWK's public members are those that Python's
# cryptography reads from PEM (RFC 7518 6.2.1, 6.3.1; RFC 8037 2), and its
# RFC 7638 thumbprint, computed here, is THUMB (when given).
jwk_check() {
    $PY - "$1" "$2" "${3:-}" <<'EOF'
import base64, hashlib, json, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, ed448, rsa
from cryptography import x509

def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def uint(n, size=None):
    size = size or max(1, (n.bit_length() + 7) // 8)
    return b64(n.to_bytes(size, "big"))

jwk = json.loads(sys.argv[1])
data = open(sys.argv[2], "rb").read()
if b"CERTIFICATE" in data:
    pub = x509.load_pem_x509_certificate(data).public_key()
elif b"PUBLIC KEY" in data:
    pub = serialization.load_pem_public_key(data)
else:
    pub = serialization.load_pem_private_key(data, password=None).public_key()
if isinstance(pub, rsa.RSAPublicKey):
    nums = pub.public_numbers()
    want = {"kty": "RSA", "n": uint(nums.n), "e": uint(nums.e)}
    req = ["e", "kty", "n"]
elif isinstance(pub, ec.EllipticCurvePublicKey):
    nums = pub.public_numbers()
    crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[pub.curve.name]
    size = (pub.curve.key_size + 7) // 8
    want = {"kty": "EC", "crv": crv, "x": uint(nums.x, size), "y": uint(nums.y, size)}
    req = ["crv", "kty", "x", "y"]
else:
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    crv = "Ed25519" if isinstance(pub, ed25519.Ed25519PublicKey) else "Ed448"
    want = {"kty": "OKP", "crv": crv, "x": b64(raw)}
    req = ["crv", "kty", "x"]
for k, v in want.items():
    if jwk.get(k) != v:
        sys.exit("member %s: jot says %r, cryptography %r" % (k, jwk.get(k), v))
canon = json.dumps({k: want[k] for k in req}, separators=(",", ":"), sort_keys=True)
thumb = b64(hashlib.sha256(canon.encode()).digest())
if sys.argv[3] and sys.argv[3] != thumb:
    sys.exit("thumbprint: jot says %s, computed %s" % (sys.argv[3], thumb))
EOF
}

# no_private JWK: none of the private members of RFC 7518 6.2.2, 6.3.2,
# 6.4.1 and RFC 8037 2 is present.
no_private() {
    $PY -c '
import json, sys
j = json.loads(sys.argv[1])
bad = [m for m in ("d", "p", "q", "dp", "dq", "qi", "oth", "k") if m in j]
if bad:
    sys.exit("private members present: %s" % bad)
' "$1"
}

# ---- keygen: mode 0600, whatever the umask and whatever was there. -----
(
    umask 000
    $JOT keygen --alg ES256 --out "$T/new.jwk" >"$T/keygen.out" 2>"$T/keygen.err"
) || fail "keygen --out with umask 000: $(cat "$T/keygen.err")"
[ "$(stat -c %a "$T/new.jwk")" = 600 ] || fail "keygen --out made mode $(stat -c %a "$T/new.jwk"), want 600"
[ -s "$T/keygen.out" ] && fail "keygen --out also wrote to stdout"
pass
head -c 5000 /dev/zero | tr '\0' '#' >"$T/old.pem"
chmod 644 "$T/old.pem"
expect_ok "keygen over an existing 0644 file" keygen --alg RS256 --format pem --out "$T/old.pem"
[ "$(stat -c %a "$T/old.pem")" = 600 ] || fail "existing file left with mode $(stat -c %a "$T/old.pem")"
grep -q '#' "$T/old.pem" && fail "the old content was not truncated"
jwk_check "$(jot jwk --public "$T/old.pem" && printf '%s' "$OUT")" "$T/old.pem" || fail "RSA PEM from keygen"
pass
expect_usage "keygen --out into a missing directory" keygen --alg ES256 --out "$T/no/such/dir/k.jwk"
expect_usage "keygen without --alg" keygen
expect_usage "keygen --alg none" keygen --alg none
expect_usage "keygen --format der" keygen --alg ES256 --format der
expect_usage "keygen --bits for ES256" keygen --alg ES256 --bits 384
expect_usage "keygen --bits for HS256" keygen --alg HS256 --bits 512
expect_usage "keygen --bits too large" keygen --alg RS256 --bits 65536

# keygen output per family: kty, crv, size, alg, and kid = thumbprint.
for spec in HS256:oct:: HS384:oct:: HS512:oct:: RS256:RSA:: PS384:RSA:: ES256:EC:P-256 ES384:EC:P-384 \
    ES512:EC:P-521 EdDSA:OKP:Ed25519; do
    IFS=: read -r alg kty crv _ <<<"$spec"
    expect_ok "keygen $alg" keygen --alg "$alg"
    jwk=$OUT
    [ "$(json_get "$jwk" kty)" = "$kty" ] || fail "keygen $alg: kty is not $kty: $(json_get "$jwk" kty)"
    [ "$(json_get "$jwk" alg)" = "$alg" ] || fail "keygen $alg: no alg"
    [ -z "$crv" ] || [ "$(json_get "$jwk" crv)" = "$crv" ] || fail "keygen $alg: crv is not $crv"
    printf '%s\n' "$jwk" >"$T/gen.jwk"
    expect_ok "jwk --thumbprint of keygen $alg" jwk --thumbprint "$T/gen.jwk"
    [ "$(json_get "$jwk" kid)" = "$OUT" ] || fail "keygen $alg: kid $(json_get "$jwk" kid) is not the thumbprint $OUT"
    [ ${#OUT} -eq 43 ] || fail "thumbprint of length ${#OUT}"
    pass
    case $alg in
    HS*)
        # RFC 7518 3.2: the secret is exactly the hash size.
        bytes=$($PY -c 'import base64,json,sys; k=json.loads(sys.argv[1])["k"]; print(len(base64.urlsafe_b64decode(k+"="*(-len(k)%4))))' "$jwk")
        [ "$bytes" -eq $((${alg#HS} / 8)) ] || fail "keygen $alg: $bytes bytes of secret"
        pass
        ;;
    *)
        expect_ok "keygen $alg --format pem" keygen --alg "$alg" --format pem --out "$T/gen.pem"
        jot jwk "$T/gen.pem"
        jwk_check "$OUT" "$T/gen.pem" || fail "keygen $alg PEM vs cryptography"
        jot jwk --thumbprint "$T/gen.pem"
        thumb=$OUT
        jot jwk --public "$T/gen.pem"
        jwk_check "$OUT" "$T/gen.pem" "$thumb" || fail "keygen $alg thumbprint vs cryptography"
        pass
        ;;
    esac
done
expect_ok "keygen --bits 3072" keygen --alg PS256 --bits 3072
$PY -c 'import base64,json,sys; n=json.loads(sys.argv[1])["n"]; sys.exit(len(base64.urlsafe_b64decode(n+"="*(-len(n)%4)))!=384)' "$OUT" ||
    fail "keygen --bits 3072 did not make a 3072-bit modulus"
pass
expect_ok "keygen --kid" keygen --alg ES256 --kid my-key
[ "$(json_get "$OUT" kid)" = my-key ] || fail "keygen --kid: $OUT"
pass

# ---- jwk: --public drops the private members. ---------------------------
for alg in RS256 ES384 EdDSA; do
    jot keygen --alg "$alg" --out "$T/$alg.jwk"
    expect_ok "jwk of a private $alg JWK" jwk "$T/$alg.jwk"
    json_get "$OUT" d >/dev/null || fail "jwk (no --public) dropped d: $OUT"
    pass
    expect_ok "jwk --private" jwk --private "$T/$alg.jwk"
    json_get "$OUT" d >/dev/null || fail "jwk --private dropped d"
    pass
    expect_ok "jwk --public $alg" jwk --public "$T/$alg.jwk"
    pub=$OUT
    no_private "$pub" || fail "jwk --public $alg: $pub"
    json_subset "$pub" "{\"alg\":\"$alg\",\"kid\":\"$(json_get "$(cat "$T/$alg.jwk")" kid)\"}" || fail "alg/kid lost: $pub"
    pass
    printf '%s\n' "$pub" >"$T/$alg.pub.jwk"
    expect_ok "jwk of a public JWK stays public" jwk "$T/$alg.pub.jwk"
    no_private "$OUT" || fail "a public key grew private members: $OUT"
    pass
    jot jwk --thumbprint "$T/$alg.jwk"
    t1=$OUT
    jot jwk --thumbprint "$T/$alg.pub.jwk"
    [ "$t1" = "$OUT" ] || fail "private and public thumbprints differ"
    pass
done
expect_usage "jwk --public --private" jwk --public --private "$T/RS256.jwk"
expect_usage "jwk --public of an HMAC key" jwk --public "$(jot keygen --alg HS256 --out "$T/hs.jwk" && echo "$T/hs.jwk")"
expect_ok "jwk of an HMAC key" jwk "$T/hs.jwk"
json_get "$OUT" k >/dev/null || fail "jwk of an HMAC key lost k"
pass
expect_ok "jwk --kid" jwk --kid renamed "$T/EdDSA.jwk"
[ "$(json_get "$OUT" kid)" = renamed ] || fail "jwk --kid: $OUT"
json_get "$OUT" d >/dev/null || fail "jwk --kid dropped d"
pass
expect_ok "jwk --kid --public" jwk --kid renamed --public "$T/EdDSA.jwk"
[ "$(json_get "$OUT" kid)" = renamed ] || fail "jwk --kid --public: $OUT"
no_private "$OUT" || fail "jwk --kid --public: $OUT"
pass
expect_usage "jwk without FILE" jwk
expect_usage "jwk with two FILEs" jwk "$T/RS256.jwk" "$T/ES384.jwk"
expect_usage "jwk of a missing file" jwk "$T/nonexistent"
STDIN_FILE="$T/ES384.jwk" expect_ok "jwk - (stdin)" jwk --public -
no_private "$OUT" || fail "jwk --public -: $OUT"
pass

# ---- The RFC 7638 3.1 example. -------------------------------------------
expect_ok "thumbprint of the RFC 7638 3.1 key" jwk --thumbprint "$DATA/rfc7638-3.1.jwk"
[ "$OUT" = NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs ] || fail "RFC 7638 3.1 thumbprint: $OUT"
pass
expect_ok "thumbprint ignores kid" jwk --kid other --thumbprint "$DATA/rfc7638-3.1.jwk"
[ "$OUT" = NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs ] || fail "thumbprint with --kid: $OUT"
pass
expect_ok "jwk of the RFC 7638 key" jwk "$DATA/rfc7638-3.1.jwk"
json_subset "$OUT" "$(cat "$DATA/rfc7638-3.1.jwk")" || fail "the RFC 7638 key changed: $OUT"
pass

# ---- PEM kinds: SPKI, PKCS#8, PKCS#1, SEC1, certificate. ----------------
ossl() {
    openssl "$@" 2>"$T/openssl.err" || fail "openssl $*: $(cat "$T/openssl.err")"
}
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.p8.pem"
ossl pkey -in "$T/rsa.p8.pem" -traditional -out "$T/rsa.p1.pem"
grep -q 'BEGIN RSA PRIVATE KEY' "$T/rsa.p1.pem" || fail "openssl did not write PKCS#1"
ossl pkey -in "$T/rsa.p8.pem" -pubout -out "$T/rsa.spki.pem"
ossl req -x509 -new -key "$T/rsa.p8.pem" -subj /CN=jot-test -days 2 -out "$T/rsa.crt.pem"
for crv in P-256:ES256 P-384:ES384 P-521:ES512; do
    name=ec${crv%%:*}
    ossl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${crv%%:*}" -out "$T/$name.p8.pem"
    ossl pkey -in "$T/$name.p8.pem" -traditional -out "$T/$name.sec1.pem"
    grep -q 'BEGIN EC PRIVATE KEY' "$T/$name.sec1.pem" || fail "openssl did not write SEC1"
    ossl pkey -in "$T/$name.p8.pem" -pubout -out "$T/$name.spki.pem"
    ossl req -x509 -new -key "$T/$name.p8.pem" -subj /CN=jot-test -days 2 -out "$T/$name.crt.pem"
done
ossl genpkey -algorithm ED25519 -out "$T/ed.p8.pem"
ossl pkey -in "$T/ed.p8.pem" -pubout -out "$T/ed.spki.pem"
ossl req -x509 -new -key "$T/ed.p8.pem" -subj /CN=jot-test -days 2 -out "$T/ed.crt.pem"

# family ALG PRIVATE-FORMS... -- PUBLIC-FORMS...: every form gives the same
# key as cryptography reads it, the same thumbprint, and every private form
# signs a token that every form verifies.
family() {
    local alg=$1 base=$2
    shift 2
    local forms="$*" thumb= f g
    for f in $forms; do
        expect_ok "jwk --thumbprint $base.$f" jwk --thumbprint "$T/$base.$f.pem"
        [ -z "$thumb" ] || [ "$thumb" = "$OUT" ] || fail "$base.$f: thumbprint $OUT, $thumb for another form"
        thumb=$OUT
        expect_ok "jwk --public $base.$f" jwk --public "$T/$base.$f.pem"
        no_private "$OUT" || fail "$base.$f: $OUT"
        jwk_check "$OUT" "$T/$base.$f.pem" "$thumb" || fail "$base.$f: jot and cryptography disagree"
        pass
        case $f in spki | crt)
            expect_usage "sign with $base.$f (public)" sign --key "$T/$base.$f.pem" --alg "$alg"
            continue ;;
        esac
        expect_ok "jwk $base.$f (private)" jwk "$T/$base.$f.pem"
        json_get "$OUT" d >/dev/null || fail "jwk of a private PEM lost d"
        pass
        expect_ok "sign with $base.$f" sign --key "$T/$base.$f.pem" --alg "$alg" --sub "$base.$f"
        local tok=$OUT
        for g in $forms; do
            expect_ok "verify a $base.$f token with $base.$g" verify --key "$T/$base.$g.pem" --sub "$base.$f" "$tok"
        done
    done
}
family RS256 rsa p8 p1 spki crt
family PS512 rsa p1 crt
family ES256 ecP-256 p8 sec1 spki crt
family ES384 ecP-384 p8 sec1 spki crt
family ES512 ecP-521 p8 sec1 spki crt
family EdDSA ed p8 spki crt

# A certificate verifies, and the JWK of a PEM key carries no alg of its own.
jot jwk "$T/rsa.crt.pem"
json_get "$OUT" alg >/dev/null && fail "a PEM key got an alg: $OUT"
pass

# Refused PEM: encrypted, RSA 1024 (also in a certificate), garbage.
ossl pkey -in "$T/rsa.p8.pem" -aes256 -passout pass:secret -out "$T/rsa.enc.pem"
expect_usage "encrypted PEM" jwk "$T/rsa.enc.pem"
expect_usage "encrypted PEM for sign" sign --key "$T/rsa.enc.pem" --alg RS256
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/rsa1024.pem"
ossl req -x509 -new -key "$T/rsa1024.pem" -subj /CN=weak -days 2 -out "$T/rsa1024.crt.pem"
expect_usage "RSA 1024 PEM" jwk "$T/rsa1024.pem"
expect_usage "RSA 1024 certificate" jwk "$T/rsa1024.crt.pem"
sed 's/^M/X/' "$T/rsa.spki.pem" >"$T/broken.pem"
expect_usage "broken PEM" jwk "$T/broken.pem"
printf '{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}' >"$T/badpoint.jwk"
expect_usage "JWK with a bad point" jwk "$T/badpoint.jwk"
printf '{"kty":"RSA","n":"AQAB"}' >"$T/noe.jwk"
expect_usage "RSA JWK without e" jwk "$T/noe.jwk"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$T/huge.jwk"
expect_usage "key file over 1 MiB" jwk "$T/huge.jwk"

# ---- jwks: the public halves of several files. --------------------------
expect_ok "jwks of several files" jwks "$T/rsa.p1.pem" "$T/ecP-384.sec1.pem" "$T/ed.crt.pem" "$T/RS256.jwk" "$T/hs.jwk"
jwks=$OUT
case "$ERR" in "jot: note: "*) ;; *) fail "jwks: no note about the HMAC key left out: $ERR" ;; esac
$PY - "$jwks" <<'EOF' || fail "jwks output: $jwks"
import json, sys
s = json.loads(sys.argv[1])
keys = s["keys"]
assert list(s) == ["keys"], list(s)
assert [k["kty"] for k in keys] == ["RSA", "EC", "OKP", "RSA"], [k["kty"] for k in keys]
for k in keys:
    for m in ("d", "p", "q", "dp", "dq", "qi", "k"):
        assert m not in k, (m, k)
assert keys[1]["crv"] == "P-384"
assert keys[3]["alg"] == "RS256"
EOF
pass
printf '%s\n' "$jwks" >"$T/set.jwks"
# Each key of the set is the same key as its source file.
for i in 0:rsa.p1.pem 1:ecP-384.sec1.pem 2:ed.crt.pem; do
    $PY -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["keys"][int(sys.argv[2])]))' "$jwks" "${i%%:*}" >"$T/one.jwk"
    jwk_check "$(cat "$T/one.jwk")" "$T/${i#*:}" || fail "jwks key ${i%%:*} is not ${i#*:}"
    pass
done
expect_ok "jwks of a JWKS" jwks "$T/set.jwks"
$PY -c 'import json,sys; sys.exit(json.loads(sys.argv[1]) != json.loads(sys.argv[2]))' "$OUT" "$jwks" ||
    fail "jwks of a JWKS is not the same set: $OUT"
pass
expect_usage "jwks without FILE" jwks
expect_usage "jwks of a missing file" jwks "$T/rsa.p1.pem" "$T/nonexistent"
expect_usage "jwk of a JWKS of several keys" jwk "$T/set.jwks"

finish

#!/bin/bash
# tests/cli/sign_verify.sh - `jot sign` and `jot verify` against the
# contract: every algorithm round trip, every rejection code, the usage
# errors, --typ, --leeway, --now and tokens on stdin.
. "$(dirname "$0")/data/harness.bash"

ALGS="HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA"
NOW=1700000000
ISS=https://issuer.example

# ---- Every algorithm: keygen (JWK and PEM), sign, verify, tamper. -------
for alg in $ALGS; do
    expect_ok "$alg: keygen jwk" keygen --alg "$alg" --out "$T/$alg.jwk"
    [ "$(json_get "$(cat "$T/$alg.jwk")" alg)" = "$alg" ] || fail "$alg: the JWK from keygen does not name alg $alg"
    pass

    expect_ok "$alg: sign with the JWK (its alg)" sign --key "$T/$alg.jwk" --iss "$ISS" --sub alice --aud api \
        --jti "id-$alg" --exp 15m --iat --now "$NOW"
    tok=$OUT
    decode_header "$tok"
    json_subset "$HDR" "{\"alg\":\"$alg\",\"typ\":\"JWT\"}" || fail "$alg: header $HDR"
    kid=$(json_get "$(cat "$T/$alg.jwk")" kid) || fail "$alg: keygen JWK has no kid"
    [ "$(json_get "$HDR" kid)" = "$kid" ] || fail "$alg: the header kid is not the key's kid: $HDR"
    pass

    expect_ok "$alg: verify" verify --key "$T/$alg.jwk" --now "$NOW" --iss "$ISS" --aud api --sub alice "$tok"
    json_subset "$OUT" "{\"iss\":\"$ISS\",\"sub\":\"alice\",\"aud\":\"api\",\"jti\":\"id-$alg\",\"iat\":$NOW,\"exp\":$((NOW + 900))}" ||
        fail "$alg: verified claims $OUT"
    [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 1 ] || fail "$alg: claims not on one line"
    pass

    expect_reject bad-signature "$alg: tampered signature" --key "$T/$alg.jwk" --now "$NOW" "$(tamper_sig "$tok")"
    # The same header with another payload under the first signature.
    expect_ok "$alg: sign a second token" sign --key "$T/$alg.jwk" --sub mallory --iss "$ISS" --aud api \
        --jti "id-$alg" --exp 15m --iat --now "$NOW"
    other=$OUT
    spliced="${tok%%.*}.$(printf '%s' "$other" | cut -d. -f2).${tok##*.}"
    expect_reject bad-signature "$alg: payload swapped under a signature" --key "$T/$alg.jwk" --now "$NOW" "$spliced"
    expect_reject bad-signature "$alg: truncated signature" --key "$T/$alg.jwk" --now "$NOW" "$(truncate_sig "$tok")"
    expect_reject bad-signature "$alg: empty signature" --key "$T/$alg.jwk" --now "$NOW" "${tok%.*}."

    case $alg in
    HS*)
        expect_usage "$alg: keygen --format pem" keygen --alg "$alg" --format pem
        expect_usage "$alg: jwk --public of an HMAC key" jwk --public "$T/$alg.jwk"
        # Raw secret bytes: all of them, NUL and newline included.
        head -c 64 /dev/urandom >"$T/$alg.secret"
        printf '\0\n' >>"$T/$alg.secret"
        expect_ok "$alg: sign --secret-file" sign --secret-file "$T/$alg.secret" --alg "$alg" --sub bob
        tok=$OUT
        expect_ok "$alg: verify --secret-file" verify --secret-file "$T/$alg.secret" "$tok"
        json_subset "$OUT" '{"sub":"bob"}' || fail "$alg: claims $OUT"
        head -c 64 "$T/$alg.secret" >"$T/$alg.secret-short"
        expect_reject bad-signature "$alg: the secret without its last two bytes" \
            --secret-file "$T/$alg.secret-short" "$tok"
        ;;
    *)
        expect_ok "$alg: keygen pem" keygen --alg "$alg" --format pem --out "$T/$alg.pem"
        grep -q -- '^-----BEGIN PRIVATE KEY-----$' "$T/$alg.pem" || fail "$alg: keygen --format pem is not PKCS#8"
        pass
        openssl pkey -in "$T/$alg.pem" -pubout -out "$T/$alg.spki.pem" 2>"$T/openssl.err" ||
            fail "$alg: openssl cannot read jot's PEM: $(cat "$T/openssl.err")"
        expect_usage "$alg: sign with a PEM key and no --alg" sign --key "$T/$alg.pem"
        expect_ok "$alg: sign with the PEM key" sign --key "$T/$alg.pem" --alg "$alg" --sub carol --kid pem-1
        tok=$OUT
        decode_header "$tok"
        [ "$(json_get "$HDR" kid)" = pem-1 ] || fail "$alg: --kid not in the header: $HDR"
        pass
        expect_ok "$alg: verify with the SPKI public key" verify --key "$T/$alg.spki.pem" "$tok"
        json_subset "$OUT" '{"sub":"carol"}' || fail "$alg: claims $OUT"
        expect_reject bad-signature "$alg: tampered, PEM key" --key "$T/$alg.spki.pem" "$(tamper_sig "$tok")"
        expect_ok "$alg: jwk --public" jwk --public "$T/$alg.jwk"
        printf '%s\n' "$OUT" >"$T/$alg.pub.jwk"
        expect_ok "$alg: verify with the public JWK" verify --key "$T/$alg.pub.jwk" --now "$NOW" \
            "$(STDIN_FILE= jot sign --key "$T/$alg.jwk" --sub dave && printf '%s' "$OUT")"
        json_subset "$OUT" '{"sub":"dave"}' || fail "$alg: claims $OUT"
        expect_usage "$alg: sign with a public key" sign --key "$T/$alg.spki.pem" --alg "$alg"
        expect_usage "$alg: sign with a public JWK" sign --key "$T/$alg.pub.jwk"
        ;;
    esac
done

# Ed448 as well, through --bits 448.
expect_ok "Ed448: keygen" keygen --alg EdDSA --bits 448 --out "$T/ed448.jwk"
[ "$(json_get "$(cat "$T/ed448.jwk")" crv)" = Ed448 ] || fail "keygen --bits 448 is not Ed448"
expect_ok "Ed448: sign" sign --key "$T/ed448.jwk" --sub erin
expect_ok "Ed448: verify" verify --key "$T/ed448.jwk" "$OUT"

# A key bound to one algorithm refuses another.
expect_usage "ES384 key, --alg ES256" sign --key "$T/ES384.jwk" --alg ES256
expect_usage "RSA key, --alg ES256" sign --key "$T/RS256.pem" --alg ES256
expect_usage "EC key, --alg HS256" sign --key "$T/ES256.pem" --alg HS256

# ---- Every rejection code. ---------------------------------------------
head -c 32 /dev/urandom >"$T/s32"
head -c 64 /dev/urandom >"$T/s64"
S="--secret-file $T/s32"
hs() { # sign with the 32-byte secret; the token in TOK
    jot sign --secret-file "$T/s32" --alg HS256 "$@"
    [ "$RC" -eq 0 ] || fail "sign $*: exit $RC: $ERR"
    TOK=$OUT
}
hs --sub alice
good=$TOK
expect_ok "HS256 good token" verify $S "$good"

# malformed
expect_reject malformed "one segment" $S abc
expect_reject malformed "two segments" $S "${good%.*}"
expect_reject malformed "four segments" $S "$good.$(b64url x)"
expect_reject malformed "empty token" $S ""
expect_reject malformed "bad base64url in the payload" $S "${good%%.*}.e!!.${good##*.}"
expect_reject malformed "white space inside" $S "${good%%.*}. ${good#*.}"
expect_reject malformed "header a JSON array" $S "$(craft '["alg","HS256"]' '{}' "$T/s32")"
expect_reject malformed "header not JSON" $S "$(craft '{"alg":"HS256"' '{}' "$T/s32")"
expect_reject malformed "payload a JSON string" $S "$(craft '{"alg":"HS256"}' '"hello"' "$T/s32")"
expect_reject malformed "payload not JSON" $S "$(craft '{"alg":"HS256"}' 'sub=alice' "$T/s32")"
expect_reject malformed "duplicate payload member" $S "$(craft '{"alg":"HS256"}' '{"sub":"a","sub":"b"}' "$T/s32")"
expect_reject malformed "duplicate header member" $S "$(craft '{"alg":"HS256","alg":"HS256"}' '{}' "$T/s32")"
expect_reject malformed "invalid UTF-8 in the payload" $S "$(craft '{"alg":"HS256"}' $'{"sub":"\xff\xfe"}' "$T/s32")"
deep=$(printf '[%.0s' $(seq 1 500))$(printf ']%.0s' $(seq 1 500))
expect_reject malformed "nesting too deep" $S "$(craft '{"alg":"HS256"}' "{\"x\":$deep}" "$T/s32")"
expect_reject malformed "exp a string" $S "$(craft '{"alg":"HS256"}' '{"exp":"tomorrow"}' "$T/s32")"
expect_reject malformed "iss a number" $S "$(craft '{"alg":"HS256"}' '{"iss":42}' "$T/s32")"
expect_reject malformed "aud an array with a number" $S "$(craft '{"alg":"HS256"}' '{"aud":["a",1]}' "$T/s32")"

# too-large
expect_reject too-large "--max-size below the token" $S --max-size 40 "$good"
expect_ok "--max-size exactly the token" verify $S --max-size ${#good} "$good"
big=$(craft '{"alg":"HS256"}' "{\"pad\":\"$(head -c 70000 /dev/zero | tr '\0' a)\"}" "$T/s32")
expect_reject too-large "over the default 65536" $S "$big"
expect_ok "--max-size raised" verify $S --max-size 100000 "$big"
# The size is checked first: a huge malformed token is too large.
expect_reject too-large "size before structure" $S --max-size 10 "not-a-token-at-all"

# alg-not-allowed
expect_reject alg-not-allowed "alg none" $S "$(b64url '{"alg":"none"}').$(b64url '{"sub":"a"}')."
expect_reject alg-not-allowed "alg None" $S "$(craft '{"alg":"None"}' '{}' "$T/s32")"
expect_reject alg-not-allowed "alg unknown" $S "$(craft '{"alg":"HS257"}' '{}' "$T/s32")"
expect_reject alg-not-allowed "alg missing" $S "$(craft '{"typ":"JWT"}' '{}' "$T/s32")"
expect_reject alg-not-allowed "alg not a string" $S "$(craft '{"alg":256}' '{}' "$T/s32")"
expect_reject alg-not-allowed "alg lower case" $S "$(craft '{"alg":"hs256"}' '{}' "$T/s32")"
expect_reject alg-not-allowed "HS256 token, --alg HS512" --secret-file "$T/s64" --alg HS512 \
    "$(craft '{"alg":"HS256"}' '{}' "$T/s64")"
expect_reject alg-not-allowed "RS256 token, EC key, no --alg" --key "$T/ES256.jwk" \
    "$(jot sign --key "$T/RS256.jwk" && printf '%s' "$OUT")"
expect_reject alg-not-allowed "HS256 token against an RSA public key" --key "$T/RS256.spki.pem" \
    "$(craft '{"alg":"HS256"}' '{}' "$T/RS256.spki.pem")"
expect_reject alg-not-allowed "PS256 token, JWK bound to RS256" --key "$T/RS256.pub.jwk" \
    "$(jot sign --key "$T/RS256.pem" --alg PS256 && printf '%s' "$OUT")"
# RSA/HMAC confusion with HS256 allowed explicitly: the RSA key never
# becomes an HMAC secret, so no key serves the token.
expect_reject no-key "HS256 token, RSA public key, --alg HS256" --key "$T/RS256.spki.pem" --alg HS256 \
    "$(craft '{"alg":"HS256"}' '{}' "$T/RS256.spki.pem")"
expect_reject no-key "ES256 token, RSA key, --alg ES256" --key "$T/RS256.spki.pem" --alg ES256 \
    "$(jot sign --key "$T/ES256.pem" --alg ES256 && printf '%s' "$OUT")"

# no-key
expect_ok "keygen HS256 with kid k1" keygen --alg HS256 --kid k1 --out "$T/k1.jwk"
expect_ok "sign with kid k2" sign --key "$T/k1.jwk" --kid k2 --sub a
expect_reject no-key "kid not found" --key "$T/k1.jwk" "$OUT"
expect_ok "sign with kid k1" sign --key "$T/k1.jwk" --sub a
expect_ok "kid found" verify --key "$T/k1.jwk" "$OUT"
jot sign --key "$T/RS256.pem" --alg RS256
rs_tok=$OUT
expect_reject no-key "RS256 allowed, only an EC key" --key "$T/ES256.spki.pem" --alg RS256,ES256 "$rs_tok"
jot sign --key "$T/ES256.pem" --alg ES256 --kid "$(json_get "$(cat "$T/ES384.jwk")" kid)"
kid384=$OUT
expect_reject no-key "kid names a key of another type" --key "$T/ES256.jwk" --key "$T/ES384.jwk" \
    --alg ES256,ES384 "$kid384"
# With several keys the token's kid picks one: a key without a kid is not
# picked by a kid it does not carry. A lone key is the one whatever the kid.
expect_reject no-key "kid unknown among several keys, one without kid" --key "$T/ES256.spki.pem" \
    --key "$T/ES384.jwk" --alg ES256,ES384 "$kid384"
expect_ok "kid unknown, a lone key without kid" verify --key "$T/ES256.spki.pem" "$kid384"

# bad-signature beats every claim failure.
hs --sub alice --exp 60 --now 1000
expect_reject expired "expired" $S --now 2000 "$TOK"
expect_reject bad-signature "bad signature and expired" $S --now 2000 "$(tamper_sig "$TOK")"
expect_reject bad-signature "bad signature and wrong issuer" $S --iss other "$(tamper_sig "$good")"
expect_reject bad-signature "HS256 token under another secret" --secret-file "$T/s64" --alg HS256 "$good"

# crit-unsupported
expect_reject crit-unsupported "crit names an unknown parameter" $S \
    "$(craft '{"alg":"HS256","crit":["urn:example:x"],"urn:example:x":1}' '{}' "$T/s32")"
expect_reject crit-unsupported "crit not an array" $S "$(craft '{"alg":"HS256","crit":"exp"}' '{}' "$T/s32")"
expect_reject crit-unsupported "crit empty" $S "$(craft '{"alg":"HS256","crit":[]}' '{}' "$T/s32")"
expect_reject crit-unsupported "crit names a parameter that is absent" $S \
    "$(craft '{"alg":"HS256","crit":["urn:example:y"]}' '{}' "$T/s32")"

# expired / not-yet-valid / issued-in-future, with --now and --leeway.
hs --exp 60 --now 1000 # exp = 1060
expect_ok "exp: before" verify $S --now 1059 "$TOK"
expect_reject expired "exp: at exp" $S --now 1060 "$TOK"
expect_ok "exp: within --leeway" verify $S --now 1069 --leeway 10 "$TOK"
expect_reject expired "exp: beyond --leeway" $S --now 1070 --leeway 10 "$TOK"
expect_reject expired "exp: the real clock is past 1060" $S "$TOK"
hs --nbf 100 --now 1000 # nbf = 1100
expect_reject not-yet-valid "nbf: before" $S --now 1099 "$TOK"
expect_ok "nbf: at nbf" verify $S --now 1100 "$TOK"
expect_ok "nbf: within --leeway" verify $S --now 1095 --leeway 5 "$TOK"
expect_reject not-yet-valid "nbf: beyond --leeway" $S --now 1094 --leeway 5 "$TOK"
hs --iat --now 5000
expect_reject issued-in-future "iat after now" $S --now 4999 "$TOK"
expect_ok "iat at now" verify $S --now 5000 "$TOK"
expect_ok "iat within --leeway" verify $S --now 4990 --leeway 10 "$TOK"
expect_reject issued-in-future "iat beyond --leeway" $S --now 4989 --leeway 10 "$TOK"
expect_ok "negative --now" verify $S --now -5 "$good"

# issuer, audience, subject, type, required claims.
hs --iss "$ISS" --sub alice --aud api --jti j1
expect_ok "all expectations met" verify $S --iss "$ISS" --sub alice --aud api --require jti,sub "$TOK"
expect_reject bad-issuer "iss differs" $S --iss https://other.example "$TOK"
expect_reject bad-issuer "iss differs by case" $S --iss HTTPS://ISSUER.EXAMPLE "$TOK"
expect_reject bad-audience "aud differs" $S --aud web "$TOK"
expect_reject bad-subject "sub differs" $S --sub bob "$TOK"
expect_reject missing-claim "--require of an absent claim" $S --require jti,nonce "$TOK"
hs --claims '{"aud":["web","api"]}'
expect_ok "aud array contains" verify $S --aud api "$TOK"
expect_reject bad-audience "aud array does not contain" $S --aud mobile "$TOK"
hs --sub alice
expect_reject missing-claim "--iss, no iss" $S --iss "$ISS" "$TOK"
expect_reject missing-claim "--aud, no aud" $S --aud api "$TOK"
hs --iss "$ISS"
expect_reject missing-claim "--sub, no sub" $S --sub alice "$TOK"
expect_reject missing-claim "--require exp, no exp" $S --require exp "$TOK"

# --typ: case-insensitive, application/ prefix optional (RFC 7515 4.1.9).
hs --typ at+jwt
decode_header "$TOK"
[ "$(json_get "$HDR" typ)" = at+jwt ] || fail "--typ not in the header: $HDR"
pass
expect_ok "typ equal" verify $S --typ at+jwt "$TOK"
expect_ok "typ other case" verify $S --typ AT+JWT "$TOK"
expect_ok "typ with application/" verify $S --typ application/at+jwt "$TOK"
expect_ok "typ with Application/ and case" verify $S --typ Application/At+Jwt "$TOK"
expect_reject bad-type "typ differs" $S --typ JWT "$TOK"
expect_reject bad-type "typ differs only by a suffix" $S --typ at "$TOK"
hs --typ application/at+jwt
expect_ok "header with application/, --typ without" verify $S --typ at+jwt "$TOK"
hs
decode_header "$TOK"
[ "$(json_get "$HDR" typ)" = JWT ] || fail "default typ is not JWT: $HDR"
pass
hs --typ ''
decode_header "$TOK"
json_get "$HDR" typ >/dev/null && fail "--typ '' still wrote a typ: $HDR"
pass
expect_ok "no typ, no --typ" verify $S "$TOK"
expect_reject bad-type "no typ header, --typ given" $S --typ JWT "$TOK"

# Claims from --claims: inline, @FILE and stdin; options override them.
printf '{"sub":"from-file","scope":["read","write"],"n":{"a":1}}' >"$T/claims.json"
hs --claims "@$T/claims.json" --sub override
expect_ok "--claims @FILE" verify $S "$TOK"
json_subset "$OUT" '{"sub":"override","scope":["read","write"],"n":{"a":1}}' || fail "claims $OUT"
STDIN_FILE="$T/claims.json" hs --claims -
expect_ok "--claims -" verify $S "$TOK"
json_subset "$OUT" '{"sub":"from-file","n":{"a":1}}' || fail "claims $OUT"
expect_usage "--claims not JSON" sign $S --alg HS256 --claims 'sub=alice'
expect_usage "--claims an array" sign $S --alg HS256 --claims '[1]'
expect_usage "--claims exp a string" sign $S --alg HS256 --claims '{"exp":"soon"}'
expect_usage "--claims duplicate member" sign $S --alg HS256 --claims '{"a":1,"a":2}'
expect_usage "--claims @missing file" sign $S --alg HS256 --claims "@$T/nonexistent.json"
for d in 900:900 15m:900 2h:7200 30d:2592000 45s:45 0:0; do
    hs --exp "${d%%:*}" --now 1000
    expect_ok "--exp ${d%%:*}" verify $S --now 999 "$TOK"
    json_subset "$OUT" "{\"exp\":$((1000 + ${d##*:}))}" || fail "--exp ${d%%:*}: claims $OUT"
done
for d in 15x -5 '' 1.5h m 99999999999999999999; do
    expect_usage "--exp '$d'" sign $S --alg HS256 --exp "$d"
done

# Tokens on stdin: surrounding white space is ignored, inner is not.
printf '  \n\t%s \r\n\n' "$good" >"$T/tok.txt"
STDIN_FILE="$T/tok.txt" expect_ok "token on stdin (no argument)" verify $S
json_subset "$OUT" '{"sub":"alice"}' || fail "stdin: claims $OUT"
STDIN_FILE="$T/tok.txt" expect_ok "token on stdin (-)" verify $S -
printf '%s\n' "${good%%.*}.${good#*.}" | sed 's/\./.\n/' >"$T/tok-split.txt"
STDIN_FILE="$T/tok-split.txt" expect_reject malformed "newline inside a token on stdin" $S
head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' >"$T/huge.txt"
STDIN_FILE="$T/huge.txt" expect_reject too-large "over 1 MiB on stdin" $S
STDIN_FILE="$T/huge.txt" expect_rc 1 "decode of over 1 MiB on stdin" decode
case "$ERR" in "jot: too-large: "*) ;; *) fail "decode of a huge stdin: $ERR" ;; esac
pass
printf '' >"$T/empty.txt"
STDIN_FILE="$T/empty.txt" expect_reject malformed "empty stdin" $S
expect_ok "white space around an argument token" verify $S "$(printf ' \t%s\n ' "$good")"
expect_reject bad-signature "a character after the signature" $S "${good}A"

# Several keys: the kid picks one; without kid every fitting key is tried.
expect_ok "keygen ES256 (2)" keygen --alg ES256 --kid second --out "$T/ES256-2.jwk"
expect_ok "sign with the second key" sign --key "$T/ES256-2.jwk" --sub two
tok2=$OUT
expect_ok "two --key, kid picks" verify --key "$T/ES256.jwk" --key "$T/ES256-2.jwk" "$tok2"
expect_ok "sign without kid" sign --key "$T/ES256.pem" --alg ES256 --sub nokid
nokid=$OUT
decode_header "$nokid"
json_get "$HDR" kid >/dev/null && fail "a PEM key put a kid in the header: $HDR"
pass
expect_ok "two keys, no kid: each tried" verify --key "$T/ES256-2.jwk" --key "$T/ES256.spki.pem" "$nokid"
jot jwks "$T/ES256-2.jwk" "$T/ES256.pem" "$T/RS256.pem"
[ "$RC" -eq 0 ] || fail "jwks: $ERR"
printf '%s\n' "$OUT" >"$T/set.jwks"
expect_ok "a JWKS, kid" verify --key "$T/set.jwks" "$tok2"
expect_ok "a JWKS, no kid" verify --key "$T/set.jwks" "$nokid"
expect_ok "a JWKS, RSA" verify --key "$T/set.jwks" "$rs_tok"
expect_ok "secret and key together" verify --key "$T/ES256.jwk" $S "$good"

# ---- Usage errors: exit 2. ----------------------------------------------
expect_usage "verify without a key" verify "$good"
expect_usage "verify, unknown option" verify --frobnicate $S "$good"
expect_usage "verify, option missing its value" verify $S --iss
expect_usage "verify --alg none" verify $S --alg none "$good"
expect_usage "verify --alg HS256,none" verify $S --alg HS256,none "$good"
expect_usage "verify --alg unknown" verify $S --alg HS999 "$good"
expect_usage "verify --alg empty element" verify $S --alg HS256, "$good"
expect_usage "verify --leeway not a number" verify $S --leeway soon "$good"
expect_usage "verify --leeway negative" verify $S --leeway -5 "$good"
expect_usage "verify --now not a number" verify $S --now yesterday "$good"
expect_usage "verify --max-size 0" verify $S --max-size 0 "$good"
expect_usage "verify --require empty" verify $S --require '' "$good"
expect_usage "verify, two tokens" verify $S "$good" "$good"
expect_usage "verify, key file missing" verify --key "$T/nonexistent.pem" "$good"
expect_usage "verify, key file a directory" verify --key "$T" "$good"
printf 'not a key' >"$T/junk.key"
expect_usage "verify, key file junk" verify --key "$T/junk.key" "$good"
expect_reject alg-not-allowed "verify, --alg fits no key, an HS256 token" --key "$T/ES256.jwk" --alg RS256 "$good"
expect_usage "verify HS512 with a 32-byte secret" verify $S --alg HS512 "$good"
printf '0123456789abcdef' >"$T/s16"
expect_usage "verify with a 16-byte HMAC secret" verify --secret-file "$T/s16" "$good"
case "$ERR" in *0123456789abcdef*) fail "the HMAC secret was printed: $ERR" ;; esac
pass
expect_usage "sign with a 16-byte HMAC secret" sign --secret-file "$T/s16" --alg HS256
case "$ERR" in *0123456789abcdef*) fail "the HMAC secret was printed: $ERR" ;; esac
pass
expect_usage "sign HS512 with a 32-byte secret" sign $S --alg HS512
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/rsa1024.pem" 2>/dev/null ||
    fail "openssl cannot make an RSA 1024 key"
openssl pkey -in "$T/rsa1024.pem" -pubout -out "$T/rsa1024.pub.pem" 2>/dev/null || fail "openssl pkey -pubout"
expect_usage "verify with an RSA 1024 public key" verify --key "$T/rsa1024.pub.pem" "$rs_tok"
expect_usage "sign with an RSA 1024 key" sign --key "$T/rsa1024.pem" --alg RS256
expect_usage "keygen RSA 1024" keygen --alg RS256 --bits 1024
expect_usage "sign without a key" sign --alg HS256
expect_usage "sign with two keys" sign $S --key "$T/ES256.pem" --alg HS256
expect_usage "sign --alg none" sign $S --alg none
expect_usage "sign, no --alg for a secret" sign $S
expect_usage "sign, stray argument" sign $S --alg HS256 extra
expect_usage "sign, unknown option" sign $S --alg HS256 --frobnicate
expect_usage "sign --now junk" sign $S --alg HS256 --now 12ab
expect_usage "sign from a JWKS of several keys without --kid" sign --key "$T/set.jwks" --alg ES256

finish

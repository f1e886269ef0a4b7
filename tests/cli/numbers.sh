#!/bin/bash
# tests/cli/numbers.sh - numbers in claims: any JSON number (RFC 8259 6) in
# a claim jot does not interpret, signed and printed exactly as written so
# that outputs compare as text; exp, nbf and iat numbers within int64
# seconds (fractions allowed, RFC 7519 2), else malformed.
. "$(dirname "$0")/data/harness.bash"

NOW=1700000000
head -c 32 /dev/urandom >"$T/s32"
S="--secret-file $T/s32"

# expect_claims DESC WANT VERIFY-ARGS...: verify exits 0 and prints WANT,
# byte for byte.
expect_claims() {
    local desc=$1 want=$2
    shift 2
    expect_ok "$desc" verify $S --now "$NOW" "$@"
    [ "$OUT" = "$want" ] || fail "$desc: printed $OUT, want $want"
    pass
}

# ---- sign -> verify keeps every number's text ----------------------------
for claims in \
    '{"id":18446744073709551615}' \
    '{"id":18446744073709551615,"neg":-9223372036854775809,"big":123456789012345678901234567890}' \
    '{"a":5.01,"b":1e300,"c":1E+5,"d":-0,"e":-0.0,"f":0.1e-2,"g":2.50}' \
    '{"inf":1e400,"tiny":1e-400,"n":[18446744073709551616,{"x":-1e999}]}' \
    '{"exp":1700000000.5,"iat":1699999999.25,"nbf":-0}'; do
    expect_ok "sign $claims" sign $S --alg HS256 --claims "$claims"
    tok=$OUT
    expect_claims "verify $claims" "$claims" "$tok"
    expect_ok "decode $claims" decode "$tok"
    [ "$OUT" = "{\"header\":{\"alg\":\"HS256\",\"typ\":\"JWT\"},\"payload\":$claims}" ] ||
        fail "decode $claims: $OUT"
    pass
done
# The same through stdin and @FILE.
printf '{"id": 18446744073709551615, "x": 5.01}\n' >"$T/claims.json"
expect_ok "sign --claims @FILE" sign $S --alg HS256 --claims "@$T/claims.json"
expect_claims "verify, claims from a file" '{"id":18446744073709551615,"x":5.01}' "$OUT"

# ---- a token made elsewhere: white space between tokens goes, the rest stays
expect_claims "white space and numbers" '{"id":18446744073709551615,"r":[1.10,-0],"s":"a b"}' \
    "$(craft '{"alg":"HS256"}' $'{ "id" : 18446744073709551615 ,\n\t"r":[ 1.10 , -0 ],"s":"a b" }' "$T/s32")"
expect_claims "strings escaped as before" '{"s":"é/\u001F\"A"}' \
    "$(craft '{"alg":"HS256"}' '{"s":"\u00e9\/\u001f\"\u0041"}' "$T/s32")"
expect_claims "a big number in the header" '{"sub":"a"}' \
    "$(craft '{"alg":"HS256","x":18446744073709551615}' '{"sub":"a"}' "$T/s32")"

# ---- NumericDates ------------------------------------------------------------
date_tok() { craft '{"alg":"HS256"}' "$1" "$T/s32"; }
expect_claims "exp a fraction, not yet reached" '{"exp":1700000000.5}' "$(date_tok '{"exp":1700000000.5}')"
expect_reject expired "exp a fraction, passed" $S --now 1700000001 "$(date_tok '{"exp":1700000000.5}')"
expect_reject expired "exp in exponent form" $S --now "$NOW" "$(date_tok '{"exp":17e8}')"
expect_claims "exp the largest int64" '{"exp":9223372036854775807}' "$(date_tok '{"exp":9223372036854775807}')"
expect_reject expired "exp the smallest int64" $S --now "$NOW" "$(date_tok '{"exp":-9223372036854775808}')"
for bad in 9223372036854775808 -9223372036854775809 18446744073709551615 1e19 1e300 -1e300 1e400; do
    expect_reject malformed "exp $bad" $S --now "$NOW" "$(date_tok "{\"exp\":$bad}")"
    case "$ERR" in *'"exp" is out of range'*) ;; *) fail "exp $bad: the detail does not say why: $ERR" ;; esac
    pass
done
expect_reject malformed "nbf 1e300" $S --now "$NOW" "$(date_tok '{"nbf":1e300}')"
expect_reject malformed "iat 2^64" $S --now "$NOW" "$(date_tok '{"iat":18446744073709551616}')"
expect_reject malformed "exp a string" $S --now "$NOW" "$(date_tok '{"exp":"1800000000"}')"
case "$ERR" in *'"exp" is not a number'*) ;; *) fail "exp a string: $ERR" ;; esac
pass
# A bad signature still wins over an absurd exp.
expect_reject bad-signature "bad signature and exp 1e300" $S --now "$NOW" \
    "$(tamper_sig "$(date_tok '{"exp":1e300}')")"

# ---- sign refuses the NumericDates that verify refuses ------------------------
for bad in '{"exp":1e300}' '{"exp":9223372036854775808}' '{"nbf":-1e400}' '{"iat":"now"}'; do
    expect_usage "sign $bad" sign $S --alg HS256 --claims "$bad"
    case "$ERR" in *"exp/nbf/iat"*) ;; *) fail "sign $bad: $ERR" ;; esac
    pass
done

finish

#!/bin/sh
# bench/crosscheck.sh BIN_DIR - every contestant's token verifies with every
# other contestant, and with PyJWT as an outside referee.
#
# For each algorithm, each program found in BIN_DIR (floor, jot-bench,
# peer-libjwt, peer-cjose) signs one token with `emit` (which runs its
# self-checks first), and each program then verifies it with `check`, which
# also compares every claim and header member with the workload. PyJWT
# (Debian's python3-jwt, run by /usr/bin/python3) does the same from outside.
# A program that cannot do an algorithm exits 3 and is left out.
#
# This is what makes the figures comparable: all contestants sign the same
# claims with the same keys, and none of them measures a no-op. Exit status:
# 0 when every pair passes, 1 otherwise.
set -u
BIN=${1:?usage: crosscheck.sh BIN_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
export JOT_BENCH_KEYS="${JOT_BENCH_KEYS:-$HERE/keys}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

names=""
for p in floor:floor libjot:jot-bench libjwt:peer-libjwt cjose:peer-cjose; do
  name=${p%%:*} exe=$BIN/${p#*:}
  if [ -x "$exe" ]; then names="$names $name"; eval "exe_$name=\$exe"; fi
done

pyjwt=no
if /usr/bin/python3 -c 'import jwt, cryptography' 2>/dev/null; then pyjwt=yes; fi

pycheck() { # ALG TOKEN_FILE
  /usr/bin/python3 - "$1" "$2" "$JOT_BENCH_KEYS" <<'PY'
import sys, jwt
alg, path, keys = sys.argv[1:4]
key = {"HS256": "hs256.secret", "RS256": "rs256.pub.pem", "ES256": "es256.pub.pem", "EdDSA": "eddsa.pub.pem"}[alg]
with open(keys + "/" + key, "rb") as f:
    key = f.read()
with open(path) as f:
    token = f.read().strip()
want = {"iss": "https://auth.example.com", "sub": "1234591", "aud": "api.example.com", "name": "Mary Poppins",
        "role": "editor", "iat": 1764000000, "exp": 4102444800, "jti": "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"}
header = jwt.get_unverified_header(token)
claims = jwt.decode(token, key, algorithms=[alg], audience=want["aud"], issuer=want["iss"])
if claims != want or header != {"alg": alg, "typ": "JWT", "kid": "k1"}:
    sys.exit("claims or header differ: %r %r" % (header, claims))
PY
}

fail=0
for alg in HS256 RS256 ES256 EdDSA; do
  for s in $names; do
    eval "sexe=\$exe_$s"
    "$sexe" "$alg" emit >"$TMP/tok" 2>"$TMP/err"
    rc=$?
    if [ $rc -eq 3 ]; then continue; fi
    if [ $rc -ne 0 ]; then
      echo "$alg  $s cannot sign (exit $rc): $(head -c 300 "$TMP/err")"
      fail=1
      continue
    fi
    line="$alg  signed by $s, verified by:"
    for v in $names; do
      eval "vexe=\$exe_$v"
      "$vexe" "$alg" check "$TMP/tok" >/dev/null 2>"$TMP/err"
      rc=$?
      case $rc in
        0) line="$line $v ok," ;;
        3) ;;
        *) line="$line $v FAILED ($(head -c 200 "$TMP/err" | tr '\n' ' '))," ; fail=1 ;;
      esac
    done
    if [ $pyjwt = yes ]; then
      if pycheck "$alg" "$TMP/tok" >/dev/null 2>"$TMP/err"; then line="$line pyjwt ok"
      else line="$line pyjwt FAILED ($(tail -n 1 "$TMP/err"))"; fail=1; fi
    else
      line="$line (pyjwt not installed)"
    fi
    echo "${line%,}"
  done
done
if [ $fail -ne 0 ]; then echo "cross-check: FAILED"; else echo "cross-check: all passed"; fi
exit $fail

#!/bin/bash
# tests/cli/help.sh - every command's --help, --version, unknown commands,
# and the man page: it renders without warnings and documents every option
# that a --help lists.
. "$(dirname "$0")/data/harness.bash"

CMDS="sign verify decode keygen jwk jwks"

expect_ok "jot --help" --help
for c in $CMDS; do
    case "$OUT" in *"  $c "*) ;; *) fail "jot --help does not list $c: $OUT" ;; esac
done
pass
expect_ok "jot -h" -h
expect_ok "jot help" help
expect_ok "jot --version" --version
[[ "$OUT" =~ ^jot\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "jot --version: $OUT"
pass

for c in $CMDS; do
    expect_ok "jot $c --help" "$c" --help
    case "$OUT" in "Usage: jot $c"*) ;; *) fail "jot $c --help does not start with its usage: $OUT" ;; esac
    [ -z "$ERR" ] || fail "jot $c --help wrote on stderr: $ERR"
    pass
    help=$OUT
    expect_ok "jot $c -h" "$c" -h
    [ "$OUT" = "$help" ] || fail "jot $c -h differs from --help"
    pass
    expect_ok "jot help $c" help "$c"
    [ "$OUT" = "$help" ] || fail "jot help $c differs from jot $c --help"
    pass
    expect_usage "jot $c, unknown option" "$c" --no-such-option
    case "$ERR" in *no-such-option*) ;; *) fail "jot $c: the unknown option is not named: $ERR" ;; esac
    pass
    expect_usage "jot $c, unknown short option" "$c" -Z
    case "$ERR" in *"-Z"*) ;; *) fail "jot $c: the unknown option -Z is not named: $ERR" ;; esac
    pass
    printf '%s\n' "$help" >"$T/help.$c"
done

# An option that lacks its value is named as given.
for c in "sign --key" "verify --iss" "verify --key" "keygen --alg" "jwk --kid" "decode --max-size"; do
    expect_usage "jot $c without its value" $c
    case "$ERR" in *"option ${c#* } needs a value"*) ;; *) fail "jot $c: $ERR" ;; esac
    pass
done

expect_usage "jot without a command" 
expect_usage "unknown command" frobnicate
expect_usage "unknown global option" --frobnicate
expect_usage "jot help of an unknown command" help frobnicate

# The man page: renders cleanly, and names every command and every long
# option that the --help texts list, and every rejection code.
MAN="$DATA/../../../docs/jot.1"
[ -f "$MAN" ] || fail "no man page at docs/jot.1"
if command -v groff >/dev/null; then
    warn=$(groff -man -ww -z -Tutf8 "$MAN" 2>&1)
    [ -z "$warn" ] || fail "groff warns about docs/jot.1: $warn"
    pass
fi
text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$MAN")
for c in $CMDS; do
    for opt in $(grep -o -- '--[a-z][a-z-]*' "$T/help.$c" | sort -u); do
        case "$text" in *"$opt"*) ;; *) fail "docs/jot.1 does not mention $c's option $opt" ;; esac
    done
    case "$text" in *"jot $c"* | *".B $c"*) ;; *) fail "docs/jot.1 does not document jot $c" ;; esac
    pass
done
for code in malformed too-large alg-not-allowed no-key bad-signature crit-unsupported expired not-yet-valid \
    issued-in-future bad-issuer bad-audience bad-subject bad-type missing-claim; do
    case "$text" in *"$code"*) ;; *) fail "docs/jot.1 does not document the rejection code $code" ;; esac
done
pass

finish

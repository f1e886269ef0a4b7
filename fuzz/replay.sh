#!/usr/bin/env bash
# Replay the committed corpus of every fuzz target once (and the inputs saved
# in fuzz/findings/<target>/, which fail until their bug is fixed): each
# input runs through the target's property checks under AddressSanitizer and
# UndefinedBehaviorSanitizer, as a normal test. No fuzzing, no new inputs.
#
# Usage: fuzz/replay.sh BIN_DIR [TARGET...]
#   BIN_DIR  where the fuzz_* binaries are (build-fuzz/fuzz-bin)
# Exit 0 when every input of every target passes, 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: replay.sh BIN_DIR [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in "$here"/corpus/*/; do targets+=("$(basename "$d")"); done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fail=0
for t in "${targets[@]}"; do
  if [ ! -x "$bin/$t" ]; then
    echo "FAIL $t: no binary $bin/$t"
    fail=1
    continue
  fi
  files=()
  for d in "$here/corpus/$t" "$here/findings/$t"; do
    [ -d "$d" ] || continue
    while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$d" -type f ! -name 'README*' -print0 | sort -z)
  done
  if [ ${#files[@]} -eq 0 ]; then
    echo "FAIL $t: no inputs"
    fail=1
    continue
  fi
  # libFuzzer runs each file argument once; a batch keeps argv short.
  ok=1
  for ((i = 0; i < ${#files[@]}; i += 200)); do
    if ! timeout 600 "$bin/$t" -timeout=10 -rss_limit_mb=2048 "${files[@]:i:200}" >"$log" 2>&1; then
      ok=0
      break
    fi
  done
  if [ $ok = 1 ]; then
    echo "ok   $t: ${#files[@]} inputs"
  else
    echo "FAIL $t:"
    grep -E 'Running:|fuzz property failed|ERROR: |SUMMARY|runtime error' "$log" | tail -5
    tail -40 "$log"
    fail=1
  fi
done
exit $fail

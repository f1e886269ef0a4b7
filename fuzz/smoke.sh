#!/usr/bin/env bash
# The CI fuzz smoke: fuzz/smoke.sh [SECONDS]  (default 60)
#
# Builds every fuzz target (clang, ASan + UBSan, its own build directory),
# replays the committed corpus once (fuzz/replay.sh: every input that ever
# mattered, fast), then fuzzes each target for SECONDS starting from the
# committed corpus only (what earlier runs in this build directory found is
# discarded first, so every smoke starts from the same place). Two targets
# run at once (JOT_FUZZ_PARALLEL) on the two cores: with 7 targets and the
# default 60 s that is about 4 minutes of fuzzing plus the build.
#
# Exit 0 when nothing was found; 1 on any finding (crash, failed property,
# leak, UB, timeout, out of memory): the input is saved under
# fuzz/findings/TARGET/ and the logs in BUILD/logs/; 2 when the build fails.
#
# Environment: JOT_FUZZ_SMOKE_BUILD (default build-fuzz-smoke in the
# repository), JOT_FUZZ_PARALLEL (default 2), CC (default clang).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
secs=${1:-60}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
  echo "usage: fuzz/smoke.sh [SECONDS]" >&2
  exit 2
fi
build=${JOT_FUZZ_SMOKE_BUILD:-$root/build-fuzz-smoke}
export JOT_FUZZ_BUILD=$build
export JOT_FUZZ_PARALLEL=${JOT_FUZZ_PARALLEL:-2}
start=$(date +%s)

mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=${CC:-clang} cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1 || {
    tail -20 "$build/configure.log"
    echo "fuzz/smoke: configuring failed (clang, libFuzzer and the -dev packages are needed)" >&2
    exit 2
  }
fi
cmake --build "$build" -j 2 --target fuzz >"$build/fuzz-build.log" 2>&1 || {
  tail -30 "$build/fuzz-build.log"
  echo "fuzz/smoke: the build failed" >&2
  exit 2
}
echo "fuzz/smoke: built in $(($(date +%s) - start))s"

"$here/replay.sh" "$build/fuzz-bin" || {
  echo "fuzz/smoke: the committed corpus fails (see above)" >&2
  exit 1
}

rm -rf "$build/corpus"
"$here/run" "$secs"
rc=$?
echo "fuzz/smoke: $([ $rc = 0 ] && echo ok || echo FAILED) in $(($(date +%s) - start))s"
exit $rc

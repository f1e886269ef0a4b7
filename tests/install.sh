#!/usr/bin/env bash
# Install into a temporary prefix, then build the examples the way a user
# would: with pkg-config, and with CMake's find_package(jot).
set -eu
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib/x86_64-linux-gnu/pkgconfig"
pkg-config --cflags --libs jot
for ex in sign verify; do
  cc -std=c11 -Wall -Wextra -Werror "$src/examples/$ex.c" $(pkg-config --cflags --libs jot) -o "$tmp/$ex"
done
# The examples run against the installed shared library.
libdir=$(pkg-config --variable=libdir jot)
"$tmp/prefix/bin/jot" keygen --alg ES256 --kid k1 --out "$tmp/key.jwk"
"$tmp/prefix/bin/jot" jwks "$tmp/key.jwk" > "$tmp/jwks.json"
tok=$(LD_LIBRARY_PATH=$libdir "$tmp/sign" "$tmp/key.jwk" alice)
out=$(LD_LIBRARY_PATH=$libdir "$tmp/verify" "$tmp/jwks.json" https://auth.example.com api.example.com "$tok")
[ "$out" = "sub: alice" ] || { echo "unexpected: $out"; exit 1; }
out=$(LD_LIBRARY_PATH=$libdir "$tmp/verify" "$tmp/jwks.json" https://auth.example.com other.example "$tok" || true)
case "$out" in
  "rejected: bad-audience:"*) ;;
  *) echo "unexpected: $out"; exit 1 ;;
esac

# find_package(jot) from a CMake project.
mkdir -p "$tmp/proj"
cat > "$tmp/proj/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.20)
project(use_jot C)
find_package(jot REQUIRED)
add_executable(verify $src/examples/verify.c)
target_link_libraries(verify jot::jot)
CM
cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/proj/build" >/dev/null
echo "install: 1 passed, 0 failed"

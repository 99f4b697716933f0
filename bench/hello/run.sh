#!/usr/bin/env bash
# Warm-start time of a WASI hello world: `atoll run hello.wasm` with the compile cache filled,
# side by side with the native program and node's node:wasi, in one hyperfine run.
#   bench/hello/run.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
work=$build/bench-hello
mkdir -p "$work"
export XDG_CACHE_HOME=$work/cache
clang-19 --target=wasm32-wasi --sysroot=/usr -O2 "$here/hello.c" -o "$work/hello.wasm"
clang-19 -O2 "$here/hello.c" -o "$work/hello.native"
"$build/atoll" run "$work/hello.wasm" >/dev/null  # fills the cache
commands=(-n native "$work/hello.native" -n "atoll run (warm cache)" "$build/atoll run $work/hello.wasm")
if command -v node >/dev/null; then
  commands+=(-n "node node:wasi" "node --no-warnings $here/node_wasi.mjs $work/hello.wasm")
fi
# 300 runs each; hyperfine's own summary rounds to 0.1 ms, so the figures come from its CSV.
hyperfine -N --warmup 20 --runs 300 --export-csv "$work/hello.csv" "${commands[@]}" > /dev/null 2>&1
awk -F, 'NR > 1 { printf "%-24s mean %6.3f ms  median %6.3f ms  min %6.3f ms\n", $1, $2 * 1000, $4 * 1000, $7 * 1000 }' "$work/hello.csv"

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
hyperfine -N --warmup 5 --runs 40 "${commands[@]}" 2>/dev/null | grep -E '^Benchmark|Time \(mean'

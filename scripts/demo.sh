#!/usr/bin/env bash
# atoll's main job on the bundled examples: set up and build, compile C to WebAssembly, and run it
# sandboxed with `atoll run`, granting it one directory; then the ahead-of-time path on a
# freestanding guest (compile to an artifact, call an export).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target atoll atoll-compiler
mkdir -p build/examples/data
clang-19 --target=wasm32-wasi --sysroot=/usr -O2 examples/hello/hello.c -o build/examples/hello.wasm
build/atoll validate build/examples/hello.wasm
echo "== atoll run --dir build/examples/data::. hello.wasm atoll-user"
build/atoll run --dir build/examples/data::. build/examples/hello.wasm atoll-user
clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -Wl,--export=fib \
  examples/fib/fib.c -o build/examples/fib.wasm
build/atoll compile build/examples/fib.wasm -o build/examples/fib.atoll
echo "== atoll run --allow-precompiled --invoke fib fib.atoll 40"
build/atoll run --allow-precompiled --invoke fib build/examples/fib.atoll 40

#!/usr/bin/env bash
# atoll's main job on the bundled examples: set up and build, compile C to WebAssembly, check
# and inspect it, compile it ahead of time to native code, and run it in a sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target atoll
mkdir -p build/examples
clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -Wl,--export=fib \
  examples/fib/fib.c -o build/examples/fib.wasm
build/atoll validate build/examples/fib.wasm
build/atoll inspect build/examples/fib.wasm | sed -n '/^Exports/,/^$/p'
build/atoll compile build/examples/fib.wasm -o build/examples/fib.atoll
echo "fib(40) computed in the sandbox:"
time build/atoll run --invoke fib build/examples/fib.atoll 40

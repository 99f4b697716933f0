#!/usr/bin/env bash
# atoll's main job on the bundled example: set up, build, compile examples/hello/hello.c to
# WebAssembly, then validate and inspect it with atoll.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target atoll
mkdir -p build/examples
clang-19 --target=wasm32-wasi --sysroot=/usr -O2 examples/hello/hello.c -o build/examples/hello.wasm
build/atoll validate build/examples/hello.wasm
echo "build/examples/hello.wasm is valid"
build/atoll inspect build/examples/hello.wasm

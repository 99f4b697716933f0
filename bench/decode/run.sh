#!/usr/bin/env bash
# Decode+validate speed: atoll vs wabt's wasm-validate on one large real module, side by side in
# one hyperfine run. Prints MB/s for both and the ratio.
#
#   bench/decode/run.sh [BUILD_DIR]      (default: build; needs build/atoll)
#
# The module is a generated C program (bench/decode/gen_program.cpp, ~9,000 functions) compiled
# with clang-19 --target=wasm32-wasi -O2; it is cached in BUILD_DIR/bench-decode/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
work=$build/bench-decode
mkdir -p "$work"

atoll=$build/atoll
[ -x "$atoll" ] || { echo "run.sh: $atoll not found; build first" >&2; exit 2; }
for tool in clang++-19 clang-19 wasm-validate hyperfine; do
  command -v $tool >/dev/null || { echo "run.sh: $tool not found (see README)" >&2; exit 2; }
done

wasm=$work/large.wasm
if [ ! -s "$wasm" ] || [ "$here/gen_program.cpp" -nt "$wasm" ]; then
  echo "building the benchmark module (takes about 30 s)..."
  clang++-19 -O2 -o "$work/gen_program" "$here/gen_program.cpp"
  "$work/gen_program" 3000 > "$work/large.c"
  clang-19 --target=wasm32-wasi --sysroot=/usr -O2 "$work/large.c" -o "$wasm" -lm
fi
"$atoll" validate "$wasm"
wasm-validate "$wasm"

size=$(stat -c %s "$wasm")
code=$("$atoll" inspect "$wasm" | awk '$1=="code" {print $4}' | sed 's/(size=//; s/)//')
printf 'module: %s, %d bytes (code section %d bytes)\n' "$wasm" "$size" "$((code))"

csv=$work/hyperfine.csv
hyperfine --warmup 3 --min-runs 20 -N --export-csv "$csv" \
  -n atoll "$atoll validate $wasm" \
  -n wasm-validate "wasm-validate $wasm" >/dev/null

awk -F, -v size="$size" 'NR > 1 { mean[$1] = $2 }
  END {
    a = size / mean["atoll"] / 1e6; w = size / mean["wasm-validate"] / 1e6
    printf "atoll validate : %8.2f ms  %8.1f MB/s\n", mean["atoll"] * 1e3, a
    printf "wasm-validate  : %8.2f ms  %8.1f MB/s\n", mean["wasm-validate"] * 1e3, w
    printf "ratio          : atoll is %.1fx faster (whole process, file read included)\n", a / w
  }' "$csv"

#!/usr/bin/env bash
# SIMD workloads in bench/simd (base64: explicit wasm SIMD intrinsics; imgproc: loops compilers
# auto-vectorise), each built three ways and run side by side in one hyperfine run: wasm with
# -msimd128 under atoll, wasm without SIMD under atoll, and native (x86-64-v2). Checks the three
# checksums agree and prints the speed-up SIMD gives under atoll.
#   bench/simd/run.sh [BUILD_DIR] [WORKLOAD...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
shift || true
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(base64 imgproc)
atoll=$build/atoll
work=$build/bench-simd
mkdir -p "$work"
[ -x "$atoll" ] || { echo "run.sh: $atoll not found; build first" >&2; exit 2; }
wasm_flags=(--target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -Wl,--export=run)
for w in "${workloads[@]}"; do
  echo "== $w =="
  src=$here/$w.c
  clang-19 "${wasm_flags[@]}" -msimd128 "$src" -o "$work/$w-simd.wasm"
  clang-19 "${wasm_flags[@]}" -mno-simd128 "$src" -o "$work/$w-scalar.wasm"
  clang-19 -O2 -march=x86-64-v2 "$src" "$here/../programs/native_main.c" -o "$work/$w-native"
  "$atoll" compile "$work/$w-simd.wasm" -o "$work/$w-simd.atoll"
  "$atoll" compile "$work/$w-scalar.wasm" -o "$work/$w-scalar.atoll"
  simd_ops=$(wasm-objdump -d "$work/$w-simd.wasm" | grep -cE '(i8x16|i16x8|i32x4|i64x2|f32x4|f64x2|v128)\.' || true)
  echo "SIMD instructions in the -msimd128 build: $simd_ops"
  n=$("$work/$w-native"); s=$("$atoll" run --allow-precompiled --invoke run "$work/$w-simd.atoll" | sed 's/ (0x.*)$//'); c=$("$atoll" run --allow-precompiled --invoke run "$work/$w-scalar.atoll" | sed 's/ (0x.*)$//')
  [ "$n" = "$s" ] && [ "$n" = "$c" ] || { echo "checksum mismatch: native $n simd $s scalar $c" >&2; exit 1; }
  hyperfine -N --warmup 1 --runs 5 --export-csv "$work/$w.csv" \
    -n native "$work/$w-native" \
    -n atoll-simd "$atoll run --allow-precompiled --invoke run $work/$w-simd.atoll" \
    -n atoll-scalar "$atoll run --allow-precompiled --invoke run $work/$w-scalar.atoll" >/dev/null 2>&1
  awk -F, 'NR > 1 { m[$1] = $2 } END {
    printf "native (scalar C, x86-64-v2) %8.1f ms\n", m["native"] * 1000
    printf "atoll, wasm with SIMD        %8.1f ms  (%.2fx native)\n", m["atoll-simd"] * 1000, m["atoll-simd"] / m["native"]
    printf "atoll, wasm without SIMD     %8.1f ms  (%.2fx native)\n", m["atoll-scalar"] * 1000, m["atoll-scalar"] / m["native"]
    printf "SIMD speed-up under atoll: %.2fx\n", m["atoll-scalar"] / m["atoll-simd"] }' "$work/$w.csv"
  echo "checksum $n"
done

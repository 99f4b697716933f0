#!/usr/bin/env bash
# What interruption costs: the six programs of bench/programs compiled plain, with epoch checks
# and with fuel metering, run side by side in one hyperfine run per program.
#   bench/interrupt/run.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
atoll=$build/atoll
work=$build/bench-interrupt
mkdir -p "$work"
printf '%-10s %10s %10s %10s %9s %9s\n' program plain_ms epoch_ms fuel_ms epoch fuel
e_ratios=() f_ratios=()
for p in matmul nbody sha256 quicksort hashtable strsearch; do
  clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -Wl,--export=run \
    "$here/../programs/$p.c" -o "$work/$p.wasm"
  "$atoll" compile "$work/$p.wasm" -o "$work/$p.plain.atoll"
  "$atoll" compile --epoch-interruption "$work/$p.wasm" -o "$work/$p.epoch.atoll"
  "$atoll" compile --consume-fuel "$work/$p.wasm" -o "$work/$p.fuel.atoll"
  hyperfine -N --warmup 1 --runs 5 --export-csv "$work/$p.csv" \
    -n plain "$atoll run --allow-precompiled --invoke run $work/$p.plain.atoll" \
    -n epoch "$atoll run --allow-precompiled --epoch-interruption --invoke run $work/$p.epoch.atoll" \
    -n fuel "$atoll run --allow-precompiled --consume-fuel --invoke run $work/$p.fuel.atoll" >/dev/null 2>&1
  read -r pl ep fu < <(awk -F, 'NR > 1 { m[$1] = $2 } END { print m["plain"], m["epoch"], m["fuel"] }' "$work/$p.csv")
  er=$(awk -v a="$ep" -v b="$pl" 'BEGIN { printf "%.3f", a / b }')
  fr=$(awk -v a="$fu" -v b="$pl" 'BEGIN { printf "%.3f", a / b }')
  e_ratios+=("$er") f_ratios+=("$fr")
  printf '%-10s %10.1f %10.1f %10.1f %9s %9s\n' "$p" "$(awk -v s="$pl" 'BEGIN{print s*1000}')" \
    "$(awk -v s="$ep" 'BEGIN{print s*1000}')" "$(awk -v s="$fu" 'BEGIN{print s*1000}')" "$er" "$fr"
done
printf '%s\n' "${e_ratios[@]}" | awk '{ s += log($1); n++ } END { printf "epoch checks: geometric mean %.3f (cost %.1f%%)\n", exp(s/n), (exp(s/n) - 1) * 100 }'
printf '%s\n' "${f_ratios[@]}" | awk '{ s += log($1); n++ } END { printf "fuel metering: geometric mean %.3f (cost %.1f%%)\n", exp(s/n), (exp(s/n) - 1) * 100 }'

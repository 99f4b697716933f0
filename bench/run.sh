#!/usr/bin/env bash
# First speed check: each program in bench/programs built natively and for wasm32 with
# clang-19 -O2, run natively and under atoll side by side (bench/min_times.sh: fastest of RUNS
# runs each, 10 by default), checksums compared, time ratio per program and the geometric mean
# printed.
#
#   bench/run.sh [BUILD_DIR] [PROGRAM...]     (default build dir: build; needs build/atoll)
#   bench/run.sh [BUILD_DIR] kernels           the numeric kernels in bench/kernels (issue 15)
#   BOUNDS=explicit bench/run.sh ...           atoll with explicit bounds checks (default: guard)
#   CPU=native bench/run.sh ...                 both sides for this machine's CPU level (default:
#                                               x86-64-v2, atoll compile's portable default)
# A PROGRAM is a file name without .c in bench/programs or bench/kernels.
#
# Native code is compiled for the same CPU level as atoll's artifact (x86-64-v2 by default, as
# `atoll compile` does), so the ratio measures the sandbox and the translation, not a different
# instruction set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-$root/build}
shift || true
atoll=$build/atoll
work=$build/bench
mkdir -p "$work"
[ -x "$atoll" ] || { echo "run.sh: $atoll not found; build first" >&2; exit 2; }
for tool in clang-19 hyperfine; do
  command -v $tool >/dev/null || { echo "run.sh: $tool not found (scripts/install-deps.sh --bench)" >&2; exit 2; }
done
cpu=${CPU:-x86-64-v2}
programs=("$@")
[ ${#programs[@]} -gt 0 ] || programs=(matmul nbody sha256 quicksort hashtable strsearch)
[ "${programs[*]}" = kernels ] && programs=(gemm stencil reduce lcs floyd)

printf '%-10s %12s %12s %8s  %s\n' program native_ms atoll_ms ratio checksum
ratios=()
for p in "${programs[@]}"; do
  src=$here/programs/$p.c
  [ -f "$src" ] || src=$here/kernels/$p.c
  [ -f "$src" ] || { echo "run.sh: no program $p in bench/programs or bench/kernels" >&2; exit 2; }
  clang-19 -O2 -march="$cpu" "$src" "$here/programs/native_main.c" -o "$work/$p.native"
  clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -Wl,--export=run "$src" -o "$work/$p.wasm"
  "$atoll" compile -O 2 --bounds "${BOUNDS:-guard}" --target-cpu "$cpu" "$work/$p.wasm" -o "$work/$p.atoll"
  want=$("$work/$p.native")
  got=$("$atoll" run --allow-precompiled --invoke run "$work/$p.atoll" | sed 's/ (0x.*)$//')  # a negative i32 also shows its bits
  if [ "$want" != "$got" ]; then
    echo "$p: checksum mismatch: native $want, atoll $got" >&2
    exit 1
  fi
  read -r native_s atoll_s < <("$here/min_times.sh" "$work/$p" "${RUNS:-10}" -n native "$work/$p.native" \
    -n atoll "$atoll run --allow-precompiled --invoke run $work/$p.atoll" |
    awk '{ m[$1] = $2 } END { print m["native"], m["atoll"] }')
  ratio=$(awk -v a="$atoll_s" -v n="$native_s" 'BEGIN { printf "%.3f", a / n }')
  ratios+=("$ratio")
  printf '%-10s %12.1f %12.1f %8s  %s\n' "$p" "$(awk -v s="$native_s" 'BEGIN{print s*1000}')" \
    "$(awk -v s="$atoll_s" 'BEGIN{print s*1000}')" "$ratio" "$want"
done
printf '%s\n' "${ratios[@]}" | awk '{ s += log($1); n++ } END { printf "geometric mean (atoll / native): %.3f over %d programs\n", exp(s / n), n }'

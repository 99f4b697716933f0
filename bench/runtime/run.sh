#!/usr/bin/env bash
# The density numbers in one run: build/atoll_runtime_bench with 5 repetitions (medians), then
# for every benchmark run on one and two threads, the two-thread rate over the one-thread rate.
#   bench/runtime/run.sh [BUILD_DIR] [extra benchmark flags...]
set -euo pipefail
build=${1:-$(cd "$(dirname "$0")/../.." && pwd)/build}
shift || true
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$build/atoll_runtime_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=0.3 "$@" | tee "$out"
echo
echo "scaling (two threads' combined rate / one thread's rate, medians):"
# Lines look like: BM_Name/real_time/threads:N_median  <time> <unit> ...
awk '$1 ~ /\/real_time\/threads:[12]_median$/ {
       name = $1; sub(/\/real_time\/threads:[12]_median$/, "", name)
       t = $2; unit = $3
       if (unit == "us") t *= 1000; else if (unit == "ms") t *= 1e6
       if ($1 ~ /threads:1_/) one[name] = t; else two[name] = t
     }
     END { for (n in one) if (n in two) printf "  %-52s %5.2fx  (%.0f ns -> %.0f ns per instance)\n", n, one[n] / two[n], one[n], two[n] }' "$out" | sort

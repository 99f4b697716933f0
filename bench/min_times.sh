#!/usr/bin/env bash
# Times commands side by side and prints each one's fastest run, "NAME SECONDS" a line.
#   bench/min_times.sh CSV_PREFIX RUNS -n NAME COMMAND [-n NAME COMMAND ...]
# Two hyperfine passes of RUNS/2 runs each, the second in the reverse order, so a burst of load
# from the VM's neighbours lands on both sides. The minimum, not the mean: these programs are
# deterministic, so a slower run is interference (the mean of 5 runs moved by 30-50% between
# identical runs on the 2-vCPU machines), while the fastest run is what the code costs.
set -euo pipefail
prefix=$1 runs=$2
shift 2
names=() cmds=()
while [ $# -gt 0 ]; do
  [ "$1" = -n ] && [ $# -ge 3 ] || { echo "min_times.sh: expected -n NAME COMMAND, got '$1'" >&2; exit 2; }
  names+=("$2") cmds+=("$3")
  shift 3
done
forward=() reverse=()
for i in "${!names[@]}"; do forward+=(-n "${names[$i]}" "${cmds[$i]}"); done
for ((i = ${#names[@]} - 1; i >= 0; i--)); do reverse+=(-n "${names[$i]}" "${cmds[$i]}"); done
half=$(((runs + 1) / 2))
hyperfine -N --warmup 1 --runs "$half" --export-csv "$prefix.1.csv" "${forward[@]}" > /dev/null 2>&1
hyperfine -N --warmup 1 --runs "$half" --export-csv "$prefix.2.csv" "${reverse[@]}" > /dev/null 2>&1
# hyperfine's CSV: command,mean,stddev,median,user,system,min,max
awk -F, 'FNR > 1 && (!($1 in m) || $7 < m[$1]) { m[$1] = $7 } END { for (k in m) print k, m[k] }' "$prefix.1.csv" "$prefix.2.csv"

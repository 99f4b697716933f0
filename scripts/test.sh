#!/usr/bin/env bash
# Sets up, builds and runs every test: unit tests, the official spec suite and atoll's own
# scripts (one ctest test each), CLI checks, the same under ASan+UBSan, and a short fuzzing run.
#   scripts/test.sh            everything (what CI runs)
#   FUZZ_SECONDS=0 scripts/test.sh   skip the fuzzing run
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

echo "== release build (warnings are errors) =="
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci -j "$jobs"

echo "== ASan + UBSan build =="
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan -j "$jobs"

fuzz_seconds=${FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" -gt 0 ]; then
  echo "== fuzzing decode+validate for ${fuzz_seconds}s =="
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  # New inputs go to the scratch directory; the checked-in corpus is only read.
  build-fuzz/fuzz_decode_validate -max_total_time="$fuzz_seconds" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 "$scratch" fuzz/corpus/decode_validate 2>&1 | tail -n 12
  echo "== fuzzing compile+load of valid modules for 20s =="
  mkdir -p "$scratch/compile"
  build-fuzz/fuzz_compile_load -max_total_time=20 -max_len=8192 -timeout=30 -rss_limit_mb=4096 \
    -print_final_stats=1 "$scratch/compile" fuzz/corpus/compile_load fuzz/corpus/decode_validate 2>&1 | tail -n 6
  echo "== fuzzing artifacts (hostile .atoll files) for 20s =="
  mkdir -p "$scratch/artifact"
  build-fuzz/fuzz_artifact -max_total_time=20 -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 "$scratch/artifact" fuzz/corpus/artifact 2>&1 | tail -n 6
  echo "== fuzzing the WAGI/CGI translation for 10s =="
  mkdir -p "$scratch/cgi"
  build-fuzz/fuzz_cgi -max_total_time=10 -max_len=4096 -timeout=10 -print_final_stats=1 "$scratch/cgi" 2>&1 | tail -n 4
  echo "== fuzzing atoll serve's TOML configuration for 10s =="
  mkdir -p "$scratch/serve_config"
  build-fuzz/fuzz_serve_config -max_total_time=10 -max_len=4096 -timeout=10 -print_final_stats=1 \
    "$scratch/serve_config" fuzz/corpus/serve_config 2>&1 | tail -n 4
fi
echo "all tests passed"

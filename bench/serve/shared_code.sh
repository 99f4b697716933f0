#!/usr/bin/env bash
# Memory for code when several `atoll serve` processes serve the same modules on one host: 1 and
# then 4 processes (SO_REUSEPORT: all on one port), each serving the same 3 modules, with the
# compile cache (each module's code is one file that every process maps: shared page-cache
# pages) and with --no-cache (each process relocates a private copy: the old behaviour).
# "Code" is every executable mapping of a module: the cache's *.code files, or anonymous r-x
# mappings. Counted as PSS (a page shared by k processes counts 1/k in each), summed over the
# processes, so the sum is the memory the host really spends.
#   bench/serve/shared_code.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
atoll=$build/atoll
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export XDG_CACHE_HOME="$work/cache"

# Three handlers: two small ones and a large generated one (2,000 functions, about 1 MiB of code).
wasi=(clang-19 --target=wasm32-wasi --sysroot=/usr -O2)
"${wasi[@]}" -o "$work/hello.wasm" "$root/examples/serve/hello.c"
"${wasi[@]}" -o "$work/handler.wasm" "$root/tests/server/guests/handler.c"
{
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  for i in $(seq 0 1999); do
    echo "__attribute__((noinline)) unsigned f$i(unsigned x) { for (unsigned k = 0; k < (x & 7) + $((i % 5 + 1)); ++k)" \
         "x = (x * $((i * 2 + 3))u) ^ (x >> $((i % 13 + 1))) ^ (x << $((i % 7 + 1))) ^ $i; return x; }"
  done
  echo 'typedef unsigned (*fn)(unsigned);'
  printf 'static const fn table[] = {'
  for i in $(seq 0 1999); do printf 'f%d,' "$i"; done
  echo '};'
  echo 'int main(void) { const char* q = getenv("QUERY_STRING"); unsigned x = q ? (unsigned)atoi(q) : 1, h = 0;'
  echo '  for (unsigned i = 0; i < 2000; ++i) h ^= table[(x + i) % 2000](x + i);'
  echo '  printf("Content-Type: text/plain\n\n%u\n", h); return 0; }'
} > "$work/big.c"
"${wasi[@]}" -o "$work/big.wasm" "$work/big.c"
cat > "$work/atoll.toml" << EOF
addr = "127.0.0.1:18191"
log_requests = false
workers = 1
max_instances = 64
[[route]]
path = "/hello"
module = "hello.wasm"
[[route]]
path = "/big"
module = "big.wasm"
[[route]]
path = "/..."
module = "handler.wasm"
EOF

code_pss_kib() {  # code_pss_kib PID...: PSS of module code mappings, summed
  for p in "$@"; do cat "/proc/$p/smaps"; done | awk '
    /^[0-9a-f]+-[0-9a-f]+ / { code = ($2 == "r-xp") && ($6 == "" || $6 ~ /\.code$/) }
    code && /^Pss:/ { kib += $2 }
    END { print kib + 0 }'
}
total_pss_kib() { for p in "$@"; do awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup"; done | awk '{ s += $1 } END { print s }'; }

measure() {  # measure N FLAGS...: N processes on one port; prints "code_kib total_kib"
  local n=$1
  shift
  local started=()
  for _ in $(seq "$n"); do
    "$atoll" serve --config "$work/atoll.toml" "$@" 2>> "$work/serve.log" &
    started+=($!)
    pids+=($!)
    # One at a time: the first fills the cache, the others find it.
    for _ in $(seq 400); do
      ss -ltnp 2> /dev/null | grep -q "pid=${started[-1]}," && break
      sleep 0.05
    done
  done
  for _ in $(seq $((20 * n))); do  # requests spread over the processes by the kernel
    for path in /hello /big?7 /env; do curl -s -o /dev/null "http://127.0.0.1:18191$path"; done
  done
  echo "$(code_pss_kib "${started[@]}") $(total_pss_kib "${started[@]}")"
  kill "${started[@]}"
  wait "${started[@]}" 2> /dev/null || true
}

echo "# memory for code: N atoll serve processes, same 3 modules, one port ($(date -u +%F))"
echo
printf '| %-34s | %9s | %9s | %13s | %13s |\n' setup "1 proc" "4 procs" "4 / 1 (code)" "total PSS 1/4"
printf '|%s|\n' "------------------------------------|-----------|-----------|---------------|---------------"
for mode in shared private; do
  flags=()
  [ $mode = private ] && flags=(--no-cache)
  read -r c1 t1 <<< "$(measure 1 "${flags[@]}")"
  read -r c4 t4 <<< "$(measure 4 "${flags[@]}")"
  label="code shared through the cache"
  [ $mode = private ] && label="private copies (--no-cache)"
  printf '| %-34s | %6d KiB | %6d KiB | %12.2fx | %5d/%5d MiB |\n' "$label" "$c1" "$c4" \
    "$(awk -v a="$c4" -v b="$c1" 'BEGIN { print a / b }')" $((t1 / 1024)) $((t4 / 1024))
done

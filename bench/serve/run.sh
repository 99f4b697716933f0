#!/usr/bin/env bash
# atoll serve against the servers it replaces, side by side in one run on this machine, with the
# same client (wrk, one thread: the client gets CPU 0, the servers the rest; PIN=0 shares them):
#   - atoll serve: examples/serve/hello.c as a WAGI handler, a fresh sandbox per request
#   - nginx serving the same bytes as a static file (the ceiling: no code runs per request)
#   - node's http module (cluster, one process per core)
#   - the same hello compiled natively as classic CGI under nginx + fcgiwrap (a process per
#     request: what sandboxing without containers replaces)
# Each at 64 and 1,000 connections: req/s, p50/p99/p99.9 (wrk, closed loop); then nginx, atoll
# and node at a fixed rate (FIXED_RATE, default 20,000 req/s) over 64 connections (atoll-rate,
# open loop): latency percentiles below saturation. Then atoll alone:
#   - 10,000 connections whose handler sleeps 1 s, all sent at once (atoll-burst): time until
#     the last answer and the server's RSS growth; two bursts on a fresh server (the first
#     touches every pool slot and fiber stack for the first time), and on one started with
#     --prewarm (which does that at start)
#   - hello latency while a CPU-bound handler per worker runs into its deadline (504)
#   [PIN=0] bench/serve/run.sh [BUILD_DIR] [SECONDS](scripts/install-deps.sh --bench installs wrk,
#                                                 nginx-light, fcgiwrap, nodejs)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
secs=${2:-10}
atoll=$build/atoll
burst=$build/atoll-burst
rate=$build/atoll-rate
for tool in wrk nginx fcgiwrap node clang-19 "$atoll" "$burst" "$rate"; do
  command -v "$tool" > /dev/null || { echo "missing: $tool (scripts/install-deps.sh --bench; build atoll and atoll-burst)"; exit 1; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2> /dev/null || true
  pkill -f "fcgiwrap -s unix:$work/" 2> /dev/null || true  # its children too
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export XDG_CACHE_HOME="$work/cache"
# The client gets CPU 0 and the servers the others (PIN=0: everything shares every CPU). On a
# small machine a load generator sharing the servers' CPUs measures the scheduler: with three
# busy threads on two CPUs one always waits, a time slice at a time, and that wait (not the
# server) sets p99, for nginx as much as for atoll (2026-12-06: p99 1.5-4.5 ms for both,
# changing from one start to the next, against 0.9-1.6 ms pinned).
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ]; then
  client=(taskset -c 0)
  server=(taskset -c "1-$(($(nproc) - 1))")
else
  client=(env)
  server=(env)
fi
cores=$("${server[@]}" nproc)  # the servers' CPUs: one worker (process) per CPU each

# --- the handlers ------------------------------------------------------------------------------
wasi=(clang-19 --target=wasm32-wasi --sysroot=/usr -O2)
"${wasi[@]}" -o "$work/hello.wasm" "$root/examples/serve/hello.c"
"${wasi[@]}" -o "$work/sleep.wasm" "$root/bench/serve/sleep.c"
"${wasi[@]}" -o "$work/spin.wasm" "$root/bench/serve/spin.c"
clang-19 -O2 -o "$work/hello.cgi" "$root/examples/serve/hello.c"
mkdir -p "$work/www" "$work/logs"
printf 'hello from a fresh sandbox: GET /\n' > "$work/www/index.txt"

# --- the servers -------------------------------------------------------------------------------
P_ATOLL=18181 P_NGINX=18182 P_NODE=18183 P_CGI=18184 P_SLEEP=18185 P_MIX=18186
wait_port() { for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done; echo "no server on $1"; exit 1; }

"${server[@]}" "$atoll" serve --quiet --addr 127.0.0.1:$P_ATOLL "$work/hello.wasm" 2> "$work/atoll.log" &
pids+=($!)
"${server[@]}" fcgiwrap -s "unix:$work/fcgiwrap.sock" -c $((4 * cores)) &  # children: fork+exec per request
pids+=($!)
cat > "$work/nginx.conf" <<EOF
user $(id -un) $(id -gn);
worker_processes $cores;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 8192; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$P_NGINX;
    location / { root $work/www; default_type text/plain; try_files /index.txt =404; }
  }
  server {
    listen 127.0.0.1:$P_CGI;
    location / {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $work/hello.cgi;
      fastcgi_pass unix:$work/fcgiwrap.sock;
    }
  }
}
EOF
"${server[@]}" nginx -p "$work" -c "$work/nginx.conf" -g 'daemon on;' 2> /dev/null
"${server[@]}" node "$root/bench/serve/hello.js" $P_NODE &
pids+=($!)
for p in $P_ATOLL $P_NGINX $P_NODE $P_CGI; do wait_port $p; done
for p in $P_ATOLL $P_NGINX $P_NODE $P_CGI; do
  body=$(curl -s "http://127.0.0.1:$p/")
  [ "$body" = "hello from a fresh sandbox: GET /" ] || { echo "port $p answers '$body'"; exit 1; }
done

# --- hello, side by side -----------------------------------------------------------------------
measure() {  # measure PORT CONNECTIONS -> "rps p50 p99 p999 errors"
  "${client[@]}" wrk -t1 -c"$2" -d1s "http://127.0.0.1:$1/" > /dev/null 2>&1 || true  # warm-up
  "${client[@]}" wrk -t1 -c"$2" -d"${secs}s" --timeout 10s -s "$root/bench/serve/percentiles.lua" "http://127.0.0.1:$1/" |
    sed -n 's/^RESULT rps=\([0-9]*\) p50=\([0-9.]*\) p99=\([0-9.]*\) p999=\([0-9.]*\) errors=\([0-9]*\) non2xx=\([0-9]*\)/\1 \2 \3 \4 \5 \6/p'
}
echo "# atoll serve vs nginx, node, fork+exec CGI: hello, $secs s per run, wrk -t1, $(nproc) CPUs, $([ "${server[0]}" = env ] && echo "servers and client sharing them" || echo "servers on CPUs ${server[2]}, client on CPU 0") ($(date -u +%F))"
echo
printf '| %-22s | %5s | %8s | %8s | %8s | %8s | %6s | %-9s |\n' server conns req/s p50_ms p99_ms p99.9_ms errors vs_nginx
printf '|%s|\n' "------------------------|-------|----------|----------|----------|----------|--------|-----------"
for conns in 64 1000; do
  declare -A rps=()
  for name in nginx-static atoll node fcgiwrap-cgi; do
    case $name in
      atoll) port=$P_ATOLL ;; nginx-static) port=$P_NGINX ;; node) port=$P_NODE ;; fcgiwrap-cgi) port=$P_CGI ;;
    esac
    read -r r p50 p99 p999 errs non2xx <<< "$(measure $port $conns)"
    rps[$name]=$r
    ratio=$(awk -v a="$r" -v b="${rps[nginx-static]}" 'BEGIN { printf "%.2f", a / b }')
    printf '| %-22s | %5d | %8d | %8s | %8s | %8s | %6d | %-9s |\n' "$name" "$conns" "$r" "$p50" "$p99" "$p999" \
      $((errs + non2xx)) "$ratio"
  done
  awk -v a="${rps[atoll]}" -v c="${rps[fcgiwrap-cgi]}" -v n="${rps[nginx-static]}" -v k="$conns" \
    'BEGIN { printf "\nat %d connections: atoll = %.0f%% of nginx static, %.1fx fork+exec CGI\n\n", k, 100 * a / n, a / c }'
done

# The CGI backlog of the 1,000-connection run can keep fcgiwrap forking for seconds after wrk
# stops: end it and let the machine go quiet, so that it does not sit inside the next numbers.
pkill -f "fcgiwrap -s unix:$work/" 2> /dev/null || true
quiet() {  # wait (at most 10 s) until no CGI child is left running
  for _ in $(seq 100); do
    pgrep -f "$work/hello.cgi" > /dev/null || return 0
    sleep 0.1
  done
}
quiet
sleep 1

# --- latency at a fixed rate ---------------------------------------------------------------------
# wrk keeps every connection busy (a closed loop): at saturation, latency is connections divided
# by throughput, whatever the server. At a fixed rate below saturation (open loop, atoll-rate:
# latency counted from when each request was due) the percentiles show the server's own delay.
fixed=${FIXED_RATE:-20000}
echo "## hello at a fixed $fixed req/s over 64 connections (open loop, atoll-rate, $secs s)"
echo
printf '| %-22s | %8s | %8s | %8s | %8s | %8s | %6s |\n' server req/s p50_ms p99_ms p99.9_ms max_ms errors
printf '|%s|\n' "------------------------|----------|----------|----------|----------|----------|--------"
for name in nginx-static atoll node; do
  case $name in atoll) port=$P_ATOLL ;; nginx-static) port=$P_NGINX ;; node) port=$P_NODE ;; esac
  "${client[@]}" "$rate" $port / 64 "$fixed" 1 > /dev/null  # warm-up
  "${client[@]}" "$rate" $port / 64 "$fixed" "$secs" |
    sed -n 's/^RESULT rps=\([0-9]*\) p50=\([0-9.]*\) p99=\([0-9.]*\) p999=\([0-9.]*\) max=\([0-9.]*\) errors=\([0-9]*\).*/\1 \2 \3 \4 \5 \6/p' |
    while read -r r p50 p99 p999 max errs; do
      printf '| %-22s | %8d | %8s | %8s | %8s | %8s | %6d |\n' "$name" "$r" "$p50" "$p99" "$p999" "$max" "$errs"
    done
done
echo

# --- 10,000 sleeping handlers at once ----------------------------------------------------------
echo "## 10,000 concurrent requests, each handler sleeping 1 s (atoll-burst: connect all, then send all)"
sleepers() {  # sleepers LABEL FLAGS...: two bursts on a fresh server
  local label=$1
  shift
  "${server[@]}" "$atoll" serve --quiet --addr 127.0.0.1:$P_SLEEP --max-instances 12000 --deadline-ms 10000 "$@" "$work/sleep.wasm" \
    2> "$work/sleep.log" &
  local sleeper=$! start=$(date +%s%N)
  pids+=($sleeper)
  wait_port $P_SLEEP
  local ready_ms=$((($(date +%s%N) - start) / 1000000))
  local before
  before=$(awk '/VmRSS/ { print $2 }' "/proc/$sleeper/status")
  echo "$label: ready after $ready_ms ms, RSS $((before / 1024)) MiB"
  for run in "first burst" "second burst"; do
    out=$("${client[@]}" "$burst" $P_SLEEP / 10000 --timeout-ms 20000) || true
    peak=$(awk '/VmHWM/ { print $2 }' "/proc/$sleeper/status")
    echo "  $run: $out; RSS peak $((peak / 1024)) MiB (+$(((peak - before) / 1024)) MiB)"
  done
  kill $sleeper
  wait $sleeper 2> /dev/null || true
}
sleepers "fresh server"
sleepers "fresh server with --prewarm" --prewarm

# --- hello next to CPU-bound handlers ----------------------------------------------------------
echo
echo "## hello while one CPU-bound handler per worker ($cores) runs into its 2 s deadline, back to back"
cat > "$work/mix.toml" <<EOF
addr = "127.0.0.1:$P_MIX"
log_requests = false
[[route]]
path = "/spin"
module = "spin.wasm"
deadline_ms = 2000
[[route]]
path = "/..."
module = "hello.wasm"
EOF
"${server[@]}" "$atoll" serve --config "$work/mix.toml" 2> "$work/mix.log" &
pids+=($!)
wait_port $P_MIX
spinners=()
for i in $(seq "$cores"); do
  (end=$((SECONDS + secs + 2)); while [ $SECONDS -lt $end ]; do
     "${client[@]}" curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$P_MIX/spin"; done > "$work/spinlog.$i") &
  spinners+=($!)
done
sleep 0.5
read -r r p50 p99 p999 errs non2xx <<< "$(measure $P_MIX 64)"
echo "hello at 64 connections: $r req/s, p50 $p50 ms, p99 $p99 ms, p99.9 $p999 ms, errors $((errs + non2xx))"
wait "${spinners[@]}"
cat "$work"/spinlog.* | awk '{ n++; if ($1 == 504) ok++; t = $2 * 1000; if (t < min || n == 1) min = t; if (t > max) max = t }
  END { printf "CPU-bound requests: %d, %d ended with 504, took %.0f..%.0f ms (deadline 2000 ms)\n", n, ok, min, max }'

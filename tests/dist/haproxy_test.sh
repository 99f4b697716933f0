#!/usr/bin/env bash
# Three `atoll serve` processes behind HAProxy, set up by dist/haproxy/haproxy.cfg itself (only
# its ports rewritten), on 127.0.0.1, under steady open-loop load (atoll-rate: a fixed rate of
# GETs of a handler that sleeps 10 ms, so that requests are in flight at every moment):
#   (a) rolling restart: each process in turn gets SIGTERM, drains (unready first, for the
#       balancer to notice), exits 0, and a new one takes its place. No request may fail, out
#       of at least 50,000 (fewer under sanitizers, which slow everything down).
#   (b) SIGKILL: one process is killed outright under load and started again. Requests in flight
#       on it, or sent to it before the health check notices, are retried by HAProxy on another
#       process (GET only: dist/haproxy/haproxy.cfg). The failures are counted and reported.
#   tests/dist/haproxy_test.sh ATOLL ATOLL_RATE HANDLER_WASM HAPROXY_CFG
set -euo pipefail
atoll=$1 rate=$2 handler=$3 cfg=$4
command -v haproxy > /dev/null || { echo "FAIL: haproxy is not installed (scripts/install-deps.sh installs it)"; exit 1; }
work=$(mktemp -d)
export XDG_CACHE_HOME="$work/cache"
declare -a pids=()
haproxy_pid=""
cleanup() {
  for p in "${pids[@]}" $haproxy_pid; do kill -9 "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
slack=1
[ "${ATOLL_SANITIZED:-0}" = 1 ] && slack=4

# Ports: the frontend, three servers, their admin endpoints; a random base keeps parallel runs
# of the test suite apart.
base=$((20000 + RANDOM % 10000))  # below the ephemeral range (32768+), where clients bind
front=$base
port=("" $((base + 1)) $((base + 2)) $((base + 3)))
admin=("" $((base + 11)) $((base + 12)) $((base + 13)))

start_backend() {  # start_backend N
  "$atoll" serve --quiet --addr "127.0.0.1:${port[$1]}" --admin-addr "127.0.0.1:${admin[$1]}" \
    --drain-delay-ms 1000 --deadline-ms 5000 "$handler" 2>> "$work/a$1.log" &
  pids[$1]=$!
}
wait_ready() {  # wait_ready N: until its /readyz answers 200 (at most 20 s)
  for _ in $(seq 400); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${admin[$1]}/readyz")" = 200 ] && return 0
    sleep 0.05
  done
  fail "server $1 never became ready: $(tail -3 "$work/a$1.log")"
  return 1
}
served() {  # served N: requests the process on N has answered with 200 so far
  curl -s "http://127.0.0.1:${admin[$1]}/metrics" |
    awk '/^atoll_requests_total\{.*status="200"/ { n += $2 } END { print n + 0 }'
}
load() {  # load RATE SECONDS OUTFILE: open-loop GETs through HAProxy, in the background
  "$rate" "$front" "/sleep?ms=10" 64 "$1" "$2" > "$3" &
  load_pid=$!
}
result() {  # result FILE FIELD
  sed -n "s/^RESULT .*$2=\([0-9]*\).*/\1/p" "$1"
}

for n in 1 2 3; do start_backend $n; done
for n in 1 2 3; do wait_ready $n; done
# The shipped config, with this run's ports.
sed -e "s/127.0.0.1:8080/127.0.0.1:$front/" \
  -e "s/127.0.0.1:8081 check port 9081/127.0.0.1:${port[1]} check port ${admin[1]}/" \
  -e "s/127.0.0.1:8082 check port 9082/127.0.0.1:${port[2]} check port ${admin[2]}/" \
  -e "s/127.0.0.1:8083 check port 9083/127.0.0.1:${port[3]} check port ${admin[3]}/" \
  "$cfg" > "$work/haproxy.cfg"
for n in 1 2 3; do grep -q "127.0.0.1:${port[$n]} check port ${admin[$n]}" "$work/haproxy.cfg" || fail "server $n not in the rewritten config"; done
# Added for the test only: HAProxy's counters (retries, redispatches) as CSV.
stats=$((base + 20))
printf 'frontend stats\n  bind 127.0.0.1:%s\n  stats enable\n  stats uri /stats\n' $stats >> "$work/haproxy.cfg"
retries() {  # retries: "RETRIES REDISPATCHES" of the backend, so far
  curl -s "http://127.0.0.1:$stats/stats;csv" | awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
    $1 == "atoll" && $2 == "BACKEND" { print $col["wretr"], $col["wredis"] }'
}
haproxy -f "$work/haproxy.cfg" -db 2> "$work/haproxy.log" &
haproxy_pid=$!
for _ in $(seq 200); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$front/sleep?ms=1")" = 200 ] && break
  sleep 0.05
done
sleep 1  # every server through its first health checks
kill -0 $haproxy_pid 2> /dev/null || { cat "$work/haproxy.log"; fail "haproxy did not start"; exit 1; }

# --- (a) rolling restart under load --------------------------------------------------------------
rate_a=$((4000 / slack)) secs_a=16
want_a=$((50000 / slack))
load $rate_a $secs_a "$work/rolling.txt"
sleep 2
for n in 1 2 3; do
  before=$(served $n)
  kill -TERM "${pids[$n]}"
  rc=0
  wait "${pids[$n]}" || rc=$?
  [ "$rc" = 0 ] || fail "server $n exited $rc after SIGTERM"
  grep -q "atoll: stopped" "$work/a$n.log" || fail "server $n did not log its stop"
  [ "$before" -gt 0 ] || fail "server $n served nothing before its restart"
  start_backend $n
  wait_ready $n
  sleep 1  # HAProxy: two good checks (rise 2, inter 200 ms) before it sends traffic again
done
wait $load_pid || fail "the load generator failed"
cat "$work/rolling.txt"
ok=$(result "$work/rolling.txt" ok)
errors=$(result "$work/rolling.txt" errors)
read -r retried_a redispatched_a <<< "$(retries)"
echo "rolling restart of 3 servers under $rate_a req/s: $ok answered, $errors failed" \
  "(HAProxy retried $retried_a, redispatched $redispatched_a)"
[ -n "$ok" ] && [ "$ok" -ge "$want_a" ] || fail "only ${ok:-no} requests answered, expected at least $want_a"
[ "${errors:-1}" = 0 ] || fail "$errors requests failed during the rolling restart"
for n in 1 2 3; do
  [ "$(served $n)" -gt 0 ] || fail "restarted server $n was given no requests"
done

# --- (b) one server killed outright under load ----------------------------------------------------
rate_b=$((2000 / slack)) secs_b=8
load $rate_b $secs_b "$work/kill.txt"
sleep 2
kill -KILL "${pids[2]}"
wait "${pids[2]}" 2> /dev/null || true
sleep 2
start_backend 2
wait_ready 2
wait $load_pid || fail "the load generator failed"
cat "$work/kill.txt"
ok=$(result "$work/kill.txt" ok)
errors=$(result "$work/kill.txt" errors)
read -r retried redispatched <<< "$(retries)"
retried=$((retried - retried_a)) redispatched=$((redispatched - redispatched_a))
echo "SIGKILL of 1 of 3 servers under $rate_b req/s: $ok answered, $errors failed" \
  "(HAProxy retried $retried, redispatched $redispatched)"
# Requests were in flight on the killed server: without retries some would have failed.
[ "$retried" -gt 0 ] || fail "HAProxy retried nothing: the kill did not hit requests in flight"
[ "${errors:-1}" = 0 ] || fail "$errors GET requests failed although HAProxy retries them"
[ -n "$ok" ] && [ "$ok" -ge $((rate_b * secs_b * 9 / 10)) ] || fail "only ${ok:-no} requests answered"
grep -q "a2.*DOWN" "$work/haproxy.log" || echo "note: HAProxy logged no DOWN for a2: $(tail -3 "$work/haproxy.log")"

if [ $failures -ne 0 ]; then
  echo "haproxy log:"; tail -20 "$work/haproxy.log"
  echo "$failures failure(s)"
  exit 1
fi
echo "haproxy: all passed"

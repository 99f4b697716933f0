#!/usr/bin/env bash
# atoll serve --config over real sockets on 127.0.0.1, bounded in requests and time: exact and
# prefix routes with their own env, dirs, deadlines, body limits and concurrency; the admin
# address (metrics, health, readiness); SIGHUP with a good config (in-flight requests finish on
# the old one) and with bad ones (refused, the old one keeps serving); SIGTERM draining requests
# in flight (none lost, exit 0); configuration errors at start.
#   config_test.sh ATOLL GUESTS_DIR BURST
set -u
atoll=$1 guests=$2 burst=$3
source "$(dirname "$0")/common.sh"
cp "$guests/handler.wasm" "$work/"
mkdir "$work/data"
echo "data-file-contents" > "$work/data/x"

write_config() {  # write_config FILE HELLO_PATH GREETING
  cat > "$1" <<TOML
# atoll serve configuration for config_test.sh
addr = "127.0.0.1:0"
admin_addr = "127.0.0.1:0"
workers = 2
drain_timeout_ms = 5000
header_timeout_ms = 2000
prewarm = true

[[route]]
path = "$2"
module = "handler.wasm"

[[route]]
path = "/api/..."
module = "handler.wasm"
env = { GREETING = "$3" }
deadline_ms = 300
max_request_body = 100
dirs = ["data::/data"]

[[route]]
path = "/one/..."
module = "handler.wasm"
max_concurrency = 1

[[route]]
path = "/nap/..."
module = "handler.wasm"
deadline_ms = 5000
TOML
}
write_config "$work/atoll.toml" /hello from-config

# Configuration errors at start: a clear message with file and line, exit 1.
printf 'addr = "127.0.0.1:0"\n[[route]]\npath = "/x"\nmodule = "handler.wasm"\ndeadline = 5\n' > "$work/typo.toml"
"$atoll" serve --config "$work/typo.toml" > /dev/null 2> "$work/err"
[ $? -eq 1 ] && grep -q "typo.toml:5:.*unknown setting route\[0\].deadline" "$work/err" || fail "unknown key at start: $(cat "$work/err")"
printf '[[route]]\npath = "/x"\nmodule = "handler.wasm"\nmax_memory_mib = "lots"\n' > "$work/type.toml"
"$atoll" serve --config "$work/type.toml" > /dev/null 2> "$work/err"
[ $? -eq 1 ] && grep -q "type.toml:4:.*max_memory_mib must be an integer" "$work/err" || fail "wrong type at start: $(cat "$work/err")"
printf '[[route]\n' > "$work/syntax.toml"
"$atoll" serve --config "$work/syntax.toml" > /dev/null 2> "$work/err"
[ $? -eq 1 ] && grep -q "syntax.toml:1:" "$work/err" || fail "syntax error at start: $(cat "$work/err")"
"$atoll" serve --addr 127.0.0.1:0 --dir "$work" "$work/handler.wasm" > /dev/null 2> "$work/err"
[ $? -eq 1 ] && grep -q "compile cache" "$work/err" || fail "a --dir holding the compile cache: $(cat "$work/err")"
printf '[[route]]\npath = "/x"\nmodule = "handler.wasm"\ndirs = ["."]\n' > "$work/cachegrant.toml"
"$atoll" serve --config "$work/cachegrant.toml" > /dev/null 2> "$work/err"
[ $? -eq 1 ] && grep -q "compile cache" "$work/err" || fail "a route's dir holding the compile cache: $(cat "$work/err")"
"$atoll" serve > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "serve without a module or config: $(cat "$work/err")"
"$atoll" serve --config "$work/atoll.toml" "$work/handler.wasm" > /dev/null 2> "$work/err"
[ $? -ne 0 ] && grep -q "excludes" "$work/err" || fail "serve with both a module and a config: $(cat "$work/err")"
"$atoll" serve --config "$work/atoll.toml" --deadline-ms 5 > /dev/null 2> "$work/err"
[ $? -ne 0 ] && grep -q "excludes" "$work/err" || fail "per-route flag with --config: $(cat "$work/err")"

"$atoll" serve --config "$work/atoll.toml" > "$work/access.log" 2> "$work/server.log" &
server=$!
for _ in $(seq 300); do grep -q "^atoll: admin" "$work/server.log" && break; sleep 0.1; done
port=$(grep -o 'serving.*http://127.0.0.1:[0-9]*' "$work/server.log" | sed 's/.*://')
admin=$(grep -o 'admin.*http://127.0.0.1:[0-9]*' "$work/server.log" | sed 's/.*://')
[ -n "$port" ] && [ -n "$admin" ] || { cat "$work/server.log"; echo "FAIL: the server did not start"; exit 1; }
url=http://127.0.0.1:$port
get() { curl -s --max-time 10 -o "$work/body" -w '%{http_code}' "$@"; }
# Polls instead of sleeping a fixed time, which a loaded machine (sanitizers, parallel tests)
# outruns: until ADMIN_PORT's metrics show at least N requests in flight, or until its /readyz
# answers STATUS; 10 s at most.
wait_in_flight() {  # wait_in_flight ADMIN_PORT N
  local n
  for _ in $(seq 200); do
    n=$(curl -s --max-time 2 "http://127.0.0.1:$1/metrics" | sed -n 's/^atoll_in_flight_requests \([0-9]*\)$/\1/p')
    [ "${n:-0}" -ge "$2" ] && return 0
    sleep 0.05
  done
  fail "fewer than $2 requests in flight after 10 s"
}
wait_ready_is() {  # wait_ready_is ADMIN_PORT STATUS
  for _ in $(seq 200); do
    [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = "$2" ] && return 0
    sleep 0.05
  done
  return 1
}

# Routing and per-route settings.
status_is 200 "exact route" -- "$url/hello"
body_has "hello from /hello"
status_is 404 "below an exact route" -- "$url/hello/more"
status_is 404 "no route" -- "$url/nothing"
status_is 200 "prefix route" -- "$url/api/env?q=1"
for want in "GREETING=from-config" "X_MATCHED_ROUTE=/api/..." "PATH_INFO=/env" "SCRIPT_NAME=$work/handler.wasm"; do
  body_has "$want"
done
status_is 200 "route's directory" -- "$url/api/read?/data/x"
body_has "data-file-contents"
status_is 200 "no directory on another route" -- "$url/nap/read?/data/x"
body_has "missing"
start=$(date +%s%N)
status_is 504 "route's deadline" -- "$url/api/loop"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -lt $((1000 * slack)) ] || fail "a 300 ms deadline answered after $elapsed_ms ms"
status_is 413 "route's body limit" -- -d "$(head -c 200 /dev/zero | tr '\0' a)" "$url/api/echo"
status_is 200 "body limit is per route" -- -d "$(head -c 200 /dev/zero | tr '\0' a)" "$url/nap/echo"
status_is 500 "trap" -- "$url/api/trap"
get "$url/one/sleep?ms=1000" > "$work/one.status" &
one=$!
wait_in_flight "$admin" 1
status_is 503 "route's concurrency limit" -- "$url/one/"
wait $one
[ "$(cat "$work/one.status")" = 200 ] || fail "the request within the concurrency limit: $(cat "$work/one.status")"

# Admin: metrics, health, readiness.
curl -s --max-time 5 "http://127.0.0.1:$admin/metrics" > "$work/metrics"
for want in 'atoll_requests_total{route="/hello",status="200"} 1' 'atoll_requests_total{route="",status="404"} 2' \
            'atoll_requests_total{route="/api/...",status="504"} 1' 'atoll_deadlines_total{route="/api/..."} 1' \
            'atoll_traps_total{route="/api/...",kind="unreachable"} 1' 'atoll_requests_total{route="/one/...",status="503"} 1' \
            'atoll_request_duration_seconds_count{route="/hello"} 1' 'atoll_in_flight_requests 0' \
            'atoll_live_instances 0' 'atoll_pool_free_slots 1000' 'atoll_request_duration_seconds_bucket{route="/api/...",le="+Inf"}'; do
  grep -qF "$want" "$work/metrics" || fail "metrics lack '$want'"
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin/healthz")" = 200 ] || fail "healthz"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin/readyz")" = 200 ] || fail "readyz"

# SIGHUP with a good config: new requests see it at once; one in flight finishes on the old.
get "$url/nap/sleep?ms=1000" > "$work/inflight.status" &
inflight=$!
wait_in_flight "$admin" 1
write_config "$work/atoll.toml" /hello2 reloaded
kill -HUP "$server"
for _ in $(seq 100); do grep -q "reloaded" "$work/server.log" && break; sleep 0.1; done
grep -q "atoll: reloaded" "$work/server.log" || fail "no reload: $(tail -3 "$work/server.log")"
status_is 200 "route added by the reload" -- "$url/hello2"
status_is 404 "route removed by the reload" -- "$url/hello"
status_is 200 "env changed by the reload" -- "$url/api/env"
body_has "GREETING=reloaded"
wait $inflight
[ "$(cat "$work/inflight.status")" = 200 ] || fail "in flight across a reload: $(cat "$work/inflight.status")"

# SIGHUP with bad configs: refused with the reason, the previous one keeps serving.
cp "$work/atoll.toml" "$work/good.toml"
bad_reload() {  # bad_reload WHAT EXPECTED-LOG
  local before
  before=$(grep -c "still serving the previous" "$work/server.log")
  kill -HUP "$server"
  for _ in $(seq 100); do [ "$(grep -c "still serving the previous" "$work/server.log")" -gt "$before" ] && break; sleep 0.1; done
  grep "still serving the previous" "$work/server.log" | tail -1 | grep -q -- "$2" || fail "bad reload ($1): $(tail -1 "$work/server.log")"
  status_is 200 "still serving after a bad reload ($1)" -- "$url/hello2"
}
printf 'workers = [\n' > "$work/atoll.toml"
bad_reload "syntax" "atoll.toml:1:"
sed 's/^deadline_ms = 300/deadlin_ms = 300/' "$work/good.toml" > "$work/atoll.toml"
bad_reload "unknown key" "unknown setting route\[1\].deadlin_ms"
sed 's/^module = "handler.wasm"/module = "absent.wasm"/' "$work/good.toml" > "$work/atoll.toml"
bad_reload "missing module" "absent.wasm"
head -c 100 /dev/urandom > "$work/junk.wasm"
sed 's/^module = "handler.wasm"/module = "junk.wasm"/' "$work/good.toml" > "$work/atoll.toml"
bad_reload "invalid module" "junk.wasm"
sed 's/^workers = 2/workers = 1/' "$work/good.toml" > "$work/atoll.toml"
bad_reload "listener setting" "workers cannot change"
curl -s --max-time 5 "http://127.0.0.1:$admin/metrics" > "$work/metrics"
grep -qF 'atoll_reloads_total{result="ok"} 1' "$work/metrics" || fail "reload count: $(grep reloads "$work/metrics")"
grep -qF 'atoll_reloads_total{result="refused"} 5' "$work/metrics" || fail "refused reload count: $(grep reloads "$work/metrics")"

# SIGTERM drains: 40 requests sleeping 1 s all finish, nothing new is accepted, exit 0.
"$burst" "$port" "/nap/sleep?ms=1000" 40 > "$work/drain.out" &
drainers=$!
wait_in_flight "$admin" 40
start=$(date +%s%N)
kill -TERM "$server"
wait_ready_is "$admin" 503 || fail "readyz while draining"
[ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$url/hello2")" = 000 ] || fail "a new connection was accepted while draining"
wait $drainers || fail "requests in flight at SIGTERM: $(cat "$work/drain.out")"
wait "$server"
status=$?
server=""
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$status" -eq 0 ] || fail "SIGTERM: exit $status"
[ "$elapsed_ms" -lt $((3000 * slack)) ] || fail "draining took $elapsed_ms ms"
grep -c '"route":"/nap/..."' "$work/access.log" | grep -q "^4[1-9]$" || fail "drained requests missing from the access log"

# --watch: replacing the config file (by rename, as deploy tools do) or a module reloads; a
# broken replacement is refused and the previous routes keep serving.
mkdir "$work/site"
cp "$guests/handler.wasm" "$work/site/"
site_config() {  # site_config GREETING
  printf 'addr = "127.0.0.1:0"\nlog_requests = false\n[[route]]\npath = "/..."\nmodule = "handler.wasm"\nenv = { GREETING = "%s" }\n' "$1" > "$work/site/new.toml"
  mv "$work/site/new.toml" "$work/site/atoll.toml"
}
greeting_becomes() {  # greeting_becomes VALUE: within 5 s
  for _ in $(seq 100); do
    curl -s --max-time 2 "http://127.0.0.1:$wport/env" | grep -q "^GREETING=$1$" && return 0
    sleep 0.05
  done
  return 1
}
site_config first
"$atoll" serve --config "$work/site/atoll.toml" --watch 2> "$work/watch.log" &
server=$!
for _ in $(seq 200); do
  wport=$(sed -n 's|^atoll: serving .* on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$work/watch.log")
  [ -n "$wport" ] && break
  sleep 0.05
done
greeting_becomes first || fail "watched server does not serve"
site_config second
greeting_becomes second || fail "--watch: a new config file was not picked up: $(cat "$work/watch.log")"
printf 'addr = nonsense\n' > "$work/site/new.toml" && mv "$work/site/new.toml" "$work/site/atoll.toml"
for _ in $(seq 100); do grep -q "still serving the previous" "$work/watch.log" && break; sleep 0.05; done
grep -q "still serving the previous" "$work/watch.log" || fail "--watch: a broken config was not refused: $(cat "$work/watch.log")"
greeting_becomes second || fail "--watch: the previous config stopped serving"
site_config third
greeting_becomes third || fail "--watch: no reload after a refused one"
reloads=$(grep -c "reloaded" "$work/watch.log")
cp "$work/site/handler.wasm" "$work/site/h.tmp" && mv "$work/site/h.tmp" "$work/site/handler.wasm"
for _ in $(seq 100); do [ "$(grep -c "reloaded" "$work/watch.log")" -gt "$reloads" ] && break; sleep 0.05; done
[ "$(grep -c "reloaded" "$work/watch.log")" -gt "$reloads" ] || fail "--watch: a replaced module did not reload"
kill -TERM "$server"
wait "$server" || fail "watched server: exit $? after SIGTERM"
server=""

# --drain-delay-ms: on SIGTERM /readyz turns 503 at once while new connections are still served
# (each response closing its connection), then the listener closes.
"$atoll" serve --quiet --addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 --drain-delay-ms $((1500 * slack)) "$work/handler.wasm" 2> "$work/delay.log" &
server=$!
for _ in $(seq 200); do grep -q "^atoll: admin" "$work/delay.log" && break; sleep 0.05; done
dport=$(sed -n 's|^atoll: serving .* on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$work/delay.log")
dadmin=$(sed -n 's|^atoll: admin .* on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$work/delay.log")
kill -TERM "$server"
wait_ready_is "$dadmin" 503 || fail "drain delay: readyz is not 503"
curl -s -D "$work/dhead" -o /dev/null "http://127.0.0.1:$dport/hello" || fail "drain delay: a new connection was refused during the delay"
grep -qi "^connection: close" "$work/dhead" || fail "drain delay: response does not close its connection: $(cat "$work/dhead")"
wait "$server" || fail "drain delay: exit $?"
server=""
[ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$dport/hello")" = 000 ] || fail "drain delay: still accepting after the delay"

if [ "$failures" -ne 0 ]; then echo "--- server log"; tail -20 "$work/server.log"; echo "$failures config check(s) failed"; exit 1; fi
echo "all config checks passed"

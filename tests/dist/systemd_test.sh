#!/usr/bin/env bash
# dist/systemd as shipped: the units pass `systemd-analyze verify` without a single complaint
# (a broken copy must draw one, or the check proves nothing), and atoll serve behaves as the
# units expect, run the way systemd runs it (systemd-socket-activate stands in for pid 1, which
# this test cannot use): both sockets taken by their FileDescriptorName, READY=1 and
# STOPPING=1 sent to NOTIFY_SOCKET (Type=notify), SIGTERM drains and exits 0.
#   tests/dist/systemd_test.sh ATOLL HANDLER_WASM DIST_SYSTEMD_DIR
set -u
atoll=$1 handler=$2 units=$3
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null; done; rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
for tool in systemd-analyze systemd-socket-activate python3; do
  command -v $tool > /dev/null || { echo "FAIL: $tool is not installed (scripts/install-deps.sh)"; exit 1; }
done

# --- the unit files ------------------------------------------------------------------------------
mkdir "$work/units"
for u in atoll@.service atoll@.socket atoll-admin@.socket; do
  [ -f "$units/$u" ] || { fail "dist/systemd/$u is missing"; continue; }
  sed "s|/usr/bin/atoll|$atoll|" "$units/$u" > "$work/units/$u"
  ln -s "$u" "$work/units/${u/@/@1}"  # an instance of the template
done
verify() { SYSTEMD_UNIT_PATH="$1:" systemd-analyze verify --man=no "$1/atoll@1.service" "$1/atoll@1.socket" "$1/atoll-admin@1.socket" 2>&1; }
out=$(verify "$work/units")
[ -z "$out" ] || fail "systemd-analyze verify: $out"
cp -r "$work/units" "$work/broken"
echo "ListenStrem=1" >> "$work/broken/atoll@.socket"
[ -n "$(verify "$work/broken")" ] || fail "systemd-analyze verify does not notice a misspelt key"

# What the units promise each other.
grep -q "^FileDescriptorName=http$" "$units/atoll@.socket" || fail "the HTTP socket is not named http"
grep -q "^FileDescriptorName=admin$" "$units/atoll-admin@.socket" || fail "the admin socket is not named admin"
grep -q "^Type=notify$" "$units/atoll@.service" || fail "the service is not Type=notify"
timeout_stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$units/atoll@.service")
[ "${timeout_stop:-0}" -gt 30 ] || fail "TimeoutStopSec ($timeout_stop) must exceed the default drain_timeout_ms (30 s)"

# --- run as systemd runs it ----------------------------------------------------------------------
python3 - "$work/notify.sock" > "$work/notify.log" << 'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
try:
    while True:
        msg = s.recv(4096).decode()
        print(msg.replace("\n", " "), flush=True)
        if "STOPPING=1" in msg:
            break
except socket.timeout:
    pass
EOF
listener=$!
pids+=($listener)
for _ in $(seq 100); do [ -S "$work/notify.sock" ] && break; sleep 0.05; done
base=$((20000 + RANDOM % 10000))  # below the ephemeral range (32768+), where clients bind
NOTIFY_SOCKET="$work/notify.sock" systemd-socket-activate -E NOTIFY_SOCKET -E XDG_CACHE_HOME \
  -l "127.0.0.1:$base" -l "127.0.0.1:$((base + 1))" \
  --fdname=http:admin "$atoll" serve --quiet "$handler" > "$work/serve.log" 2>&1 &
server=$!
pids+=($server)
# systemd-socket-activate binds both addresses before it says so; a connection before that is
# refused (seen under a loaded -j2 ctest), so wait for its word.
for _ in $(seq 200); do grep -q "Listening on 127.0.0.1:$((base + 1))" "$work/serve.log" && break; sleep 0.05; done
status=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$base/hello")
[ "$status" = 200 ] || fail "activated server: status $status: $(cat "$work/serve.log")"
for _ in $(seq 100); do grep -q "READY=1" "$work/notify.log" && break; sleep 0.05; done
grep -q "READY=1" "$work/notify.log" || fail "no READY=1 on NOTIFY_SOCKET"
[ "$(curl -s "http://127.0.0.1:$((base + 1))/readyz")" = ready ] || fail "admin socket: not ready"
kill -TERM $server
rc=0
wait $server || rc=$?
[ $rc = 0 ] || fail "exit $rc after SIGTERM: $(cat "$work/serve.log")"
wait $listener
grep -q "STOPPING=1" "$work/notify.log" || fail "no STOPPING=1 on NOTIFY_SOCKET: $(cat "$work/notify.log")"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "systemd: all passed"

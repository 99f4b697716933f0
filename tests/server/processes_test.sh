#!/usr/bin/env bash
# Several atoll serve processes on one host, over real sockets on 127.0.0.1:
#   - two processes share one port (SO_REUSEPORT): the kernel gives both connections;
#   - both map the same module code file from the compile cache (one copy in memory);
#   - systemd socket activation (systemd-socket-activate stands in for systemd): the HTTP and
#     the admin socket ("admin") are taken from LISTEN_FDS, --addr is ignored, SIGTERM drains;
#     a passed descriptor that is not a listening socket is refused with a clear error.
#   processes_test.sh ATOLL GUESTS_DIR BURST
set -u
atoll=$1 guests=$2 burst=$3
source "$(dirname "$0")/common.sh"
cp "$guests/handler.wasm" "$work/"
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null; done; rm -rf "$work"' EXIT

listening_on() {  # listening_on LOG WHAT: the HOST:PORT a server logged for WHAT ("serving", "admin")
  for _ in $(seq 200); do
    local a
    a=$(sed -n "s|^atoll: $2.* on http://\([0-9.]*:[0-9]*\)/$|\1|p" "$1" | head -1)
    [ -n "$a" ] && { echo "$a"; return 0; }
    sleep 0.05
  done
  return 1
}
requests_of() {  # requests_of ADMIN: requests this process has answered
  curl -s "http://$1/metrics" | awk '/^atoll_requests_total\{/ { n += $2 } END { print n + 0 }'
}

# --- two processes, one port ---------------------------------------------------------------------
"$atoll" serve --quiet --workers 1 --addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 "$work/handler.wasm" 2> "$work/a.log" &
pids+=($!)
a=$(listening_on "$work/a.log" serving) || fail "first server did not start: $(cat "$work/a.log")"
a_admin=$(listening_on "$work/a.log" admin)
"$atoll" serve --quiet --workers 1 --addr "$a" --admin-addr 127.0.0.1:0 "$work/handler.wasm" 2> "$work/b.log" &
pids+=($!)
b=$(listening_on "$work/b.log" serving) || fail "second server could not share $a: $(cat "$work/b.log")"
b_admin=$(listening_on "$work/b.log" admin)
[ "$a" = "$b" ] || fail "second server listens on $b, not $a"
port=${a##*:}
"$burst" "$port" /hello 400 > "$work/burst.out" || fail "400 requests over two processes: $(cat "$work/burst.out")"
na=$(requests_of "$a_admin") nb=$(requests_of "$b_admin")
echo "one port, two processes: $na and $nb of 400 requests"
[ $((na + nb)) = 400 ] || fail "the two processes answered $na + $nb requests, not 400"
[ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || fail "one process got no connection: $na / $nb"

# Both map one code file from the cache: same device and inode, and its pages count half in each.
code_map() { awk '$2 == "r-xp" && $6 ~ /\.code$/ { print $4, $5, $6 }' "/proc/$1/maps"; }
ma=$(code_map "${pids[0]}") mb=$(code_map "${pids[1]}")
echo "code mappings: [$ma] [$mb]"
[ -n "$ma" ] || fail "the first process does not map its module code from the cache"
[ -n "$ma" ] && [ "$ma" = "$mb" ] || fail "the processes map different code files: '$ma' / '$mb'"
read -r rss pss <<< "$(awk '/\.code$/ { on = 1; next } /^[0-9a-f]+-/ { on = 0 }
  on && /^Rss:/ { r += $2 } on && /^Pss:/ { p += $2 } END { print r + 0, p + 0 }' "/proc/${pids[1]}/smaps")"
echo "code pages of the second process: Rss $rss KiB, Pss $pss KiB"
[ "$rss" -gt 0 ] && [ "$pss" -lt "$rss" ] || fail "code pages are not shared (Rss $rss KiB, Pss $pss KiB)"
kill "${pids[@]}"
wait "${pids[@]}" 2> /dev/null
pids=()

# --- socket activation ---------------------------------------------------------------------------
if command -v systemd-socket-activate > /dev/null; then
  base=$((20000 + RANDOM % 10000))  # below the ephemeral range (32768+), where clients bind
  systemd-socket-activate -E XDG_CACHE_HOME -l "127.0.0.1:$base" -l "127.0.0.1:$((base + 1))" --fdname=http:admin \
    "$atoll" serve --quiet --addr 192.0.2.1:1 "$work/handler.wasm" > "$work/sa.log" 2>&1 &
  pids+=($!)
  # Both addresses are bound once it says so; a connection before that is refused.
  for _ in $(seq 200); do grep -q "Listening on 127.0.0.1:$((base + 1))" "$work/sa.log" && break; sleep 0.05; done
  status=$(curl -s --max-time 10 -o "$work/body" -w '%{http_code}' "http://127.0.0.1:$base/hello")
  [ "$status" = 200 ] || fail "socket-activated server: status $status: $(cat "$work/sa.log")"
  grep -q "serving 1 route(s) on http://127.0.0.1:$base/" "$work/sa.log" || fail "activated server names the wrong address: $(cat "$work/sa.log")"
  [ "$(curl -s "http://127.0.0.1:$((base + 1))/readyz")" = ready ] || fail "the admin socket from systemd does not answer"
  kill -TERM "${pids[0]}"
  rc=0
  wait "${pids[0]}" || rc=$?
  [ $rc = 0 ] || fail "socket-activated server exited $rc after SIGTERM"
  pids=()
else
  fail "systemd-socket-activate is not installed (package systemd)"
fi
# A descriptor that is not a listening socket: refused, named.
out=$(bash -c 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0" serve --addr 127.0.0.1:0 "$1" 3< /dev/null' \
  "$atoll" "$work/handler.wasm" 2>&1)
rc=$?
[ $rc = 1 ] || fail "serve with a bogus LISTEN_FDS exited $rc"
echo "$out" | grep -q "not a listening TCP socket" || fail "bogus LISTEN_FDS: $out"

# --- workers follow the CPUs the process may use ---------------------------------------------------
# One per CPU of the affinity mask (taskset here; cpusets and container CPU limits alike), not
# one per CPU of the machine; --workers overrides.
if command -v taskset > /dev/null; then
  for spec in "0:1:" "0:3:--workers 3"; do
    IFS=: read -r cpus want flag <<< "$spec"
    # shellcheck disable=SC2086
    taskset -c "$cpus" "$atoll" serve $flag --addr 127.0.0.1:0 "$work/handler.wasm" 2> "$work/w.log" &
    wpid=$!
    listening_on "$work/w.log" serving > /dev/null || fail "pinned server did not start: $(cat "$work/w.log")"
    grep -q "^atoll: $want worker thread(s)$" "$work/w.log" || fail "on CPUs $cpus with '$flag': $(cat "$work/w.log")"
    kill "$wpid"; wait "$wpid" 2> /dev/null
  done
  all=$(nproc --all)
  "$atoll" serve --addr 127.0.0.1:0 "$work/handler.wasm" 2> "$work/w.log" &
  wpid=$!
  listening_on "$work/w.log" serving > /dev/null || fail "server did not start: $(cat "$work/w.log")"
  grep -q "^atoll: $(nproc) worker thread(s)$" "$work/w.log" || fail "unpinned ($all CPUs): $(cat "$work/w.log")"
  kill "$wpid"; wait "$wpid" 2> /dev/null
else
  fail "taskset is not installed (package util-linux)"
fi

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "processes: all passed"

#!/usr/bin/env bash
# sock_accept/recv/send/shutdown on a socket preopened with --tcplisten (loopback only).
#   run_echo.sh ATOLL echo.wasm
set -u
atoll=$1 guest=$2
work=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 10000))  # below the ephemeral range (32768+), where clients bind
XDG_CACHE_HOME="$work/cache" "$atoll" run --tcplisten "127.0.0.1:$port" "$guest" > "$work/out" 2>&1 &
server=$!
reply=""
for _ in $(seq 1 100); do
  if exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
    printf 'ping atoll\n' >&3
    reply=$(cat <&3)
    exec 3>&-
    break
  fi
  sleep 0.05
done
wait $server
status=$?
cat "$work/out"
[ "$status" -eq 0 ] || { echo "FAIL: guest exited $status"; exit 1; }
[ "$reply" = "PING ATOLL" ] || { echo "FAIL: reply was '$reply'"; exit 1; }
echo "echo server answered: $reply"

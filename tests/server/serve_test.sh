#!/usr/bin/env bash
# atoll serve over real sockets on 127.0.0.1, bounded in requests and time: routing to the
# handler, every CGI variable, bodies and binary responses, status and headers, traps (500, the
# server keeps serving), deadlines (504 while others are served), memory bombs, size limits (413,
# 431, 500), malformed requests (400), slow clients, isolation between requests, concurrency.
#   serve_test.sh ATOLL GUESTS_DIR BURST
set -u
atoll=$1 guests=$2 burst=$3
source "$(dirname "$0")/common.sh"

"$atoll" serve --addr 127.0.0.1:0 --workers 2 --deadline-ms 1000 --max-request-body 100000 \
  --max-response 1000000 --max-memory 64 --header-timeout-ms 1000 --scratch "$guests/handler.wasm" \
  > "$work/access.log" 2> "$work/server.log" &
server=$!
for _ in $(seq 300); do grep -q "serving" "$work/server.log" && break; sleep 0.1; done
port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/server.log" | sed 's/.*://')
[ -n "$port" ] || { cat "$work/server.log"; echo "FAIL: the server did not start"; exit 1; }
url=http://127.0.0.1:$port
get() { curl -s --max-time 10 -o "$work/body" -D "$work/head" -w '%{http_code}' "$@"; }

status_is 200 "hello" -- "$url/"
body_has "hello from /"
status_is 200 "CGI variables" -- -H "X-Trace: t1" -H "Content-Type: text/x-test" "$url/env?greet=a+b&x=%41" -d "12345"
for want in "REQUEST_METHOD=POST" "PATH_INFO=/env" "QUERY_STRING=greet=a+b&x=%41" "SERVER_NAME=127.0.0.1" \
            "SERVER_PORT=$port" "SERVER_PROTOCOL=HTTP/1.1" "CONTENT_LENGTH=5" "CONTENT_TYPE=text/x-test" \
            "REMOTE_ADDR=127.0.0.1" "GATEWAY_INTERFACE=CGI/1.1" "X_MATCHED_ROUTE=/..." "X_FULL_URL=http://127.0.0.1:$port/env?greet=a+b&x=%41" \
            "HTTP_X_TRACE=t1" "HTTP_HOST=127.0.0.1:$port" "SCRIPT_NAME=$guests/handler.wasm" \
            "argv\[0\]=/env" "argv\[1\]=greet=a b" "argv\[2\]=x=A"; do
  body_has "$want"
done
head -c 50000 /dev/urandom > "$work/payload"
status_is 200 "a binary request body comes back intact" -- --data-binary "@$work/payload" "$url/echo"
cmp -s "$work/payload" "$work/body" || fail "echoed body differs"
status_is 200 "binary response" -- "$url/binary"
[ "$(od -An -tx1 "$work/body" | tr -d ' \n')" = "$(for i in $(seq 0 255); do printf '%02x' "$i"; done)" ] || fail "binary response differs"
status_is 418 "status passthrough" -- "$url/status"
grep -qi "^X-Custom: yes" "$work/head" || fail "custom header lost"
grep -qi "^Content-Length: 16" "$work/head" || fail "the handler's Content-Length was used"
! grep -qi "^Transfer-Encoding\|^Connection: upgrade" "$work/head" || fail "the handler set framing headers"
body_has "short and stout"
grep -qi "^Date: .* GMT" "$work/head" || fail "no Date header"
status_is 500 "an interim status from the handler" -- "$url/interim"
grep -q "interim Status 101" "$work/server.log" || fail "no log line for the interim status"
# Bodiless responses: 204 and HEAD send no body bytes (the next response on the connection
# would otherwise start with them); HEAD gets the length a GET would.
exec 3<>/dev/tcp/127.0.0.1/$port
printf 'GET /nocontent HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
reply=$(timeout 5 cat <&3 | tr -d '\r')
exec 3>&-
[ "$(echo "$reply" | grep -c '^HTTP/1.1 ')" = 3 ] || fail "three pipelined responses expected: '$reply'"
echo "$reply" | grep -q "^HTTP/1.1 204" || fail "no 204: '$reply'"
[ "$(echo "$reply" | grep -c 'hello from /')" = 1 ] || fail "HEAD sent a body, or GET none: '$reply'"
! echo "$reply" | grep -q "ignored body" || fail "a 204 carried a body"
[ "$(echo "$reply" | grep -c '^Content-Length: 13')" = 2 ] || fail "HEAD and GET lengths differ: '$reply'"
# Expect: 100-continue gets its interim response before the body is sent (curl waits for it
# for a second otherwise).
start=$(date +%s%N)
status_is 200 "a body sent after 100 Continue" -- -H "Expect: 100-continue" --expect100-timeout 5 \
  --data-binary "@$work/payload" "$url/echo"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
cmp -s "$work/payload" "$work/body" || fail "the body after 100 Continue differs"
[ "$elapsed_ms" -lt $((3000 * slack)) ] || fail "100 Continue took $elapsed_ms ms"
status_is 302 "Location without Status" -- "$url/redirect"
status_is 500 "no header block" -- "$url/noheader"
grep -q "header" "$work/server.log" || fail "no log line for the bad header block"
status_is 500 "trap" -- "$url/trap"
grep -q "about to trap" "$work/server.log" || fail "the handler's stderr is not in the log"
grep -q "handler trapped" "$work/server.log" || fail "the trap is not in the log"
! grep -q "trapped\|backtrace" "$work/body" || fail "trap details leaked to the client"
status_is 200 "still serving after a trap" -- "$url/"
status_is 500 "memory bomb" -- "$url/bomb"
status_is 500 "response over its limit" -- "$url/big"
status_is 413 "request body over its limit" -- --data-binary "@$work/payload" -H "Expect:" "$url/echo?$(printf 'x%.0s' $(seq 1))" \
  --data-binary "@$work/payload" --data-binary "@$work/payload"
status_is 431 "header over its limit" -- -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$url/"

# A handler in an endless loop ends with 504 at its deadline while other requests go on.
start=$(date +%s%N)
get "$url/loop" > "$work/loop.status" &
loop_client=$!
sleep 0.2
for i in $(seq 5); do status_is 200 "served while a handler loops ($i)" -- "$url/"; done
wait $loop_client
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(cat "$work/loop.status")" = 504 ] || fail "endless loop: status $(cat "$work/loop.status"), expected 504"
[ "$elapsed_ms" -lt $((5000 * slack)) ] || fail "endless loop answered after $elapsed_ms ms"

# Nothing of one request reaches the next: globals, memory, scratch files.
for i in 1 2 3; do
  status_is 200 "state ($i)" -- "$url/state"
  body_has "counter 0 scratch '' file absent"
done

# Malformed requests: 400, connection closed.
exec 3<>/dev/tcp/127.0.0.1/$port
printf 'NOT A REQUEST LINE\r\n\r\n' >&3
reply=$(timeout 5 cat <&3)
exec 3>&-
echo "$reply" | head -1 | grep -q "400" || fail "malformed request line: '$(echo "$reply" | head -1)'"
exec 3<>/dev/tcp/127.0.0.1/$port
printf 'GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n' >&3
reply=$(timeout 5 cat <&3)
exec 3>&-
echo "$reply" | head -1 | grep -q "400" || fail "malformed header: '$(echo "$reply" | head -1)'"

# A slow client (half a request line) is cut off after the header timeout.
exec 3<>/dev/tcp/127.0.0.1/$port
printf 'GET / HT' >&3
start=$(date +%s%N)
timeout 10 cat <&3 > /dev/null
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
exec 3>&-
[ "$elapsed_ms" -lt $((5000 * slack)) ] || fail "slow client kept for $elapsed_ms ms"

# 1,000 concurrent requests with distinct bodies each get exactly their own.
"$burst" "$port" /echo 1000 --echo > "$work/burst.out" || fail "1000 concurrent echoes: $(cat "$work/burst.out")"

# Sleeping handlers hold no thread: 300 handlers sleeping 0.7 s (the deadline is 1 s) on 2
# workers are all answered in about 0.7 s (blocking, the workers would need 105 s), and a hello
# is served meanwhile.
"$burst" "$port" "/sleep?ms=700" 300 > "$work/sleep.out" &
sleepers=$!
sleep 0.3
start=$(date +%s%N)
status_is 200 "served while 300 handlers sleep" -- "$url/"
hello_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$hello_ms" -lt $((500 * slack)) ] || fail "a hello took $hello_ms ms while handlers slept"
wait $sleepers || fail "sleepers: $(cat "$work/sleep.out")"
last=$(sed -n 's/.*last_answer_ms \([0-9]*\).*/\1/p' "$work/sleep.out")
[ -n "$last" ] && [ "$last" -ge 700 ] && [ "$last" -lt $((2000 * slack)) ] || fail "300 sleeps of 0.7 s: $(cat "$work/sleep.out")"
status_is 200 "a sleep reports its length" -- "$url/sleep?ms=200"
grep -q "slept 2[0-9][0-9] ms" "$work/body" || fail "sleep of 200 ms: $(cat "$work/body")"
# A sleep past the deadline ends with 504 at the deadline, not at the end of the sleep.
start=$(date +%s%N)
status_is 504 "sleep past the deadline" -- "$url/sleep?ms=5000"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -lt $((1500 * slack)) ] || fail "a sleep past its 1 s deadline answered after $elapsed_ms ms"

# Every request is in the access log as one JSON line.
sleep 0.3  # the access log is flushed every 100 ms
lines=$(grep -c '^{"time":' "$work/access.log")
[ "$lines" -ge 1320 ] || fail "access log has $lines lines (one per handler run: 1320)"
grep -q '"status":504' "$work/access.log" || fail "the 504 is not in the access log"
# Deadlines (1 s) end requests within 50 ms, by the server's own clock (endless loop, long sleep).
late=$(grep '"status":504' "$work/access.log" | sed 's/.*"total_us":\([0-9]*\).*/\1/' |
  awk -v max=$((1000000 + 50000 * slack)) '$1 < 1000000 || $1 > max')
[ -z "$late" ] || fail "504s outside deadline..deadline+50 ms: $late us"

kill -TERM "$server"
wait "$server"
status=$?
server=""
[ "$status" -eq 0 ] || fail "SIGTERM: exit $status"
if [ "$failures" -ne 0 ]; then echo "--- server log"; tail -20 "$work/server.log"; echo "$failures serve check(s) failed"; exit 1; fi
echo "all serve checks passed"

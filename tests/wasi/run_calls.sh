#!/usr/bin/env bash
# Every WASI function, checked by the guest itself: 47 "ok" lines and exit status 42.
#   run_calls.sh ATOLL calls.wasm
set -u
atoll=$1 guest=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/box"
echo input > "$work/stdin"
XDG_CACHE_HOME="$work/cache" "$atoll" run --dir "$work/box::/sandbox" --env A=1 --env B=two "$guest" one two \
  < "$work/stdin" > "$work/out"
status=$?
cat "$work/out"
[ "$status" -eq 42 ] || { echo "FAIL: exit status $status, expected 42 (from proc_exit)"; exit 1; }
[ "$(grep -c '^ok ' "$work/out")" -eq 47 ] || { echo "FAIL: expected 47 passing checks"; exit 1; }
! grep -q FAIL "$work/out" || exit 1
[ -z "$(ls -A "$work/box")" ] || { echo "FAIL: the guest left files behind"; exit 1; }
echo "all WASI functions behave"

#!/usr/bin/env bash
# A C++ program that throws and catches across frames: the same output natively and under
# `atoll run` in both bounds modes; with no handler, both end with status 134.
#   run_cxx_exceptions.sh ATOLL NATIVE PROGRAM.wasm
set -u
atoll=$1 native=$2 wasm=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"
fail() { echo "FAIL: $*"; exit 1; }

"$native" > "$work/native.out" || fail "native build exits $?"
[ "$(wc -l < "$work/native.out")" -ge 10 ] || fail "native output too short"
for bounds in guard explicit; do
  "$atoll" run --bounds "$bounds" "$wasm" > "$work/$bounds.out" 2> "$work/$bounds.err" ||
    { cat "$work/$bounds.err"; fail "atoll run --bounds $bounds exits $?"; }
  diff -u "$work/native.out" "$work/$bounds.out" || fail "--bounds $bounds: output differs from native"
done

"$atoll" run "$wasm" uncaught > "$work/uncaught.out" 2> "$work/uncaught.err"
status=$?
[ "$status" = 134 ] || fail "uncaught: exit $status, expected 134"
grep -q "about to throw" "$work/uncaught.out" || fail "uncaught: output before the throw lost"
grep -q "wasm trap: uncaught exception" "$work/uncaught.err" || { cat "$work/uncaught.err"; fail "uncaught: no trap message"; }
(ulimit -c 0; "$native" uncaught > /dev/null 2>&1)
[ $? = 134 ] || fail "native uncaught: expected SIGABRT (134)"
echo "C++ exceptions: same $(wc -l < "$work/native.out") lines natively and in both bounds modes; uncaught: 134 in both"

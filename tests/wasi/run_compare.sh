#!/usr/bin/env bash
# The same C program natively and under `atoll run`: identical output and exit status.
#   run_compare.sh ATOLL PROGRAM.native PROGRAM.wasm
set -u
atoll=$1 native=$2 wasm=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/native" "$work/wasm"
(cd "$work/native" && GREETING="hi there" "$native" alpha "b c") > "$work/native.out"
native_status=$?
XDG_CACHE_HOME="$work/cache" "$atoll" run --env "GREETING=hi there" --dir "$work/wasm::." "$wasm" alpha "b c" > "$work/wasm.out"
wasm_status=$?
if ! diff -u "$work/native.out" "$work/wasm.out"; then echo "FAIL: outputs differ"; exit 1; fi
if [ "$native_status" != "$wasm_status" ]; then echo "FAIL: exit $wasm_status, natively $native_status"; exit 1; fi
echo "same output ($(wc -l < "$work/native.out") lines) and exit status $native_status"

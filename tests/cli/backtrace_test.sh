#!/usr/bin/env bash
# Trap backtraces a user can act on: a guest that traps three calls deep (guests/deep_trap.c)
# prints every frame with its wasm function, name and bytecode offset at the default -O2, where
# atoll's LLVM has inlined the calls, exactly as at -O0; built with -g, each frame also has the
# guest's file:line:column.
#   backtrace_test.sh path/to/atoll DIR_WITH_deep_trap_*.wasm path/to/deep_trap.c
set -u
atoll=$1
guests=$2
source=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export XDG_CACHE_HOME="$work/cache"

line_of() { grep -n -- "// @$1\$" "$source" | cut -d: -f1; }

# frames FILE: the guest's four frames of a backtrace, one per line, "name offset" only.
frames() {
  sed -nE 's/^  #[0-9]+ wasm function [0-9]+ <(load|lookup|parse|main)> @ (0x[0-9a-f]+).*/\1 \2/p' "$1"
}

for variant in debug nodebug; do
  wasm="$guests/deep_trap_$variant.wasm"
  for opt in 0 2; do
    expect 134 "$variant -O$opt traps" -- "$atoll" run -O "$opt" "$wasm"
    contains "wasm trap: out of bounds memory access"
    cp "$work/out" "$work/$variant-O$opt.txt"
    names=$(frames "$work/out" | cut -d' ' -f1 | tr '\n' ' ')
    [ "$names" = "load lookup parse main " ] ||
      fail "$variant -O$opt: frames are '$names', expected 'load lookup parse main':$(sed 's/^/\n    /' "$work/out")"
  done
  # The same wasm offsets whether or not atoll inlined the calls.
  [ "$(frames "$work/$variant-O0.txt")" = "$(frames "$work/$variant-O2.txt")" ] ||
    fail "$variant: -O2 frames differ from -O0:$(sed 's/^/\n    /' "$work/$variant-O0.txt" "$work/$variant-O2.txt")"
done

# -O2 did inline (otherwise this test shows nothing about inlined frames).
grep -qE '<(load|lookup)> @ 0x[0-9a-f]+.* \(inlined\)$' "$work/nodebug-O2.txt" ||
  fail "-O2 backtrace marks no frame inlined:$(sed 's/^/\n    /' "$work/nodebug-O2.txt")"
grep -qE '<(load|lookup|parse)>.*\(inlined\)' "$work/nodebug-O0.txt" &&
  fail "-O0 backtrace marks an atoll frame inlined"

# With -g every frame has its source line; main's wasm function is the C main (__main_argc_argv).
for f in load lookup parse main; do
  want="deep_trap.c:$(line_of "$f"):"
  for opt in 0 2; do
    grep -E "<$f> @ 0x[0-9a-f]+ .*at [^ ]*$want[0-9]+" "$work/debug-O$opt.txt" > /dev/null ||
      fail "debug -O$opt: frame $f lacks $want:$(sed 's/^/\n    /' "$work/debug-O$opt.txt")"
  done
done
grep -q "deep_trap.c" "$work/nodebug-O2.txt" && fail "without -g a frame names a source file"

# A stripped guest (no name section) still gets indices and offsets.
if command -v wasm-strip > /dev/null; then
  cp "$guests/deep_trap_nodebug.wasm" "$work/stripped.wasm" && wasm-strip "$work/stripped.wasm"
  expect 134 "stripped guest traps" -- "$atoll" run "$work/stripped.wasm"
  grep -cE '^  #[0-9]+ wasm function [0-9]+ (<[^>]*> )?@ 0x[0-9a-f]+' "$work/out" | grep -qvx '[0-3]' ||
    fail "stripped guest: fewer than four frames with offsets:$(sed 's/^/\n    /' "$work/out")"
fi

finish

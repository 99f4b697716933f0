#!/usr/bin/env bash
# Debugging a guest with gdb: `atoll run -D debug-info` registers the loaded code with GDB's JIT
# interface (an in-memory ELF object per module: a symbol per wasm function, and the guest's
# line table when it was built with -g), so gdb breaks on a wasm function by name, shows its
# source line, breaks on file:line and steps by line. Without -D debug-info gdb sees nothing.
#   gdb_test.sh path/to/atoll DIR_WITH_gdb_step_*.wasm path/to/gdb_step.c
set -u
atoll=$1
guests=$2
source=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export XDG_CACHE_HOME="$work/cache"
command -v gdb >/dev/null || { echo "gdb is not installed (scripts/install-deps.sh installs it)"; exit 1; }

line_of() { grep -n -- "// @$1\$" "$source" | cut -d: -f1; }
begin=$(line_of begin) end=$(line_of end) second=$(line_of second) call=$(line_of call)
expected=$(printf '%d' "$("$atoll" run "$guests/gdb_step_debug.wasm" atoll-gdb)") ||
  fail "the guest does not run without gdb"

# gdb -batch with a script; output in $work/out. The guest's memory accesses rely on guard pages
# (SIGSEGV turned into traps by atoll), so gdb passes the signal on without stopping.
debug() {
  local script=$1
  shift
  {
    echo "set pagination off"
    echo "set confirm off"
    echo "handle SIGSEGV nostop noprint pass"
    echo "set breakpoint pending on"
    printf '%s\n' "$script"
  } >"$work/cmds.gdb"
  # LeakSanitizer cannot run under ptrace: in a sanitizer build, leak checks stay with the
  # other tests.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    timeout 120 gdb -batch -nx -x "$work/cmds.gdb" --args "$atoll" run "$@" >"$work/out" 2>&1
}

# By name, with DWARF: the stop is in the function's source, and main called it at @call.
debug "break atoll_checksum
run
bt 3
break gdb_step.c:$second
continue
next
continue" -D debug-info "$guests/gdb_step_debug.wasm" atoll-gdb
cp "$work/out" "$work/debug.txt"
stop=$(sed -nE 's/^Breakpoint 1, atoll_checksum \(\) at .*gdb_step\.c:([0-9]+)$/\1/p' "$work/out" | head -1)
if [ -z "$stop" ]; then
  fail "no stop at atoll_checksum with a source line:$(sed 's/^/\n    /' "$work/out")"
else
  [ "$stop" -ge "$begin" ] && [ "$stop" -le "$end" ] ||
    fail "stopped at line $stop, outside atoll_checksum (lines $begin-$end)"
  # gdb prints the line it stopped at, as in the source.
  text=$(sed -n "${stop}p" "$source")
  grep -qxF "$stop	$text" "$work/out" || fail "line $stop's source text not shown:$(sed 's/^/\n    /' "$work/out")"
fi
# The call goes through a pointer, so through atoll_checksum.entry (the function's entry in the
# wasm calling convention, compiler/call_entries.cpp), a frame of its own: main is #2.
contains "#1  0x[0-9a-f]* in atoll_checksum.entry ()\$"
contains "#2  0x[0-9a-f]* in main () at .*gdb_step\.c:$call\$"
# By file:line: the loop body, then `next` goes on to another line of the same function.
contains "^Breakpoint 2, atoll_checksum () at .*gdb_step\.c:$second\$"
contains "^$second	.*// @second\$"
after=$(sed -n '/^Breakpoint 2, /,$p' "$work/out" | sed -nE 's/^([0-9]+)\t.*/\1/p' | sed -n 2p)
if [ -z "$after" ] || [ "$after" = "$second" ] || [ "$after" -lt "$begin" ] || [ "$after" -gt "$end" ]; then
  fail "next from line $second went to '${after}', expected another line of atoll_checksum:$(sed 's/^/\n    /' "$work/out")"
fi
# The loop body runs once per byte of "atoll-gdb": breakpoint 2 is hit again after `next`.
[ "$(grep -c '^Breakpoint 2, ' "$work/out")" -ge 2 ] || fail "breakpoint 2 hit only once:$(sed 's/^/\n    /' "$work/out")"

# Without DWARF: the symbol still exists, so the break by name hits (no source line to show).
debug "break atoll_checksum
run
continue" -D debug-info "$guests/gdb_step_nodebug.wasm" atoll-gdb
contains "^Breakpoint 1, 0x[0-9a-f]* in atoll_checksum ()\$"
contains "^$expected\$"

# Not registered unless asked for: the pending breakpoint never resolves, the guest just runs.
debug "break atoll_checksum
run" -D debug-info=n "$guests/gdb_step_debug.wasm" atoll-gdb
lacks "^Breakpoint 1, "
contains "^$expected\$"
contains "exited normally"

# A bad value is refused like any bad flag.
expect 2 "-D debug-info=maybe" -- "$atoll" run -D debug-info=maybe "$guests/gdb_step_debug.wasm"
contains "debug-info"
finish

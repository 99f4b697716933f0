#!/usr/bin/env bash
# `atoll run`'s options as a Wasmtime user spells them (-W limits, -S WASI, --env, --argv0,
# --preload, a module on stdin, typed --invoke values, --version), each shown by its effect.
#   run_options_test.sh path/to/atoll DIR_WITH_printenv.wasm
set -u
atoll=$1
guests=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export XDG_CACHE_HOME="$work/cache"
w2w() { wat2wasm "$@" || exit 1; }

# --- -W fuel: the same instruction count every run --------------------------------------------
# Writes one byte per iteration, forever: the bytes written before the fuel ran out count the
# iterations.
cat > "$work/writer.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\01\00\00\00")
  (data (i32.const 16) "x")
  (func (export "_start")
    (loop $forever
      (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $forever))))
WAT
w2w "$work/writer.wat" -o "$work/writer.wasm"
counts=()
for i in 1 2 3; do
  "$atoll" run -W fuel=20000 "$work/writer.wasm" > "$work/fuel$i.out" 2> "$work/fuel$i.err"
  rc=$?
  [ "$rc" -eq 134 ] || fail "fuel run $i: exit $rc, expected 134"
  grep -q "all fuel consumed" "$work/fuel$i.err" || fail "fuel run $i: $(cat "$work/fuel$i.err")"
  counts+=("$(wc -c < "$work/fuel$i.out")")
done
[ "${counts[0]}" -gt 100 ] && [ "${counts[0]}" = "${counts[1]}" ] && [ "${counts[1]}" = "${counts[2]}" ] ||
  fail "fuel: iterations differ between runs or are too few: ${counts[*]}"
"$atoll" run -W fuel=40000 "$work/writer.wasm" > "$work/fuel4.out" 2> /dev/null
doubled=$(wc -c < "$work/fuel4.out")
[ "$doubled" -ge $((2 * counts[0] - 2)) ] && [ "$doubled" -le $((2 * counts[0] + 2)) ] ||
  fail "fuel: twice the fuel ran $doubled iterations, not twice ${counts[0]}"
expect 134 "-W fuel with consume-fuel in the same flag" -- "$atoll" run -W consume-fuel,fuel=500 "$work/writer.wasm"
contains "all fuel consumed"
expect 2 "fuel without metering" -- "$atoll" run -W fuel=5,consume-fuel=n "$work/writer.wasm"; contains "consume-fuel=n"
expect 2 "fuel without a value" -- "$atoll" run -W fuel "$work/writer.wasm"; contains "fuel=N"
expect 2 "fuel that is not a number" -- "$atoll" run -W fuel=lots "$work/writer.wasm"; contains "'lots' is not a whole number"

# --- -W timeout: an infinite loop stops within 50 ms of its deadline --------------------------
cat > "$work/spin.wat" <<'WAT'
(module (func (export "_start") (loop $l (br $l))) (func (export "spin") (param i32) (result i32) (loop $l (br $l)) (i32.const 0)))
WAT
w2w "$work/spin.wat" -o "$work/spin.wasm"
start=$(date +%s%N)
expect 134 "-W timeout stops an infinite loop" -- "$atoll" run -W timeout=300ms "$work/spin.wasm"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
contains "guest exceeded its timeout of 300ms (-W timeout)"; contains "wasm trap: interrupted"
[ "$elapsed_ms" -ge 300 ] || fail "timeout: stopped after $elapsed_ms ms, before the deadline"
# The CLI measures how long after the deadline the guest stopped; 50 ms is the bound.
late=$(sed -n 's/.*; stopped \([0-9.]*\)\(us\|ms\|ns\|s\) after it.*/\1 \2/p' "$work/out")
case "$late" in
  *" ns"|*" us") ;;
  *" ms") [ "${late%%[. ]*}" -lt 50 ] || fail "timeout: stopped $late after the deadline" ;;
  *) fail "timeout: no lateness reported: $(cat "$work/out")" ;;
esac
expect 134 "-W timeout with --invoke" -- "$atoll" run -W timeout=0.1 --invoke spin "$work/spin.wasm" 1
contains "timeout of 100ms"
expect 2 "a bad duration" -- "$atoll" run -W timeout=soon "$work/spin.wasm"; contains "'soon' is not a duration"
expect 2 "timeout with epochs off" -- "$atoll" run -W timeout=1s,epoch-interruption=n "$work/spin.wasm"
contains "epoch-interruption=n"
# A guest sleeping in a host call reaches no epoch check: the process ends after a short grace.
cat > "$work/sleeper.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; one subscription at 0: userdata, tag 0 (clock), clock id 1 (monotonic), timeout 10 s, relative
  (data (i32.const 8) "\00")
  (data (i32.const 16) "\01\00\00\00")
  (data (i32.const 24) "\00\e4\0b\54\02\00\00\00")
  (func (export "_start") (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))
WAT
w2w "$work/sleeper.wat" -o "$work/sleeper.wasm"
start=$(date +%s%N)
expect 134 "-W timeout stops a guest sleeping in WASI" -- "$atoll" run -W timeout=200ms "$work/sleeper.wasm"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
contains "while in a host call; stopped"
[ "$elapsed_ms" -lt 5000 ] || fail "a sleeping guest ran $elapsed_ms ms past a 200 ms timeout"

# --- memory, table and stack limits ------------------------------------------------------------
cat > "$work/limits.wat" <<'WAT'
(module
  (memory 1)
  (table 1 funcref)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "grow_twice") (param i32) (result i32)
    (drop (memory.grow (local.get 0))) (memory.grow (local.get 0)))
  (func (export "table_grow") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0)))
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1))))))))
WAT
w2w "$work/limits.wat" -o "$work/limits.wasm"
expect 0 "memory.grow without a cap" -- "$atoll" run --invoke grow_twice "$work/limits.wasm" 1; contains "^2$"
expect 0 "memory.grow under -W max-memory-size" -- "$atoll" run -W max-memory-size=128KiB --invoke grow "$work/limits.wasm" 1
contains "^1$"
expect 0 "memory.grow past -W max-memory-size returns -1" -- \
  "$atoll" run -W max-memory-size=128KiB --invoke grow_twice "$work/limits.wasm" 1
contains "^-1 (0xffffffff)$"
expect 0 "bytes spelt out" -- "$atoll" run -W max-memory-size=131072 --invoke grow "$work/limits.wasm" 2
contains "^-1 (0xffffffff)$"
expect 2 "a bad size" -- "$atoll" run -W max-memory-size=lots --invoke grow "$work/limits.wasm" 1; contains "not a size in bytes"
expect 0 "table.grow under -W max-table-elements" -- "$atoll" run -W max-table-elements=4 --invoke table_grow "$work/limits.wasm" 3
contains "^1$"
expect 0 "table.grow past -W max-table-elements returns -1" -- \
  "$atoll" run -W max-table-elements=4 --invoke table_grow "$work/limits.wasm" 4
contains "^-1 (0xffffffff)$"
expect 0 "deep recursion on the default stack" -- "$atoll" run --invoke deep "$work/limits.wasm" 5000; contains "^5000$"
expect 134 "the same recursion past -W max-wasm-stack" -- "$atoll" run -W max-wasm-stack=16KiB --invoke deep "$work/limits.wasm" 5000
contains "call stack exhausted"
expect 0 "a bigger -W max-wasm-stack allows deeper recursion" -- \
  "$atoll" run -W max-wasm-stack=64MiB --invoke deep "$work/limits.wasm" 200000
contains "^200000$"
expect 2 "a stack too small" -- "$atoll" run -W max-wasm-stack=1 --invoke deep "$work/limits.wasm" 1; contains "between 4KiB and 4GiB"

# --- -W epoch-interruption / consume-fuel: code compiled with them, in their own cache entries --
"$atoll" cache clean > /dev/null
expect 0 "-W epoch-interruption" -- "$atoll" run -W epoch-interruption --invoke deep "$work/limits.wasm" 10; contains "^10$"
expect 0 "-W consume-fuel alone runs unlimited" -- "$atoll" run -W consume-fuel=y --invoke deep "$work/limits.wasm" 10
contains "^10$"
expect 0 "plain" -- "$atoll" run --invoke deep "$work/limits.wasm" 10
[ "$(ls "$work"/cache/atoll/*.atoll | wc -l)" -eq 3 ] || fail "epoch/fuel settings are not in the cache key"
# atoll run compiles for this CPU's level by default (its cache is per machine); --target-cpu wins.
level=$("$atoll" --version | sed -n 's/^host CPU: \(x86-64[-v0-9]*\) .*/\1/p')
[ -n "$level" ] || fail "--version names no host CPU level"
for a in "$work"/cache/atoll/*.atoll; do
  "$atoll" inspect --json "$a" | jq -e --arg l "$level" '.artifact.target_cpu == $l' > /dev/null ||
    fail "a cached artifact of atoll run is not compiled for the host's level $level"
done
"$atoll" cache clean > /dev/null
expect 0 "--target-cpu x86-64 for atoll run" -- "$atoll" run --target-cpu x86-64 --invoke deep "$work/limits.wasm" 10
"$atoll" inspect --json "$work"/cache/atoll/*.atoll | jq -e '.artifact.target_cpu == "x86-64"' > /dev/null ||
  fail "atoll run --target-cpu x86-64 did not compile for x86-64"
expect 2 "an unknown -W option" -- "$atoll" run -W turbo --invoke deep "$work/limits.wasm" 1
contains "unknown option -W turbo"; contains "max-memory-size"
expect 2 "an empty -W item" -- "$atoll" run -W fuel=1,,timeout=1s --invoke deep "$work/limits.wasm" 1; contains "empty option"

# --- an artifact's own settings are read from it -------------------------------------------------
expect 0 "compile with epochs and explicit checks" -- \
  "$atoll" compile --epoch-interruption --bounds explicit "$work/spin.wasm" -o "$work/spin.atoll"
expect 134 "a timeout on that artifact, no flags repeated" -- \
  "$atoll" run --allow-precompiled -W timeout=100ms "$work/spin.atoll"
contains "timeout of 100ms"
expect 0 "compile without epochs" -- "$atoll" compile "$work/spin.wasm" -o "$work/plain.atoll"
expect 1 "a timeout needs epochs compiled in" -- "$atoll" run --allow-precompiled -W timeout=100ms "$work/plain.atoll"
contains "compiled without epoch checks"; contains "--epoch-interruption"
expect 1 "an explicit --bounds must agree" -- "$atoll" run --allow-precompiled --bounds guard -W timeout=1s "$work/spin.atoll"
contains "compiled for explicit bounds checks"

# --- WASI: environment and argv[0] -------------------------------------------------------------
pe=$guests/printenv.wasm
expect 0 "no environment by default" -- env ATOLL_T1=one "$atoll" run "$pe" a b
contains "^arg\[0\]=printenv.wasm$"; contains "^arg\[1\]=a$"; contains "^arg\[2\]=b$"; lacks "ATOLL_T1"
expect 0 "-S inherit-env" -- env ATOLL_T1=one ATOLL_T2=two "$atoll" run -S inherit-env "$pe"
contains "^env ATOLL_T1=one$"; contains "^env ATOLL_T2=two$"
expect 0 "--env NAME passes one variable on" -- env ATOLL_T1=one ATOLL_T2=two "$atoll" run --env ATOLL_T1 "$pe"
contains "^env ATOLL_T1=one$"; lacks "ATOLL_T2"
expect 0 "--env NAME of an unset variable sets nothing" -- env -u ATOLL_T3 "$atoll" run --env ATOLL_T3 "$pe"; lacks "ATOLL_T3"
expect 0 "--env NAME=VALUE overrides an inherited one" -- \
  env ATOLL_T1=one "$atoll" run -S inherit-env --env ATOLL_T1=mine "$pe"
contains "^env ATOLL_T1=mine$"; lacks "ATOLL_T1=one"
expect 0 "--argv0" -- "$atoll" run --argv0 tool "$pe" x; contains "^arg\[0\]=tool$"; contains "^arg\[1\]=x$"
expect 0 "guest flags after the module stay the guest's" -- "$atoll" run "$pe" --argv0 -W fuel=1
contains "^arg\[1\]=--argv0$"; contains "^arg\[3\]=fuel=1$"
expect 2 "an unknown -S option" -- "$atoll" run -S network "$pe"; contains "unknown option -S network"

# --- a module on stdin --------------------------------------------------------------------------
cat > "$work/calc.wat" <<'WAT'
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "id32") (param f32) (result f32) (local.get 0))
  (func (export "id64") (param f64) (result f64) (local.get 0))
  (func (export "idv") (param v128) (result v128) (local.get 0)))
WAT
w2w "$work/calc.wat" -o "$work/calc.wasm"
expect 0 "a module on stdin" -- sh -c "'$atoll' run --invoke add - 40 2 < '$work/calc.wasm'"; contains "^42$"
expect 0 "a WASI command on stdin" -- sh -c "'$atoll' run - hello < '$pe'"; contains "^arg\[1\]=hello$"
expect 1 "garbage on stdin" -- sh -c "echo nope | '$atoll' run -"; contains "<stdin>: malformed module"

# --- text modules are named as such --------------------------------------------------------------
for cmd in run validate compile inspect; do
  expect 1 "$cmd of a .wat" -- "$atoll" $cmd "$work/calc.wat"
  contains "WebAssembly text (.wat)"; contains "wat2wasm"
done

# --- --invoke values ------------------------------------------------------------------------------
expect 0 "decimal with a leading zero is decimal" -- "$atoll" run --invoke add "$work/calc.wasm" 010 0x10; contains "^26$"
expect 0 "unsigned spelling of an i32" -- "$atoll" run --invoke add "$work/calc.wasm" 4294967295 0
contains "^-1 (0xffffffff)$"
expect 0 "i64 results show their width" -- "$atoll" run --invoke add64 "$work/calc.wasm" -1 0
contains "^-1 (0xffffffffffffffff)$"
expect 0 "the largest u64" -- "$atoll" run --invoke add64 "$work/calc.wasm" 18446744073709551615 0
contains "^-1 (0xffffffffffffffff)$"
expect 0 "i64 beyond 2^53 exactly" -- "$atoll" run --invoke add64 "$work/calc.wasm" 9007199254740993 0
contains "^9007199254740993$"
expect 1 "an i32 out of range" -- "$atoll" run --invoke add "$work/calc.wasm" 4294967296 0; contains "out of range for a 32-bit"
expect 1 "octal is not a thing" -- "$atoll" run --invoke add "$work/calc.wasm" 0o10 0; contains "'0o10' is not a 32-bit integer"
expect 0 "f32 shortest form" -- "$atoll" run --invoke id32 "$work/calc.wasm" 0.1; contains "^0.1$"
expect 0 "f64 -0 keeps its sign" -- "$atoll" run --invoke id64 "$work/calc.wasm" -0; contains "^-0$"
expect 0 "a NaN payload" -- "$atoll" run --invoke id32 "$work/calc.wasm" nan:0x200000; contains "^nan:0x200000$"
expect 0 "the canonical NaN" -- "$atoll" run --invoke id64 "$work/calc.wasm" -nan; contains "^-nan$"
expect 0 "infinity" -- "$atoll" run --invoke id64 "$work/calc.wasm" inf; contains "^inf$"
expect 0 "a hex float" -- "$atoll" run --invoke id64 "$work/calc.wasm" 0x1p-2; contains "^0.25$"
expect 1 "a float with junk" -- "$atoll" run --invoke id64 "$work/calc.wasm" 1.5x; contains "'1.5x' is not a valid f64"
expect 0 "a v128" -- "$atoll" run --invoke idv "$work/calc.wasm" 0x0102; contains "^0x00000000000000000000000000000102$"

# --- --preload: modules linked as imports -----------------------------------------------------------
cat > "$work/lib.wat" <<'WAT'
(module (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))
WAT
cat > "$work/app.wat" <<'WAT'
(module
  (import "lib" "double" (func $double (param i32) (result i32)))
  (func (export "quad") (param i32) (result i32) (call $double (call $double (local.get 0)))))
WAT
w2w "$work/lib.wat" -o "$work/lib.wasm"; w2w "$work/app.wat" -o "$work/app.wasm"
expect 0 "--preload" -- "$atoll" run --preload lib="$work/lib.wasm" --invoke quad "$work/app.wasm" 5; contains "^20$"
expect 1 "without the preload" -- "$atoll" run --invoke quad "$work/app.wasm" 5
contains "imports lib.double, which neither WASI nor a --preload"
expect 1 "a preload under another name" -- "$atoll" run --preload other="$work/lib.wasm" --invoke quad "$work/app.wasm" 5
contains "imports lib.double"
expect 2 "a malformed --preload" -- "$atoll" run --preload "$work/lib.wasm" --invoke quad "$work/app.wasm" 5; contains "NAME=PATH"
expect 1 "a missing preload file" -- "$atoll" run --preload lib="$work/none.wasm" --invoke quad "$work/app.wasm" 5
contains "--preload lib"; contains "none.wasm"

# --- --profile: perf's map file and jitdump -------------------------------------------------------
mkdir -p "$work/jit"
expect 0 "--profile jitdump" -- env ATOLL_JITDUMP_DIR="$work/jit" "$atoll" run --profile jitdump --invoke quad --preload lib="$work/lib.wasm" "$work/app.wasm" 3
contains "^12$"
dump=$(ls "$work"/jit/jit-*.dump 2>/dev/null | head -1)
if [ -z "$dump" ]; then
  fail "--profile jitdump wrote no jit-PID.dump"
else
  # The header's magic (0x4A695444, little-endian) and one named record per wasm function of both modules.
  [ "$(head -c4 "$dump" | od -An -tx4 | tr -d ' ')" = 4a695444 ] || fail "jitdump magic is wrong"
  grep -aq "wasm\[0\]" "$dump" || fail "jitdump names no wasm function"
  [ "$(grep -ao 'wasm\[[0-9]*\]' "$dump" | wc -l)" -ge 2 ] || fail "jitdump lacks the preloaded module's code"
fi
expect 1 "--profile jitdump into a missing directory still runs" -- env ATOLL_JITDUMP_DIR="$work/none/x" "$atoll" run --profile jitdump --invoke quad "$work/app.wasm" 3
contains "imports lib.double"
expect 0 "jitdump into a missing directory warns and runs" -- env ATOLL_JITDUMP_DIR="$work/none/x" "$atoll" run --profile jitdump --invoke double "$work/lib.wasm" 3
contains "^6$"; contains "cannot create .*no jitdump"
expect 2 "an unknown profiler" -- "$atoll" run --profile vtune --invoke double "$work/lib.wasm" 3; contains "profile"
# The perf map is in /tmp under the process id: run in a shell whose pid we know.
expect 0 "--profile perfmap" -- sh -c 'echo $$ > "$1/pid"; exec "$2" run --profile perfmap --invoke double "$3" 4' sh "$work" "$atoll" "$work/lib.wasm"
contains "^8$"
map=/tmp/perf-$(cat "$work/pid").map
if [ -f "$map" ]; then
  grep -Eq '^[0-9a-f]+ [0-9a-f]+ wasm\[0\] double$' "$map" || { fail "perf map lacks 'wasm[0] double'"; cat "$map"; }
  rm -f "$map"
else
  fail "--profile perfmap wrote no $map"
fi

# --- -W proposals: extended-const on by default, all-proposals=n holds modules to 2.0 ---------------
cat > "$work/extconst.wat" <<'WAT'
(module
  (global $g i32 (i32.mul (i32.add (i32.const 4) (i32.const 2)) (i32.const 7)))
  (func (export "g") (result i32) (global.get $g)))
WAT
w2w --enable-extended-const "$work/extconst.wat" -o "$work/extconst.wasm"
expect 0 "extended constants run by default" -- "$atoll" run --invoke g "$work/extconst.wasm"
contains "^42$"
# The cached artifact (made with the proposal on) must not be taken when it is off.
expect 1 "-W extended-const=n refuses them, cache or not" -- "$atoll" run -W extended-const=n --invoke g "$work/extconst.wasm"
contains "constant expression required: i32.add"; contains "offset 0x"
expect 1 "-W all-proposals=n refuses them" -- "$atoll" run -W all-proposals=n --invoke g "$work/extconst.wasm"
contains "constant expression required"
expect 0 "-W all-proposals=n,extended-const=y: a later setting wins" -- "$atoll" run -W all-proposals=n,extended-const=y --invoke g "$work/extconst.wasm"
contains "^42$"
expect 1 "atoll compile -W extended-const=n (through the compile worker)" -- "$atoll" compile -W extended-const=n "$work/extconst.wasm" -o "$work/extconst.atoll"
contains "constant expression required: i32.add"
[ -e "$work/extconst.atoll" ] && fail "a refused compile left an artifact"
expect 0 "atoll compile with the proposal on" -- "$atoll" compile "$work/extconst.wasm" -o "$work/extconst.atoll"
expect 0 "its artifact runs" -- "$atoll" run --allow-precompiled --invoke g "$work/extconst.atoll"
contains "^42$"
expect 2 "-W gc=y: known, not implemented" -- "$atoll" run -W gc=y --invoke g "$work/extconst.wasm"
contains "does not implement this proposal yet"
expect 0 "-W gc=n is what atoll does anyway" -- "$atoll" run -W gc=n --invoke g "$work/extconst.wasm"
# Exception handling: an exception nothing catches ends the run as an error; without the
# proposal the tag section is malformed.
printf '\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0d\x03\x01\x00\x00\x07\x05\x01\x01\x74\x00\x00\x0a\x06\x01\x04\x00\x08\x00\x0b' > "$work/throw.wasm"
expect 134 "an uncaught exception ends the run like a trap" -- "$atoll" run --invoke t "$work/throw.wasm"
contains "uncaught exception"
expect 1 "-W exceptions=n refuses tags" -- "$atoll" run -W exceptions=n --invoke t "$work/throw.wasm"
contains "malformed section id 13"
expect 2 "an unknown -W of atoll compile" -- "$atoll" compile -W fuel=10 "$work/extconst.wasm" -o "$work/x.atoll"
contains "unknown option -W fuel"; contains "extended-const"
expect 2 "a bad switch value" -- "$atoll" wast -W extended-const=maybe "$work/none.json"
contains "extended-const"

# --- -W tail-call: on by default; 10^7 mutual tail calls under a 64 KiB guest stack -------------------
cat > "$work/tail.wat" <<'WAT'
(module
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1)))))))
WAT
w2w --enable-tail-call "$work/tail.wat" -o "$work/tail.wasm"
expect 0 "tail calls run by default, in constant stack" -- "$atoll" run -W max-wasm-stack=64KiB --invoke even "$work/tail.wasm" 10000000
contains "^1$"
expect 1 "-W tail-call=n refuses them" -- "$atoll" run -W tail-call=n --invoke even "$work/tail.wasm" 4
contains "tail calls are off"; contains "offset 0x"

# --- --version ----------------------------------------------------------------------------------------
expect 0 "--version" -- "$atoll" --version
contains "^atoll [0-9]"; contains "^LLVM 19"; contains "^artifact format [0-9]"; contains "^host CPU: x86-64"

finish

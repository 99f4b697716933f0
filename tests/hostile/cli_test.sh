#!/usr/bin/env bash
# Hostile-tenant checks of `atoll run` (issue 10): guest arguments never reach atoll, artifacts
# need consent, exit statuses as Wasmtime has them.
#   cli_test.sh ATOLL GUESTS_DIR
set -u
atoll=$1 guests=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"
failures=0
fail() { echo "FAIL: $*"; sed 's/^/    /' "$work/out"; failures=$((failures + 1)); }
# expect CODE DESCRIPTION -- command...; output in $work/out
expect() {
  local want=$1 what=$2
  shift 3
  "$@" >"$work/out" 2>&1
  local got=$?
  [ "$got" -eq "$want" ] || fail "$what: exit $got, expected $want"
}
contains() { grep -q -- "$1" "$work/out" || fail "output lacks '$1'"; }
lacks() { ! grep -q -- "$1" "$work/out" || fail "output has '$1'"; }

# --- Everything after the module belongs to the guest (finding 7) ---
args=$guests/args.wasm
expect 0 "a guest's --dir / stays the guest's" -- "$atoll" run "$args" / --dir /
contains "arg\[1\]=/"; contains "arg\[2\]=--dir"; contains "arg\[3\]=/"
expect 0 "a guest's -O 3 is not atoll's" -- "$atoll" run "$args" -O 3 x
contains "arg\[1\]=-O"; contains "arg\[2\]=3"; contains "arg\[3\]=x"
ls "$work/cache/atoll" | grep -q . || fail "no cache entry"
expect 0 "a guest's --size 50" -- "$atoll" run "$args" --size 50; contains "arg\[1\]=--size"; contains "arg\[2\]=50"
mkdir "$work/box"
expect 0 "options before the module still work" -- "$atoll" run --env A=1 -O 1 --dir "$work/box" "$args" --help
contains "arg\[1\]=--help"
expect 0 "-- ends atoll's options" -- "$atoll" run -- "$args" --invoke x; contains "arg\[1\]=--invoke"
expect 0 "an option value that looks like a flag" -- "$atoll" run --env --x=1 "$args" a; contains "arg\[1\]=a"
mkdir "$work/-odd"
cp "$args" "$work/-odd/m.wasm"
expect 0 "a module path after --" -- "$atoll" run -- "$work/-odd/m.wasm" z; contains "arg\[1\]=z"
cat > "$work/calc.wat" <<'WAT'
(module (func (export "neg") (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0))))
WAT
wat2wasm "$work/calc.wat" -o "$work/calc.wasm" || exit 1
expect 0 "--invoke takes negative numbers after the module" -- "$atoll" run --invoke neg "$work/calc.wasm" -5
contains "^5$"

# --- Precompiled artifacts need consent (finding 6) ---
"$atoll" compile "$work/calc.wasm" -o "$work/calc.atoll" || exit 1
cp "$work/calc.atoll" "$work/disguised.wasm"
expect 1 "an artifact is refused without --allow-precompiled" -- "$atoll" run --invoke neg "$work/calc.atoll" 1
contains "precompiled artifact"; contains "--allow-precompiled"
expect 1 "an artifact named .wasm is refused too" -- "$atoll" run --invoke neg "$work/disguised.wasm" 1
contains "precompiled artifact"
expect 0 "with --allow-precompiled it runs" -- "$atoll" run --allow-precompiled --invoke neg "$work/calc.atoll" 7
contains "^-7 (0x"

# --- Exit statuses (finding 10) ---
exit_module() {  # exit_module NAME STATUS IN_START
  local body="(call \$exit (i32.const $2))"
  if [ "$3" = start ]; then
    printf '(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))\n (memory (export "memory") 1)\n (func $s %s) (start $s)\n (func (export "_start") unreachable))\n' "$body"
  else
    printf '(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))\n (memory (export "memory") 1)\n (func (export "_start") %s))\n' "$body"
  fi > "$work/$1.wat"
  wat2wasm "$work/$1.wat" -o "$work/$1.wasm" || exit 1
}
exit_module start7 7 start
expect 7 "proc_exit in the start function is an exit, not a trap" -- "$atoll" run "$work/start7.wasm"
lacks "trap"
exit_module start0 0 start
expect 0 "proc_exit(0) in the start function" -- "$atoll" run "$work/start0.wasm"
exit_module main125 125 main
expect 125 "proc_exit(125)" -- "$atoll" run "$work/main125.wasm"
for status in 126 255 256 512 4294967295; do
  exit_module "main$status" "$status" main
  expect 1 "proc_exit($status) is reserved: exit 1, never wrapped" -- "$atoll" run "$work/main$status.wasm"
  contains "invalid exit status outside of \[0..126)"
done
exit_module start256 256 start
expect 1 "a reserved status from the start function" -- "$atoll" run "$work/start256.wasm"
contains "invalid exit status"

# --- Loops LLVM would turn into libc calls trap in guest code (finding 1) ---
cat > "$work/idioms.wat" <<'WAT'
(module
  (memory (export "memory") 1)
  (func (export "fill") (local $i i32)
    (loop $l
      (i32.store8 offset=65000 (local.get $i) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000)))))
  (func (export "copy") (local $i i32)
    (loop $l
      (i32.store8 offset=65000 (local.get $i) (i32.load8_u (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000)))))
  (func (export "move") (local $i i32)
    (local.set $i (i32.const 1000))
    (loop $l
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 offset=65001 (local.get $i) (i32.load8_u offset=65000 (local.get $i)))
      (br_if $l (local.get $i))))
  (func (export "wide") (local $i i32)
    (loop $l
      (i64.store offset=60000 (local.get $i) (i64.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 8000))))))
WAT
wat2wasm "$work/idioms.wat" -o "$work/idioms.wasm" || exit 1
for opt in 1 2 3; do
  for f in fill copy move wide; do
    expect 134 "$f loop out of bounds at -O$opt is a trap, not a host crash" -- \
      "$atoll" run --no-cache -O "$opt" --invoke "$f" "$work/idioms.wasm"
    contains "out of bounds memory access"
  done
done
"$atoll" compile -O 3 "$work/idioms.wasm" -o "$work/idioms.atoll" || exit 1
! objdump -dr "$work/idioms.atoll" | grep -Eq "R_X86_64.*(memset|memcpy|memmove)" || fail "guest code calls libc"

# --- A frame bigger than the host reserve cannot step over the stack's guard page ---
awk 'BEGIN { n = 49000; printf "(module (func $big (param v128) (result i64) (local"; for (i = 0; i < n; i++) printf " v128"; printf ")";
  for (i = 1; i < 200; i++) printf "(local.set %d (i64x2.add (local.get %d) (local.get %d)))", i, i - 1, i;
  printf "(i64x2.extract_lane 0 (i64x2.add (local.get 199) (local.get %d))))\n", n - 1;
  print "(func $rec (export \"rec\") (param $d i32) (result i64) (if (result i64) (i32.eqz (local.get $d)) (then (call $big (v128.const i64x2 1 1))) (else (i64.add (call $rec (i32.sub (local.get $d) (i32.const 1))) (i64.const 1))))))" }' \
  > "$work/bigframe.wat"
wat2wasm "$work/bigframe.wat" -o "$work/bigframe.wasm" || exit 1
"$atoll" compile "$work/bigframe.wasm" -o "$work/bigframe.atoll" || exit 1
objdump -d "$work/bigframe.atoll" | grep -A8 '<atl_func_0>:' | grep -q 'sub    $0x1000,%rsp' || fail "the 784 KiB frame is not probed"
# Every 16th depth across the band where the frame stops fitting: a failed entry check may find
# the stack ending a few bytes above the guard page, and the trap path must not need any of it
# (a band of about 100 depths crashed the host before the trap call moved to the frame pointer).
for d in 0 8000 $(seq 15000 16 17600) 20000 40000; do
  "$atoll" run --allow-precompiled --invoke rec "$work/bigframe.atoll" "$d" > "$work/out" 2>&1
  status=$?
  [ "$status" -eq 0 ] || { [ "$status" -eq 134 ] && grep -q "call stack exhausted" "$work/out"; } ||
    fail "a 784 KiB frame at depth $d: exit $status"
done

# --- Resource exhaustion ends in clean errors (finding 8) ---
{ echo "(module"; for i in $(seq 60); do echo "(table 10000000 funcref)"; done
  echo '(func (export "run") (result i32) (i32.const 1)))'; } > "$work/tables.wat"
wat2wasm "$work/tables.wat" -o "$work/tables.wasm" || exit 1
expect 1 "60 tables of 10 M elements: a table-limit error" -- "$atoll" run --invoke run "$work/tables.wasm"
contains "table limit"
if [ "${ATOLL_SANITIZED:-0}" = 0 ]; then  # (sanitizer builds cannot run under ulimit -v)
expect 1 "... also under an address-space limit" -- bash -c "ulimit -v 4000000; exec \"\$0\" run --invoke run \"\$1\"" \
  "$atoll" "$work/tables.wasm"
contains "table limit"
expect 1 "a guard-page memory under an address-space limit: a clean error" -- \
  bash -c "ulimit -v 2000000; exec \"\$0\" run --invoke fill \"\$1\"" "$atoll" "$work/idioms.wasm"
contains "cannot reserve"
fi

# --- The compile cache is no channel for native code (finding 5) ---
cache=$work/cache/atoll
"$atoll" run --invoke neg "$work/calc.wasm" 1 >/dev/null 2>&1
[ "$(stat -c %a "$cache")" = 700 ] || fail "the cache directory is not 0700"
[ "$(stat -c %a "$cache/key")" = 600 ] || fail "the cache key is not 0600"
for grant in "$work" "$work/cache" "$cache" "$cache/sub" "/"; do
  mkdir -p "$cache/sub"
  expect 1 "granting $grant (it holds or lies in the cache) is refused" -- "$atoll" run --dir "$grant" "$args"
  contains "refusing to grant"
  expect 1 "... also with --no-cache (a later run would use what it planted)" -- "$atoll" run --no-cache --dir "$grant" "$args"
  contains "compile cache"
done
ln -s "$work/cache" "$work/box/link"
expect 1 "granting a symlink to the cache's parent is refused" -- "$atoll" run --dir "$work/box/link::/c" "$args"
contains "refusing to grant"
rm "$work/box/link"
if mkdir "$work/bind" 2>/dev/null && mount --bind "$work/cache" "$work/bind" 2>/dev/null; then
  expect 1 "granting a bind mount of the cache's parent is refused" -- "$atoll" run --dir "$work/bind" "$args"
  contains "refusing to grant"
  umount "$work/bind"
fi
expect 0 "a sibling directory is fine" -- "$atoll" run --dir "$work/box" "$args" ok; contains "arg\[1\]=ok"

# Plant another module's artifact under this module's entry: it must be recompiled, not run.
cat > "$work/evil.wat" <<'WAT'
(module (func (export "neg") (param i32) (result i32) (i32.const 666)))
WAT
wat2wasm "$work/evil.wat" -o "$work/evil.wasm" || exit 1
"$atoll" cache clean >/dev/null
"$atoll" run --invoke neg "$work/calc.wasm" 1 >/dev/null 2>&1
entry=$(ls "$cache"/*.atoll)
"$atoll" run --invoke neg "$work/evil.wasm" 1 >/dev/null 2>&1
evil_entry=$(ls "$cache"/*.atoll | grep -v "$entry")
"$atoll" compile "$work/evil.wasm" -o "$work/evil.atoll" || exit 1
cp "$work/evil.atoll" "$entry"
expect 0 "a planted artifact (no valid tag) is not executed" -- "$atoll" run --invoke neg "$work/calc.wasm" 4
contains "^-4 (0x"; lacks 666
cp "$evil_entry" "$entry"
expect 0 "another entry's authenticated artifact under this name is not executed" -- \
  "$atoll" run --invoke neg "$work/calc.wasm" 5
contains "^-5 (0x"; lacks 666
chmod 777 "$cache"
expect 0 "a cache writable by others is not used" -- "$atoll" run --invoke neg "$work/calc.wasm" 6
contains "writable by group or others"; contains "^-6 (0x"
chmod 700 "$cache"
chmod 644 "$cache/key"
expect 0 "a key readable by others is not trusted" -- "$atoll" run --invoke neg "$work/calc.wasm" 7
contains "mode 0600"; contains "^-7 (0x"

if [ "$failures" -ne 0 ]; then echo "$failures hostile CLI check(s) failed"; exit 1; fi
echo "all hostile CLI checks passed"

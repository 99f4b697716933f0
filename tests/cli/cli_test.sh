#!/usr/bin/env bash
# The CLI on good and bad input: exit codes, messages, and never a crash (exit >= 128).
#   cli_test.sh path/to/atoll
set -u
atoll=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

export XDG_CACHE_HOME="$work/cache"  # never touch the user's cache
wat2wasm --debug-names "$here/sample.wat" -o "$work/sample.wasm" || exit 1
printf '\0asm\1\0\0\0\1\5\1\140\0\1' > "$work/truncated.wasm"   # type section cut short
printf 'not wasm at all' > "$work/garbage.wasm"
# A function returning i32 whose body is empty: valid structure, invalid types.
printf '\0asm\1\0\0\0\1\5\1\140\0\1\177\3\2\1\0\12\4\1\2\0\13' > "$work/invalid.wasm"

expect 0 "help" -- "$atoll" --help; contains "validate"; contains "inspect"; contains "wast"
expect 0 "validate --help" -- "$atoll" validate --help; contains "FILE"
expect 0 "inspect --help" -- "$atoll" inspect --help
expect 0 "wast --help" -- "$atoll" wast --help; contains "wast2json"
expect 0 "version" -- "$atoll" --version
expect 2 "no command" -- "$atoll"; contains "A subcommand is required"
expect 2 "unknown command" -- "$atoll" frobnicate; contains "unknown command 'frobnicate'"
expect 2 "validate without a file" -- "$atoll" validate; contains "FILE is required"
expect 2 "unknown flag" -- "$atoll" validate --bogus x.wasm; contains "bogus"

expect 0 "validate a good module" -- "$atoll" validate "$work/sample.wasm"
expect 1 "validate a missing file" -- "$atoll" validate "$work/nope.wasm"; contains "nope.wasm"
expect 1 "validate a directory" -- "$atoll" validate "$work"; contains "not a regular file"
expect 1 "validate garbage" -- "$atoll" validate "$work/garbage.wasm"; contains "malformed module"
contains "magic header not detected"
expect 1 "validate truncated" -- "$atoll" validate "$work/truncated.wasm"; contains "malformed module"
expect 1 "validate invalid" -- "$atoll" validate "$work/invalid.wasm"
contains "invalid module: function 0 at offset 0x18: type mismatch in end: expected i32"
[ "$(wc -l <"$work/out")" -eq 1 ] || { echo "FAIL: validate error is not one line"; failures=$((failures + 1)); }

expect 0 "inspect" -- "$atoll" inspect "$work/sample.wasm"
for want in 'type\[0\] \[i32 i32\] -> \[i32\]' 'func\[0\] <log> sig=1 \[i32\] -> \[\] <- env.log' \
            'func\[1\] <add>' 'func\[2\] <sub>' 'memory\[0\] pages: min=1 max=2' \
            'global\[0\] i32 mutable=1 - init i32.const 7' 'func\[1\] <add> -> "add"' \
            'elem\[0\] active (ref func) count=2 table=0 offset: i32.const 0' \
            'data\[0\] active size=6 memory=0 offset: i32.const 16' '6c61676f6f6e' \
            'table\[0\] type=funcref min=2' 'name "sample"'; do
  contains "$want"
done
expect 1 "inspect an invalid module warns" -- "$atoll" inspect "$work/invalid.wasm"; contains "warning: invalid module"
expect 1 "inspect garbage" -- "$atoll" inspect "$work/garbage.wasm"
expect 0 "inspect --json" -- "$atoll" inspect --json "$work/sample.wasm"
jq -e '.schema == "atoll-inspect/1" and .kind == "wasm" and .module.name == "sample"
       and (.module.exports | map(.name) | index("add")) != null
       and .module.imports[0].module == "env" and .module.imports[0].name == "log"
       and .module.types[0].params == ["i32", "i32"] and .module.memories[0].max == 2
       and .module.globals[0].init == "i32.const 7" and (.module.data[0].size == 6)
       and (.module.functions[1].name == "add") and .warnings == []' "$work/out" > /dev/null ||
  fail "inspect --json: $(cat "$work/out")"
expect 1 "inspect --json of an invalid module keeps the warning" -- "$atoll" inspect --json "$work/invalid.wasm"
head -1 "$work/out" | jq -e '.warnings[0] | contains("type mismatch")' > /dev/null || fail "no warning in the JSON"

expect 1 "wast with a missing script" -- "$atoll" wast "$work/none.wast"
contains "0 passed, 1 failed, 0 skipped"
printf '(module (func (result i32) (i32.const 1)))\n(assert_invalid (module (func (result i32))) "type mismatch")\n(assert_invalid (module (func (result i32) (i32.const 1))) "type mismatch")\n' > "$work/bad.wast"
expect 1 "wast reports a failing assertion with its line" -- "$atoll" wast "$work/bad.wast"
contains "bad.wast:3: FAIL assert_invalid"; contains "^2 passed, 1 failed, 0 skipped$"
expect 1 "wast with a broken converter" -- "$atoll" wast --wast2json /bin/false "$work/bad.wast"
contains "failed"

# compile and run
cat > "$work/calc.wat" <<'WAT'
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "half") (param f64) (result f64) (f64.mul (local.get 0) (f64.const 0.5)))
  (func (export "pair") (param i64) (result i64 i32) (local.get 0) (i32.const 7))
  (func $inv (export "inv") (param i32) (result i32) (i32.div_u (i32.const 100) (local.get 0))))
WAT
wat2wasm --debug-names "$work/calc.wat" -o "$work/calc.wasm" || exit 1
expect 0 "run a .wasm" -- "$atoll" run --invoke add "$work/calc.wasm" 2 -5; contains "^-3 (0xfffffffd)$"
expect 0 "compile" -- "$atoll" compile "$work/calc.wasm" -o "$work/calc.atoll"
[ -s "$work/calc.atoll" ] || { echo "FAIL: no artifact written"; failures=$((failures + 1)); }
expect 0 "compile with the default output name" -- "$atoll" compile "$work/calc.wasm"
[ -s "$work/calc.atoll" ] || { echo "FAIL: no calc.atoll"; failures=$((failures + 1)); }
expect 0 "inspect an artifact" -- "$atoll" inspect "$work/calc.atoll"
contains "atoll artifact"; contains "memory bounds: guard pages"; contains "epoch checks:  no"
contains "target CPU:    x86-64-v2"; contains "machine code:  [0-9]* bytes for 4 defined functions"
contains 'func\[0\] -> "add"'
expect 0 "inspect --json of an artifact" -- "$atoll" inspect --json "$work/calc.atoll"
jq -e '.kind == "artifact" and .artifact.bounds == "guard" and .artifact.epoch_interruption == false
       and .artifact.target_cpu == "x86-64-v2" and (.artifact.cpu_features | index("sse4.2")) != null
       and .artifact.code_size > 0 and .artifact.defined_functions == 4 and .artifact.runs_here
       and (.module.exports | length) == 4' "$work/out" > /dev/null || fail "artifact JSON: $(cat "$work/out")"
expect 0 "run an artifact" -- "$atoll" run --allow-precompiled --invoke half "$work/calc.atoll" 3; contains "^1.5$"
expect 0 "multi-value results" -- "$atoll" run --allow-precompiled --invoke pair "$work/calc.atoll" -9; contains "^-9 (0xfffffffffffffff7)$"; contains "^7$"
expect 134 "a trap exits 134 with a backtrace" -- "$atoll" run --invoke inv "$work/calc.wasm" 0
contains "wasm trap: integer divide by zero"; contains "#0 wasm function 3 <inv>"
# Running an artifact never loads the compiler (LLVM): it works with the plugin out of reach.
expect 0 "run an artifact without the compiler" -- env ATOLL_COMPILER=/nonexistent/libatoll-compiler.so \
  "$atoll" run --allow-precompiled --invoke add "$work/calc.atoll" 40 2
contains "^42$"
expect 1 "compiling without the compiler says why" -- env ATOLL_COMPILER=/nonexistent/libatoll-compiler.so \
  "$atoll" run --no-cache --invoke add "$work/calc.wasm" 40 2
contains "cannot load the compiler (/nonexistent/libatoll-compiler.so)"
expect 1 "a bad argument" -- "$atoll" run --invoke add "$work/calc.wasm" 1 x; contains "'x' is not a 32-bit integer"
expect 1 "an out-of-range argument" -- "$atoll" run --invoke add "$work/calc.wasm" 1 4294967296
expect 1 "too few arguments" -- "$atoll" run --invoke add "$work/calc.wasm" 1; contains "takes 2 argument"
expect 1 "a missing export" -- "$atoll" run --invoke nope "$work/calc.wasm"; contains "no export named"
expect 1 "an artifact for the other bounds mode" -- "$atoll" run --allow-precompiled --bounds explicit --invoke add "$work/calc.atoll" 1 2
contains "compiled for guard pages"
head -c 1000 "$work/calc.atoll" > "$work/cut.atoll"
expect 1 "a truncated artifact" -- "$atoll" run --allow-precompiled --invoke add "$work/cut.atoll" 1 2
expect 2 "a bad optimisation level" -- "$atoll" compile -O 7 "$work/calc.wasm"
expect 1 "an unknown target CPU" -- "$atoll" compile --target-cpu pentium2 "$work/calc.wasm"; contains "unknown target CPU"
expect 1 "an unwritable output" -- "$atoll" compile "$work/calc.wasm" -o /proc/nope/calc.atoll; contains "cannot create"
expect 1 "compile an invalid module" -- "$atoll" compile "$work/invalid.wasm"; contains "invalid module"

# The compile cache of `atoll run`.
"$atoll" cache clean >/dev/null
expect 0 "run fills the cache" -- "$atoll" run --invoke add "$work/calc.wasm" 1 2; contains "^3$"
entries=("$work"/cache/atoll/*.atoll)
[ ${#entries[@]} -eq 1 ] && [ -s "${entries[0]}" ] || { echo "FAIL: no cache entry"; failures=$((failures + 1)); }
# The cache key names the compiler build (its file's size, time and inode): a warm run does not
# load the compiler (here a copy whose bytes are then spoiled, its time put back), and another
# build of it (the copy touched) compiles afresh.
plugin=$(dirname "$(readlink -f "$atoll")")/libatoll-compiler.so
if [ -f "$plugin" ]; then
  cp -p "$plugin" "$work/compiler.so"
  expect 0 "cold run with a copy of the compiler" -- env ATOLL_COMPILER="$work/compiler.so" \
    "$atoll" run --invoke add "$work/calc.wasm" 2 2
  contains "^4$"
  touch -r "$work/compiler.so" "$work/stamp"
  dd if=/dev/zero of="$work/compiler.so" bs=4096 count=1 conv=notrunc status=none
  touch -r "$work/stamp" "$work/compiler.so"
  expect 0 "a warm run reuses the entry without loading the compiler" -- env ATOLL_COMPILER="$work/compiler.so" \
    "$atoll" run --invoke add "$work/calc.wasm" 2 2
  contains "^4$"
  cp -p "$plugin" "$work/compiler.so"
  touch -d '+1 minute' "$work/compiler.so"
  before=$(ls "$work"/cache/atoll/*.atoll | wc -l)
  expect 0 "another compiler build" -- env ATOLL_COMPILER="$work/compiler.so" \
    "$atoll" run --invoke add "$work/calc.wasm" 2 2
  contains "^4$"
  [ "$(ls "$work"/cache/atoll/*.atoll | wc -l)" -eq $((before + 1)) ] || fail "a rebuilt compiler reused old artifacts"
  rm -f "$work"/cache/atoll/*.atoll "$work"/cache/atoll/*.atoll.code
  expect 0 "refill" -- "$atoll" run --invoke add "$work/calc.wasm" 1 2
  entries=("$work"/cache/atoll/*.atoll)
else
  fail "no compiler plugin beside $atoll"
fi
printf 'garbage' > "${entries[0]}"
expect 0 "a corrupt entry is recompiled, not executed" -- "$atoll" run --invoke add "$work/calc.wasm" 3 2; contains "^5$"
[ "$(head -c 4 "${entries[0]}" | od -An -c | tr -d ' ')" = "177ELF" ] || { echo "FAIL: corrupt entry not replaced"; failures=$((failures + 1)); }
expect 0 "other settings get their own entry" -- "$atoll" run -O 0 --invoke add "$work/calc.wasm" 3 3
[ "$(ls "$work"/cache/atoll/*.atoll | wc -l)" -eq 2 ] || { echo "FAIL: settings not in the cache key"; failures=$((failures + 1)); }
expect 0 "--no-cache leaves the cache alone" -- "$atoll" run --no-cache -O 1 --invoke add "$work/calc.wasm" 1 1
[ "$(ls "$work"/cache/atoll/*.atoll | wc -l)" -eq 2 ] || { echo "FAIL: --no-cache wrote an entry"; failures=$((failures + 1)); }
ls "$work"/cache/atoll/*.atoll.code > /dev/null 2>&1 || { echo "FAIL: no shared code file beside the entries"; failures=$((failures + 1)); }
expect 0 "cache clean" -- "$atoll" cache clean; contains "removed 2 cached artifact"
[ -z "$(ls "$work"/cache/atoll/ | grep -v '^key$')" ] || { echo "FAIL: cache clean left files: $(ls "$work"/cache/atoll/)"; failures=$((failures + 1)); }
[ -z "$(ls "$work"/cache/atoll/)" ] || { echo "FAIL: cache clean left files"; failures=$((failures + 1)); }
for i in 1 2 3 4; do "$atoll" run --invoke add "$work/calc.wasm" $i 1 > "$work/par$i" 2>&1 & done; wait
for i in 1 2 3 4; do grep -q "^$((i + 1))$" "$work/par$i" || { echo "FAIL: concurrent run $i"; failures=$((failures + 1)); }; done

# Start-up: every atoll process loads only what it needs; libsystemd (and the six libraries
# it pulls in) is dlopened by atoll serve alone.
if ldd "$atoll" | grep -q libsystemd; then fail "atoll links libsystemd (dlopen it in src/server/systemd.cpp)"; fi

finish

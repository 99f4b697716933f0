#!/usr/bin/env bash
# Compile-time denial of service (finding 9): module shapes on which LLVM is superlinear compile
# within the budget or fail cleanly because of it; never a hang, a crash or a host killed by
# LLVM running out of memory. Prints each shape's size and time (the budget, not this test,
# bounds the time: 10 s each here).
#   compile_dos_test.sh ATOLL
set -u
atoll=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# shape NAME AWK-PROGRAM: writes $work/NAME.wasm from the wat the awk program prints.
shape() {
  awk "BEGIN { $2 }" > "$work/$1.wat" && wat2wasm "$work/$1.wat" -o "$work/$1.wasm" || { echo "FAIL: cannot build $1"; exit 1; }
}
shape phi_web 'L = 2000; B = 4000; printf "(module (func (export \"f\") (param i32) (result i32) (local"; for (i = 0; i < L; i++) printf " i32"; print ") (loop $l";
  for (b = 0; b < B; b++) printf "(if (i32.and (local.get 0) (i32.const %d)) (then (local.set %d (i32.add (local.get %d) (local.get %d)))))\n", 2^(b%31), b%L+1, (b*7+1)%L+1, (b*13+2)%L+1;
  print "(br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))) (local.get 1)))"'
shape deep_nesting 'D = 5000; printf "(module (func (export \"f\") (param i32) (result i32)"; for (i = 0; i < D; i++) printf "(block"; printf "(br_if 0 (local.get 0))"; for (i = 0; i < D; i++) printf ")"; print "(i32.const 1)))"'
shape giant_br_table 'N = 200000; printf "(module (func (export \"f\") (param i32) (result i32)"; for (i = 0; i < 64; i++) printf "(block"; printf "(br_table"; for (i = 0; i < N; i++) printf " %d", i % 64; printf " 0 (local.get 0))"; for (i = 0; i < 64; i++) printf ")"; print "(i32.const 1)))"'
shape many_locals 'N = 40000; printf "(module (func (export \"f\") (param i32) (result i32) (local"; for (i = 1; i < N; i++) printf " i32"; printf ")"; for (i = 1; i < N; i++) printf "(local.set %d (i32.add (local.get %d) (i32.const %d)))\n", i, i-1, i; printf "(local.get 0)"; for (i = 1; i < N; i++) printf "(local.get %d)(i32.add)\n", i; print "))"'
shape straight_line_memory 'N = 20000; printf "(module (memory 1) (func (export \"f\") (param i32) (result i32)"; for (i = 0; i < N; i++) printf "(i32.store (i32.and (i32.add (local.get 0) (i32.const %d)) (i32.const 65535)) (i32.load (i32.and (i32.mul (local.get 0) (i32.const %d)) (i32.const 65535))))\n", i*37, i+3; print "(local.get 0)))"'
shape nested_loops 'D = 3000; printf "(module (func (export \"f\") (param i32) (result i32) (local i32)"; for (i = 0; i < D; i++) printf "(loop $l%d (local.set 1 (i32.add (local.get 1) (i32.const 1)))\n", i; for (i = D - 1; i >= 0; i--) printf "(br_if $l%d (i32.and (local.get 0) (local.get 1))))\n", i; print "(local.get 1)))"'
shape interpreter 'L = 1000; C = 4000; printf "(module (memory 1) (func (export \"f\") (param i32) (result i32) (local"; for (i = 0; i < L; i++) printf " i32"; print ") (loop $top (block $exit"; for (c = 0; c < C; c++) printf "(block"; printf "(br_table"; for (c = 0; c < C; c++) printf " %d", c; printf " %d (i32.load8_u (local.get 0)))\n", C;
  for (c = 0; c < C; c++) printf ") (local.set %d (i32.add (local.get %d) (local.get %d))) (local.set 0 (i32.add (local.get 0) (i32.const 1))) (br $top)\n", c%L+1, (c*5+3)%L+1, (c*11+7)%L+1; print ")) (local.get 1)))"'

for f in "$work"/*.wasm; do
  name=$(basename "$f" .wasm)
  start=$EPOCHREALTIME
  "$atoll" compile --compile-timeout 10 "$f" -o "$work/$name.atoll" > "$work/out" 2>&1
  status=$?
  took=$(awk "BEGIN { print $EPOCHREALTIME - $start }")
  if [ "$status" -eq 0 ]; then
    printf '%-22s %8d bytes  compiled in %5.2f s\n' "$name" "$(stat -c %s "$f")" "$took"
  elif [ "$status" -eq 1 ] && grep -q "compile budget" "$work/out"; then
    printf '%-22s %8d bytes  refused by the budget after %5.2f s\n' "$name" "$(stat -c %s "$f")" "$took"
  else
    echo "FAIL: $name: exit $status"; cat "$work/out"; failures=$((failures + 1))
  fi
done

# The budget itself: a clean error, for time and for memory.
"$atoll" compile --compile-timeout 0.2 "$work/many_locals.wasm" -o "$work/x.atoll" > "$work/out" 2>&1
status=$?
[ "$status" -eq 1 ] && grep -q "took longer than 200 ms" "$work/out" || { echo "FAIL: time budget: exit $status"; cat "$work/out"; failures=$((failures + 1)); }
if [ "${ATOLL_SANITIZED:-0}" = 0 ]; then  # the worker's address-space cap is off under sanitizers
  "$atoll" compile --compile-memory 200 "$work/many_locals.wasm" -o "$work/x.atoll" > "$work/out" 2>&1
  status=$?
  [ "$status" -eq 1 ] && grep -q "compile" "$work/out" || { echo "FAIL: memory budget: exit $status"; cat "$work/out"; failures=$((failures + 1)); }
  [ ! -e "$work/x.atoll" ] || { echo "FAIL: an artifact was written despite the budget"; failures=$((failures + 1)); }
fi

if [ "$failures" -ne 0 ]; then echo "$failures compile-budget check(s) failed"; exit 1; fi
echo "all compile-DoS shapes compiled or were refused within the budget"

#!/usr/bin/env bash
# `atoll explore`: the page's contents (every function, wasm beside x86-64, call targets named,
# inlined code marked, the guest's source lines), its errors, and the page in a real browser
# (explore_browser.py: Chromium over WebDriver hovers and clicks; screenshots in OUT_DIR).
#   explore_test.sh path/to/atoll path/to/gdb_step_debug.wasm OUT_DIR
set -u
atoll=$1
debug_guest=$2
out_dir=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export XDG_CACHE_HOME="$work/cache"
mkdir -p "$out_dir"

cat >"$work/m.wat" <<'WAT'
(module $demo
  (memory 1)
  (func $square (param i32) (result i32) local.get 0 local.get 0 i32.mul)
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $load (export "load") (param i32) (result i32)
    (i32.div_s (i32.const 100) (i32.load offset=8 (call $square (local.get 0))))))
WAT
wat2wasm --debug-names "$work/m.wat" -o "$work/m.wasm" || exit 1

# Lines of the page for one function's column, tags stripped: "OFFSET TEXT".
column() {  # column FUNC_INDEX wasm|x86
  tr -d '\n' <"$work/m.html" | sed 's/<section/\n<section/g' | grep "id=\"f$1\"" | sed 's/<div class="col /\n&/g' |
    grep "^<div class=\"col $2" | sed 's/<div class="ln/\n&/g' | grep '^<div class="ln' |
    sed -e 's/<span class="b">[^<]*<\/span>//' -e 's/<[^>]*>/ /g' -e 's/&lt;/</g; s/&gt;/>/g' -e 's/  */ /g; s/^ //'
}

expect 0 "explore a module" -- "$atoll" explore "$work/m.wasm" -o "$work/m.html"
[ -s "$work/m.html" ] || fail "no page written"
for f in 0 1 2; do grep -q "<section class=\"fn\" id=\"f$f\">" "$work/m.html" || fail "function $f has no section"; done
column 0 wasm >"$work/out"
contains "i32.mul"; contains ";; entry"
column 0 x86 >"$work/out"
contains "imul"; contains "ret"
column 1 wasm >"$work/out"
contains 'call \$fib'; contains "if (result i32)"
# Indentation follows block nesting.
grep -q '<span class="t">  call \$fib</span>' "$work/m.html" || fail "calls inside else are not indented"
column 1 x86 >"$work/out"
contains 'call 0x[0-9a-f]* <\$fib>'
column 2 wasm >"$work/out"
contains "i32.load offset=8"; contains "i32.div_s"
# At -O2 $square is inlined into $load: its imul is there, marked with both frames.
grep -q "class=\"ln inl\" data-o=\"[0-9a-f]* [0-9a-f]*\" style=\"[^\"]*\" title=\"inlined from func 0" "$work/m.html" ||
  fail "no inlined x86-64 line in \$load"
# Every wasm offset an x86-64 line names is a wasm line of the page.
wasm_offsets=$(grep -o '<div class="ln[^"]*" data-o="[0-9a-f]*" style="--h:[0-9]*"><span class="a">' "$work/m.html" |
  sed 's/.*data-o="\([0-9a-f]*\)".*/\1/' | sort -u)
for o in $(grep -o 'class="x86.*' "$work/m.html" | grep -o 'data-o="[0-9a-f ]*"' | sed 's/data-o="//; s/"//' | tr ' ' '\n' | sort -u); do
  grep -qx "$o" <<<"$wasm_offsets" || fail "x86-64 code names wasm offset $o, which no wasm line has"
done
# The trap paths call the runtime through named stubs.
grep -q "call 0x[0-9a-f]* &lt;atl_builtin_trap&gt;" "$work/m.html" || fail "trap calls are not named"

# At -O0 nothing is inlined; default output name is FILE.html.
cp "$work/m.wasm" "$work/o0.wasm"
expect 0 "explore at -O 0" -- "$atoll" explore -O 0 "$work/o0.wasm"
[ -s "$work/o0.html" ] || fail "default output o0.html not written"
grep -q 'class="ln inl"' "$work/o0.html" && fail "inlined code at -O 0"
# Settings reach the page.
expect 0 "explore with explicit bounds" -- "$atoll" explore --bounds explicit "$work/m.wasm" -o "$work/e.html"
grep -q "explicit bounds checks" "$work/e.html" || fail "bounds mode not named on the page"

# A guest with DWARF: source lines beside its wasm.
expect 0 "explore a -g guest" -- "$atoll" explore "$debug_guest" -o "$work/g.html"
grep -q '<div class="src">[^<]*gdb_step.c:[0-9]*</div>' "$work/g.html" || fail "no source lines for the -g guest"

# Errors name the problem; nothing is written.
"$atoll" compile "$work/m.wasm" -o "$work/m.atoll" || fail "compile"
expect 1 "an artifact is refused" -- "$atoll" explore "$work/m.atoll" -o "$work/x.html"
contains "explore the .wasm it was compiled from"
expect 1 "text format is refused" -- "$atoll" explore "$work/m.wat" -o "$work/x.html"
contains "wat2wasm"
printf '\0asm\1\0\0\0\1\5\1\x60\0\1\x7f\3\2\1\0\n\4\1\2\0\x0b' >"$work/bad.wasm"
expect 1 "an invalid module is refused" -- "$atoll" explore "$work/bad.wasm" -o "$work/x.html"
contains "offset"
expect 1 "a missing file" -- "$atoll" explore "$work/none.wasm" -o "$work/x.html"
contains "none.wasm"
expect 1 "an unwritable output" -- "$atoll" explore "$work/m.wasm" -o "$work/no/such/dir/x.html"
[ -e "$work/x.html" ] && fail "a page was written for bad input"
expect 2 "a bad flag" -- "$atoll" explore --frobnicate "$work/m.wasm"
expect 2 "no module" -- "$atoll" explore

# The page in Chromium: hover the i32.mul of $square (its imul lines light up) and the inlined
# imul in $load (both its frames light up), click to scroll; screenshots checked and kept.
command -v chromium >/dev/null && command -v chromedriver >/dev/null ||
  { fail "chromium/chromedriver not installed (scripts/install-deps.sh installs them)"; finish; }
mul=$(grep -o 'data-o="[0-9a-f]*" style="--h:[0-9]*"><span class="a">[0-9a-f]*</span><span class="t">i32.mul<' "$work/m.html" |
  head -1 | sed 's/data-o="\([0-9a-f]*\)".*/\1/')
chain=$(grep -o 'class="ln inl" data-o="[0-9a-f ]*"' "$work/m.html" | head -1 | sed 's/.*data-o="\([^"]*\)"/\1/')
cp "$work/m.html" "$out_dir/explore.html"
if timeout 180 python3 "$here/explore_browser.py" "$out_dir/explore.html" "$out_dir" "$mul" "$chain" >"$work/out" 2>&1; then
  cat "$work/out"
else
  fail "browser check"; sed 's/^/    /' "$work/out"
fi
for png in explore.png explore-hover-wasm.png explore-hover-x86.png; do
  [ -s "$out_dir/$png" ] || fail "screenshot $png missing"
done
finish

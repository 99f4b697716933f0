#!/usr/bin/env bash
# Differential fuzzing: random valid modules from binaryen's translate-to-fuzz (wasm-opt -ttf,
# Debian's binaryen) run in binaryen's interpreter (the reference) and in atoll with guard
# pages and with explicit checks, at -O0 and -O2. The four atoll runs must agree exactly (trap
# messages included); with the reference they must agree on every call, log, result and trap
# (NaNs are removed with binaryen's --denan: the spec leaves their signs and payloads open;
# non-integral floats compared to 6 significant digits, as binaryen prints them shortest).
#   difftest.sh FUZZ_EXEC COUNT [FIRST_SEED] [KEEP_DIR]
# The generator also uses the WebAssembly 3.0 proposals Debian's binaryen (108) encodes as the
# standard does: tail calls, memory64 (it rarely makes 64-bit memories) and extended constants
# (DIFF_FEATURES overrides that list; its multi-memory and function references predate the
# standard, relaxed SIMD results are the interpreter's own choices).
# Seeds are deterministic (seed N always makes the same module); divergent modules are kept in
# KEEP_DIR (default: a temporary directory, printed). Runs two modules at a time.
set -u
fuzz_exec=$1 count=$2 first=${3:-1} keep=${4:-}
command -v wasm-opt >/dev/null || { echo "difftest: wasm-opt (binaryen) not installed"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -n "$keep" ] || keep=$(mktemp -d /tmp/atoll-difftest.XXXXXX)
mkdir -p "$keep"
export LC_ALL=C
features="--enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory --enable-mutable-globals ${DIFF_FEATURES:---enable-tail-call --enable-memory64 --enable-extended-const}"

# Normalise both sides into: call NAME | log V... | result V... | trap
normalise() {
  awk '
    # One form for both sides: integral values below 2^53 exactly (binaryen prints some floats
    # as integers, some integral floats with an exponent), everything else to 6 digits.
    function num(t,   v) {
      if (t ~ /nan/) return "nan"
      v = t + 0
      if (v == int(v) && v < 9007199254740992 && v > -9007199254740992) return sprintf("%.0f", v)
      return sprintf("%.6g", v)
    }
    function vals(s,   n, a, i, out) { n = split(s, a, " "); out = ""; for (i = 1; i <= n; i++) out = out " " num(a[i]); return out }
    /^\[fuzz-exec\] calling / { print "call " $3; next }
    /^\[LoggingExternalInterface logging / { s = $0; sub(/^\[LoggingExternalInterface logging /, "", s); sub(/\]$/, "", s); print "log" vals(s); next }
    /^\[fuzz-exec\] note result: / { s = $0; sub(/^.* => /, "", s); print "result" vals(s); next }
    /^\[trap / { print "trap"; next }
    /^call / { print; next }
    /^log / { s = $0; sub(/^log /, "", s); print "log" vals(s); next }
    /^result / { s = $0; sub(/^result /, "", s); print "result" vals(s); next }
    /^trap / || /^instantiate trap/ { print "trap"; next }
  '
}

one() {  # one SEED: prints "ok SEED", "skip SEED" or "DIVERGES SEED ..."
  local seed=$1 d="$work/$1"
  mkdir -p "$d"
  awk -v seed="$seed" 'BEGIN { srand(seed); for (k = 0; k < 6000; k++) printf "%c", int(rand() * 256) }' > "$d/seed.dat"
  # --denan: the spec leaves NaN signs and payloads open, so NaNs are turned into zeros at run
  # time (as binaryen's own fuzzer does); every other value must agree bit for bit.
  if ! wasm-opt -ttf "$d/seed.dat" $features --denan -o "$d/m.wasm" >/dev/null 2>&1; then echo "skip $seed"; rm -rf "$d"; return; fi
  timeout 60 wasm-opt "$d/m.wasm" $features --fuzz-exec-before -q > "$d/ref.raw" 2>&1
  normalise < "$d/ref.raw" > "$d/ref"
  local status=0 mode opt
  for mode in guard explicit; do
    for opt in 0 2; do
      timeout 120 "$fuzz_exec" --bounds "$mode" -O "$opt" "$d/m.wasm" > "$d/$mode$opt" 2> "$d/$mode$opt.err"
      status=$?
      if [ "$status" -eq 2 ]; then echo "skip $seed"; rm -rf "$d"; return; fi
    done
  done
  local why=""
  cmp -s "$d/guard0" "$d/explicit0" || why="$why guard-O0/explicit-O0"
  cmp -s "$d/guard2" "$d/explicit2" || why="$why guard-O2/explicit-O2"
  cmp -s "$d/explicit0" "$d/explicit2" || why="$why O0/O2"
  normalise < "$d/explicit2" > "$d/atoll"
  cmp -s "$d/atoll" "$d/ref" || why="$why atoll/reference"
  if [ -n "$why" ]; then
    cp "$d/m.wasm" "$keep/seed-$seed.wasm"
    for f in ref guard0 explicit0 guard2 explicit2; do cp "$d/$f" "$keep/seed-$seed.$f"; done
    echo "DIVERGES $seed:$why"
  else
    echo "ok $seed"
  fi
  rm -rf "$d"
}
export -f one normalise
export work fuzz_exec features keep

seq "$first" $((first + count - 1)) | xargs -P 2 -I{} bash -c 'one {}' > "$work/results"
ok=$(grep -c '^ok ' "$work/results")
skipped=$(grep -c '^skip ' "$work/results")
diverged=$(grep -c '^DIVERGES ' "$work/results")
grep '^DIVERGES ' "$work/results" | head -20
echo "difftest: $count seeds from $first: $ok agree, $diverged diverge, $skipped skipped (kept in $keep)"
echo "$ok passed, $diverged failed, $skipped skipped"
[ "$diverged" -eq 0 ]

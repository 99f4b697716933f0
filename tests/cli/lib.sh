# Helpers for the CLI test scripts: source after setting $work (a scratch directory).
failures=0

# expect CODE DESCRIPTION -- command...; output (stdout and stderr) in $work/out
expect() {
  local want=$1 what=$2
  shift 3
  "$@" >"$work/out" 2>&1
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"; sed 's/^/    /' "$work/out"; failures=$((failures + 1))
  fi
}
contains() {
  if ! grep -q -- "$1" "$work/out"; then
    echo "FAIL: output lacks '$1':"; sed 's/^/    /' "$work/out"; failures=$((failures + 1))
  fi
}
lacks() {
  if grep -q -- "$1" "$work/out"; then
    echo "FAIL: output has '$1':"; sed 's/^/    /' "$work/out"; failures=$((failures + 1))
  fi
}
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
finish() {
  if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
  echo "all checks passed"
}

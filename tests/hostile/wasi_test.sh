#!/usr/bin/env bash
# WASI conformance guests for the hostile-tenant findings (paths, rights, descriptor limits),
# each run against a fresh sandbox; nothing outside the preopen may change.
#   wasi_test.sh ATOLL GUESTS_DIR
set -u
atoll=$1 guests=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"
failures=0

# t/box is the preopen; t/outside and t itself must stay as they are (mtime, ctime, mode, entries).
setup() {
  rm -rf "$work/t"
  mkdir -p "$work/t/box/sub" "$work/t/outside"
  echo data > "$work/t/box/file"
  echo inner > "$work/t/box/sub/inner"
  echo secret > "$work/t/outside/secret"
  ln -s ../outside "$work/t/box/out"
  touch -d '2001-02-03 04:05:06' "$work/t/outside/secret" "$work/t/outside" "$work/t"
}
snapshot() { (cd "$work/t" && stat -c '%n %Y %Z %s %a' . outside outside/secret && ls -A . outside); }

run_guest() {  # run_guest NAME [atoll options...]
  local name=$1
  shift
  setup
  local before
  before=$(snapshot)
  "$atoll" run "$@" --dir "$work/t/box::." "$guests/$name.wasm" > "$work/$name.out" 2>&1
  local status=$?
  grep FAIL "$work/$name.out"
  if [ "$status" -ne 0 ]; then
    echo "FAIL: $name exited $status"; tail -5 "$work/$name.out"; failures=$((failures + 1))
  fi
  if [ "$before" != "$(snapshot)" ]; then
    echo "FAIL: $name changed something outside its preopen"; diff <(echo "$before") <(snapshot); failures=$((failures + 1))
  fi
  echo "$name: $(grep -c '^ok ' "$work/$name.out") checks passed"
}

run_guest wasi_paths
run_guest wasi_rights

# The guest's fd flags stay its own: the host's stdout and stdin keep theirs.
exec 5>"$work/stdout.txt" 6<"$work/stdout.txt"
run_guest wasi_limits >&5 <&6
flags_out=$(awk '/^flags:/ {print $2}' /proc/$$/fdinfo/5)
flags_in=$(awk '/^flags:/ {print $2}' /proc/$$/fdinfo/6)
exec 5>&- 6<&-
cat "$work/stdout.txt"
for f in "$flags_out" "$flags_in"; do
  if (( (8#$f & 8#6000) != 0 )); then echo "FAIL: the guest changed the host's stdio flags ($f)"; failures=$((failures + 1)); fi
done
grep -q "^opened 1020 descriptors" "$work/wasi_limits.out" || {
  echo "FAIL: expected 1024 descriptors in all (stdio, one preopen, 1020 more)"; failures=$((failures + 1)); }

if [ "$failures" -ne 0 ]; then echo "$failures WASI conformance check(s) failed"; exit 1; fi
echo "all WASI conformance guests passed"

#!/usr/bin/env bash
# The sandbox-escape guest: every attempt must fail with ENOTCAPABLE, and nothing outside the
# preopened directory may change.
#   run_escape.sh ATOLL GUEST.wasm EXPECTED
set -eu
atoll=$1 guest=$2 expected=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/box/sub" "$work/outside"
echo inside > "$work/box/inside.txt"
echo secret > "$work/outside/secret.txt"
ln -s ../outside "$work/box/link_out"
ln -s /etc "$work/box/abs_link"
before=$(cd "$work/outside" && ls -lA --time-style=+%s && stat -c %Y . && md5sum secret.txt)
XDG_CACHE_HOME="$work/cache" "$atoll" run --dir "$work/box::." "$guest" > "$work/out"
diff -u "$expected" "$work/out"
after=$(cd "$work/outside" && ls -lA --time-style=+%s && stat -c %Y . && md5sum secret.txt)
[ "$before" = "$after" ] || { echo "FAIL: the directory outside the sandbox changed"; exit 1; }
for f in escaped moved.txt hard.txt planted; do
  [ ! -e "$work/$f" ] || { echo "FAIL: $f was created outside the sandbox"; exit 1; }
done
echo "all escape attempts refused"

#!/usr/bin/env bash
# Every input of the fuzz corpus through `atoll validate` and `atoll inspect`: a clean exit
# (0 or 1) each time, never a crash or a signal.
#   corpus_test.sh path/to/atoll CORPUS_DIR
set -u
atoll=$1
corpus=$2
count=0
failures=0
for f in "$corpus"/*; do
  [ -f "$f" ] || continue
  count=$((count + 1))
  for cmd in validate inspect; do
    "$atoll" "$cmd" "$f" >/dev/null 2>&1
    rc=$?
    if [ "$rc" -gt 1 ]; then
      echo "FAIL: atoll $cmd $f exited with $rc"
      failures=$((failures + 1))
    fi
  done
done
if [ "$count" -eq 0 ]; then echo "FAIL: no inputs in $corpus"; exit 1; fi
echo "$((count * 2 - failures)) passed, $failures failed (atoll validate/inspect on $count corpus inputs)"
[ "$failures" -eq 0 ]

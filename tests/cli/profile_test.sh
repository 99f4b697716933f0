#!/usr/bin/env bash
# The sampling profiler of wasm frames, `atoll run --profile guest[,PATH[,INTERVAL]]`: collapsed
# stacks whose shares follow where the guest spends its time (guests/profile_spin.c: three units
# of work in spin_three, one in spin_one, both under main;work, both inlined into work by atoll's
# -O2), written also when the guest traps or times out; bad arguments and paths refused before
# the guest runs.
#   profile_test.sh path/to/atoll DIR_WITH_profile_spin_nodebug.wasm
set -u
atoll=$1
guest=$2/profile_spin_nodebug.wasm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export XDG_CACHE_HOME="$work/cache"
units=40  # about 0.3 s of guest time here; more under sanitizers costs nothing but time

# count FILE FUNCTION: samples whose innermost frame is FUNCTION, under main;work.
count() { awk -v f="$2" '$1 ~ (";main;work;" f "$") { n += $2 } END { print n + 0 }' "$1"; }

expect 0 "guest profile" -- "$atoll" run --profile "guest,$work/spin.folded" "$guest" $units
contains "guest profile: [0-9]* samples in $work/spin.folded"
expected_output=$(head -1 "$work/out")
[ -s "$work/spin.folded" ] || fail "no profile written"
# Every line is "frame;frame;... COUNT", the counts add up to the samples reported.
if grep -vqE '^[^ ;]+(;[^ ;]+)* [0-9]+$' "$work/spin.folded"; then
  fail "not collapsed stacks:$(sed 's/^/\n    /' "$work/spin.folded")"
fi
total=$(awk '{ n += $NF } END { print n + 0 }' "$work/spin.folded")
grep -q "guest profile: $total samples" "$work/out" || fail "the file has $total samples, the message says otherwise"
three=$(count "$work/spin.folded" spin_three)
one=$(count "$work/spin.folded" spin_one)
echo "samples: $total, spin_three $three, spin_one $one"
# The loops run three to one; allow a wide band (scheduling on a loaded machine), but the share
# must follow the work and nearly every sample must be in one of the two.
[ "$one" -gt 0 ] && [ "$three" -gt $((one * 2)) ] && [ "$three" -lt $((one * 5)) ] ||
  fail "spin_three/spin_one = $three/$one, expected about 3:$(sed 's/^/\n    /' "$work/spin.folded")"
[ $((three + one)) -ge $((total * 9 / 10)) ] || fail "only $((three + one)) of $total samples in the spin loops"
[ "$total" -ge 20 ] || fail "only $total samples at the default 1ms interval"

# A longer interval takes fewer samples of the same run.
expect 0 "interval 10ms" -- "$atoll" run --profile "guest,$work/slow.folded,10ms" "$guest" $units
slow=$(awk '{ n += $NF } END { print n + 0 }' "$work/slow.folded")
[ "$slow" -ge 1 ] && [ "$slow" -lt "$total" ] || fail "10ms interval: $slow samples, 1ms: $total"

# Profiling does not change what the guest computes.
expect 0 "unprofiled" -- "$atoll" run "$guest" $units
[ "$(head -1 "$work/out")" = "$expected_output" ] || fail "output differs with --profile guest"

# A trap: the usual exit status and backtrace, and the profile is still written.
expect 134 "trap" -- "$atoll" run --profile "guest,$work/trap.folded" "$guest" 10 trap
contains "wasm trap: unreachable"
[ "$(count "$work/trap.folded" spin_three)" -gt 0 ] || fail "no samples written for a trapping guest"

# With -W timeout: the timeout still stops the guest, with its own message.
expect 134 "timeout" -- "$atoll" run -W timeout=100ms --profile "guest,$work/timeout.folded" "$guest" 100000
contains "guest exceeded its timeout of 100ms"
[ -s "$work/timeout.folded" ] || fail "no profile written for a timed-out guest"

# Bad arguments are usage errors; a path that cannot be written fails before the guest runs.
for bad in "guest,$work/x,0ms" "guest,$work/x,fast" "guest,,1ms" "guest,a,1ms,extra" "perfmap,x" "cpu"; do
  expect 2 "--profile $bad" -- "$atoll" run --profile "$bad" "$guest" 1
  contains "--profile"
done
expect 1 "unwritable path" -- "$atoll" run --profile "guest,$work/no/such/dir/p.folded" "$guest" 1
contains "--profile guest"
lacks "^[0-9]"
finish

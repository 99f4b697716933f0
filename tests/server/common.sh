# Shared by the atoll serve tests (sourced): a scratch directory removed at exit, with the
# server ($server) if one still runs; failure counting; curl helpers around the script's own
# `get URL...` (which prints the status and leaves the body in $work/body).
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill -9 "$server" 2>/dev/null; rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"
failures=0
# Sanitizer builds run guests and the server several times slower: timing bounds stretch by this.
slack=1
[ "${ATOLL_SANITIZED:-0}" = 1 ] && slack=4
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
status_is() {  # status_is WANT DESCRIPTION -- curl arguments
  local want=$1 what=$2
  shift 3
  local got
  got=$(get "$@")
  [ "$got" = "$want" ] || fail "$what: status $got, expected $want"
}
body_has() { grep -q -- "$1" "$work/body" || fail "body lacks '$1': $(head -c 300 "$work/body")"; }

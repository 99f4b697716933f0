#!/usr/bin/env bash
# Real programs built from Debian source packages (`apt-get source`: Debian's code with Debian's
# patches, nothing vendored here), natively and for wasm32-wasi from the same sources with
# clang-19 -O2, run side by side in one run: outputs compared byte for byte, whole-process time
# (bench/min_times.sh: the fastest of RUNS runs, 10 by default), ratios to native and their
# geometric mean. Each program is the package's library (or interpreter) driven by a small main
# of ours in drivers/ that makes its own input, so runs need no files.
#
#   bench/real/run.sh [BUILD_DIR] [PROGRAM...]     PEERS=1 also times node (V8, its WASI)
#
# Programs: lua (interpreter), zstd, lz4, brotli, zlib (compression), mbedtls (crypto).
# Native code targets x86-64-v2, the CPU level atoll compiles for by default. atoll runs the
# .wasm with `atoll run` from a warm compile cache, as a user would.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shift || true
atoll=$build/atoll
work=$build/bench-real
src=$work/src
mkdir -p "$src"
[ -x "$atoll" ] || { echo "run.sh: $atoll not found; build first" >&2; exit 2; }
for tool in clang-19 hyperfine dpkg-source; do
  command -v $tool > /dev/null || { echo "run.sh: $tool not found (scripts/install-deps.sh --bench)" >&2; exit 2; }
done
export XDG_CACHE_HOME=$work/cache

# `apt-get source` needs a deb-src entry for Debian's archive; add one beside the deb entry.
ensure_deb_src() {
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
      $sudo tee /etc/apt/sources.list.d/debian-src.sources > /dev/null
    $sudo apt-get update -qq
  fi
}
# The unpacked, patched source tree of Debian source package $1 (fetched once).
source_tree() {
  local dir
  dir=$(ls -d "$src/$1"-*/ 2> /dev/null | head -n 1)
  if [ -z "$dir" ]; then
    ensure_deb_src
    (cd "$src" && apt-get source -qq "$1" > /dev/null 2>&1) || { echo "run.sh: apt-get source $1 failed" >&2; exit 1; }
    dir=$(ls -d "$src/$1"-*/ | head -n 1)
  fi
  echo "${dir%/}"
}

# Sets files (the C sources) and flags (include paths and defines) for program $1.
program_sources() {
  local d
  case $1 in
    lua)
      d=$(source_tree lua5.4)/src
      files=()
      for f in "$d"/*.c; do
        case $(basename "$f") in lua.c|luac.c|linit.c|loslib.c|liolib.c|loadlib.c) ;; *) files+=("$f") ;; esac
      done
      # Errors abort instead of longjmp (wasm32-wasi has no setjmp without exception handling);
      # the benchmark raises none. Both builds use the same definitions.
      flags=(-I"$d" -I"$work" -I"$work/lua-shim" '-DLUAI_THROW(L,c)=abort()' '-DLUAI_TRY(L,c,a)=if (1) { a }' -Dluai_jmpbuf=int -Dl_signalT=int '-Dl_randomizePivot()=0')
      # Debian's build writes this header (the package's multiarch triplet, used in search paths).
      echo '#define DEB_HOST_MULTIARCH "none"' > "$work/lua5.4-deb-multiarch.h"
      # ldo.c includes <setjmp.h>, which wasi-libc does not have; nothing of it is used here.
      mkdir -p "$work/lua-shim" && : > "$work/lua-shim/setjmp.h"
      sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$here/drivers/lua_bench.lua" |
        { echo 'static const char lua_bench[] ='; cat; echo ';'; } > "$work/lua_bench.h" ;;
    zstd)
      d=$(source_tree libzstd)/lib
      files=("$d"/common/*.c "$d"/compress/*.c "$d"/decompress/*.c)
      flags=(-I"$d" -DZSTD_DISABLE_ASM) ;;  # the C decoder in both builds (the .S is x86-only)
    lz4)
      d=$(source_tree lz4)/lib
      files=("$d"/lz4.c "$d"/lz4hc.c)
      flags=(-I"$d") ;;
    brotli)
      d=$(source_tree brotli)/c
      files=("$d"/common/*.c "$d"/enc/*.c "$d"/dec/*.c)
      flags=(-I"$d"/include) ;;
    zlib)
      d=$(source_tree zlib)
      files=()
      for f in adler32 compress crc32 deflate infback inffast inflate inftrees trees uncompr zutil; do files+=("$d/$f.c"); done
      flags=(-I"$d") ;;
    mbedtls)
      d=$(source_tree mbedtls)
      files=()
      for f in sha256 aes bignum platform_util constant_time md md5 sha1 sha512 ripemd160; do files+=("$d/library/$f.c"); done
      flags=(-I"$d"/include '-DMBEDTLS_USER_CONFIG_FILE="mbedtls_config.h"') ;;
    *) echo "run.sh: unknown program $1" >&2; exit 2 ;;
  esac
}

programs=("$@")
[ ${#programs[@]} -gt 0 ] || programs=(lua zstd lz4 brotli zlib mbedtls)
peers=${PEERS:-0}

header="$(printf '%-8s %10s %10s %8s' program native_ms atoll_ms ratio)"
[ "$peers" = 1 ] && header+="$(printf ' %10s %8s' node_ms ratio)"
echo "$header"
ratios=()
node_ratios=()
for p in "${programs[@]}"; do
  program_sources "$p"
  common=(-O2 -w "${flags[@]}" -I"$here/drivers" "$here/drivers/$p.c" "${files[@]}")
  clang-19 -march=x86-64-v2 "${common[@]}" -lm -o "$work/$p.native"
  clang-19 --target=wasm32-wasi --sysroot=/usr -Wl,-z,stack-size=1048576 "${common[@]}" -lm -o "$work/$p.wasm"
  want=$("$work/$p.native")
  got=$("$atoll" run "$work/$p.wasm")
  if [ "$want" != "$got" ]; then
    echo "$p: output differs: native '$want', atoll '$got'" >&2
    exit 1
  fi
  cmds=(-n native "$work/$p.native" -n atoll "$atoll run $work/$p.wasm")
  [ "$peers" = 1 ] && cmds+=(-n node "node --no-warnings $root/bench/hello/node_wasi.mjs $work/$p.wasm")
  read -r native_s atoll_s node_s < <("$root/bench/min_times.sh" "$work/$p" "${RUNS:-10}" "${cmds[@]}" |
    awk '{ m[$1] = $2 } END { print m["native"], m["atoll"], m["node"] + 0 }')
  ratio=$(awk -v a="$atoll_s" -v n="$native_s" 'BEGIN { printf "%.3f", a / n }')
  ratios+=("$ratio")
  line=$(printf '%-8s %10.1f %10.1f %8s' "$p" "$(awk -v s="$native_s" 'BEGIN{print s*1000}')" \
    "$(awk -v s="$atoll_s" 'BEGIN{print s*1000}')" "$ratio")
  if [ "$peers" = 1 ]; then
    nratio=$(awk -v a="$node_s" -v n="$native_s" 'BEGIN { printf "%.3f", a / n }')
    node_ratios+=("$nratio")
    line+=$(printf ' %10.1f %8s' "$(awk -v s="$node_s" 'BEGIN{print s*1000}')" "$nratio")
  fi
  echo "$line    $want"
done
geomean() { printf '%s\n' "$@" | awk '{ s += log($1); n++ } END { printf "%.3f over %d programs", exp(s / n), n }'; }
echo "geometric mean (atoll / native): $(geomean "${ratios[@]}")"
[ "$peers" = 1 ] && echo "geometric mean (node / native): $(geomean "${node_ratios[@]}")"
exit 0

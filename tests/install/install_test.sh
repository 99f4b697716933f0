#!/usr/bin/env bash
# atoll as an outside user gets it: `cmake --install` into a fresh prefix, then projects outside
# the tree built against that prefix and run, with no environment variable pointing at atoll:
#   - find_package(atoll CONFIG) with atoll::compiler (libatoll.so) and atoll::runtime_static, in
#     C++ and in C (the standard C API, wasm.h only);
#   - pkg-config --cflags --libs atoll;
#   - the installed CLI: `atoll run` of a WASI program (compiled by the installed plugin, in the
#     installed worker), and the layout: public headers only, a versioned library without LLVM.
#   tests/install/install_test.sh BUILD_DIR SOURCE_DIR HELLO_WASM
set -u
build=$1 src=$2 hello=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset ATOLL_COMPILER ATOLL_COMPILE_WORKER
export XDG_CACHE_HOME="$work/cache"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
prefix=$work/prefix
# A sanitized atoll needs sanitized consumers (the ASan runtime must come first).
san=()
[ "${ATOLL_SANITIZED:-0}" = 1 ] && san=(-fsanitize=address,undefined)
export CXXFLAGS="${san[*]}" CFLAGS="${san[*]}" LDFLAGS="${san[*]}"
cmake --install "$build" --prefix "$prefix" > "$work/install.log" 2>&1 || { cat "$work/install.log"; echo "FAIL: cmake --install"; exit 1; }
libdir=$(ls -d "$prefix"/lib*/ | head -1)
libdir=${libdir%/}

# The layout.
for f in bin/atoll include/atoll/atoll.h include/atoll/result.h include/atoll/wasi.h; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
done
for f in libatoll.so libatoll.so.0 libatoll.a libatoll-compiler.so cmake/atoll/atoll-config.cmake pkgconfig/atoll.pc; do
  [ -e "$libdir/$f" ] || fail "lib/$f is not installed"
done
[ -x "$prefix/libexec/atoll/atoll-compile-worker" ] || fail "libexec/atoll/atoll-compile-worker is not installed"
[ -f "$prefix/include/wasm.h" ] || fail "include/wasm.h (the standard C API) is not installed"
[ -f "$prefix/include/atoll_c.h" ] || fail "include/atoll_c.h (the C API's extensions) is not installed"
[ "$(find "$prefix/include" -type f | grep -v '^'"$prefix"'/include/atoll/' | grep -vc '^'"$prefix"'/include/\(wasm\|atoll_c\).h$')" = 0 ] ||
  fail "headers outside include/atoll, wasm.h and atoll_c.h"
for h in "$prefix"/include/atoll/*.h; do
  grep -q '#include "\(runtime\|wasm\|abi\|support\|artifact\)/' "$h" && fail "$h includes an internal header"
done
soname=$(readelf -d "$libdir/libatoll.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libatoll.so.0 ] || fail "SONAME is '$soname'"
readelf -d "$libdir/libatoll.so" | grep -qi llvm && fail "libatoll.so needs LLVM"
nm -D --defined-only "$libdir/libatoll.so" | awk '$2 ~ /[TWDBVR]/ { print $3 }' | c++filt |
  grep -v '^atl::\|^atoll_\|^wasm_\|^typeinfo\|^vtable\|^ATOLL_0' > "$work/extra-symbols"
[ -s "$work/extra-symbols" ] && fail "libatoll.so exports non-API symbols: $(head -3 "$work/extra-symbols")"

# find_package, outside the tree.
if cmake -S "$src/tests/install/consumer" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
     -DCMAKE_CXX_COMPILER="${CXX:-clang++-19}" -DCMAKE_C_COMPILER="${CC:-clang-19}" \
     -DC_API_PROGRAM="$src/tests/capi/callback.c" -DSANITIZED="${ATOLL_SANITIZED:-0}" > "$work/consumer.log" 2>&1 &&
   cmake --build "$work/consumer" >> "$work/consumer.log" 2>&1; then
  out=$("$work/consumer/consumer" 2>&1) || fail "find_package consumer: $out"
  [ "$out" = "add(40, 2) = 42" ] || fail "find_package consumer printed '$out'"
  ldd "$work/consumer/consumer" | grep -q "$libdir/libatoll.so.0" || fail "consumer does not use the installed libatoll.so"
  # Linked statically, the library has no place of its own: it looks in the configured install
  # directory, which this prefix is not, so it is told.
  out=$(ATOLL_COMPILER="$libdir/libatoll-compiler.so" "$work/consumer/consumer_static" 2>&1) || fail "static consumer: $out"
  [ "$out" = "add(40, 2) = 42" ] || fail "static consumer printed '$out'"
  out=$("$work/consumer/c_consumer" "$build/tests/capi/callback.wasm" 2> "$work/c-fp.log") ||
    fail "find_package C consumer: $out $(cat "$work/c-fp.log")"
  [ "$out" = "callback: all passed" ] || fail "find_package C consumer printed '$out'"
else
  fail "find_package consumer did not build: $(tail -15 "$work/consumer.log")"
fi

# pkg-config.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs atoll) || fail "pkg-config does not know atoll"
if "${CXX:-clang++-19}" -std=c++20 "$src/tests/install/consumer/main.cpp" -o "$work/pc-consumer" $flags "${san[@]}" \
     -Wl,-rpath,"$(pkg-config --variable=libdir atoll)" 2> "$work/pc.log"; then
  out=$("$work/pc-consumer" 2>&1) || fail "pkg-config consumer: $out"
  [ "$out" = "add(40, 2) = 42" ] || fail "pkg-config consumer printed '$out'"
else
  fail "pkg-config consumer did not build: $(head -5 "$work/pc.log")"
fi

# A C program of the standard C API (wasm.h only, nothing of atoll's), via pkg-config. (A
# sanitized libatoll.so needs the sanitizers' C++ runtime linked into the program.)
csan=()
[ ${#san[@]} -gt 0 ] && csan=("${san[@]}" -fsanitize-link-c++-runtime)
if "${CC:-clang-19}" -std=c11 "$src/tests/capi/callback.c" -o "$work/c-consumer" $flags "${csan[@]}" \
     -Wl,-rpath,"$(pkg-config --variable=libdir atoll)" ${csan:+-lstdc++} 2> "$work/c.log"; then
  # stdout only: sanitizer notes go to stderr.
  out=$("$work/c-consumer" "$build/tests/capi/callback.wasm" 2> "$work/c-run.log") || fail "C consumer: $out $(cat "$work/c-run.log")"
  [ "$out" = "callback: all passed" ] || fail "C consumer printed '$out'"
else
  fail "C consumer did not build: $(head -5 "$work/c.log")"
fi

# The installed CLI, copied nowhere special: finds its plugin and worker from its own place.
out=$("$prefix/bin/atoll" run "$hello" 2>&1) || fail "installed atoll run: $out"
echo "$out" | grep -q "hello" || fail "installed atoll run printed: $out"
ls "$work"/cache/atoll/*.atoll > /dev/null 2>&1 || fail "installed atoll run compiled nothing into its cache"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "install: all passed"

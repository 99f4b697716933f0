#!/usr/bin/env bash
# The Debian packages as a user gets them: cpack builds atoll and atoll-dev from this build, a
# clean Debian 12 (debootstrap --variant=minbase, from the Debian mirror apt uses) gets them
# with `dpkg -i` plus `apt-get -f install` (which must pull in what they depend on, libllvm19
# first), and the installed /usr/bin/atoll runs a WASI program, compiling it with the installed
# plugin in the installed worker. Needs root (chroot, mounting /proc) and the Debian mirror.
#   tests/package/deb_test.sh BUILD_DIR WASI_PROGRAM
set -u
build=$1 program=$2
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (chroot)"; exit 1; }
command -v debootstrap > /dev/null || { echo "FAIL: debootstrap is not installed (scripts/install-deps.sh)"; exit 1; }
work=$(mktemp -d)
root=$work/root
cleanup() {
  umount "$root/proc" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

(cd "$build" && cpack -G DEB -B "$work/pkgs") > "$work/cpack.log" 2>&1 || { tail -20 "$work/cpack.log"; echo "FAIL: cpack"; exit 1; }
ls "$work"/pkgs/atoll_*.deb "$work"/pkgs/atoll-dev_*.deb > /dev/null || { echo "FAIL: no packages"; exit 1; }
dpkg-deb -f "$work"/pkgs/atoll_*.deb Depends | grep -q libllvm19 || fail "atoll does not depend on libllvm19"
dpkg-deb -c "$work"/pkgs/atoll_*.deb | grep -q "include/" && fail "the runtime package carries headers"

mirror=http://deb.debian.org/debian
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1 ||
  { tail -5 "$work/debootstrap.log"; echo "FAIL: debootstrap"; exit 1; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$work"/pkgs/*.deb "$root/tmp/"
cp "$program" "$root/tmp/program.wasm"
mount -t proc proc "$root/proc" || { echo "FAIL: cannot mount /proc in the chroot"; exit 1; }
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

in_root sh -c 'dpkg -i /tmp/atoll_*.deb /tmp/atoll-dev_*.deb' > "$work/dpkg.log" 2>&1 &&
  echo "note: dpkg -i needed nothing more (were the dependencies already there?)"
in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq' > "$work/apt.log" 2>&1 ||
  fail "apt-get -f install: $(tail -5 "$work/apt.log")"
in_root dpkg -s atoll atoll-dev 2>&1 | grep -c "Status: install ok installed" | grep -q 2 || fail "packages not installed: $(tail -5 "$work/dpkg.log")"
in_root dpkg -s libllvm19 > /dev/null 2>&1 || fail "libllvm19 was not pulled in"
out=$(in_root /usr/bin/atoll run /tmp/program.wasm 2>&1) || fail "atoll run in the chroot: $out"
echo "atoll run in a clean Debian 12 with the packages: $out" | head -3
echo "$out" | grep -q hello || fail "atoll run printed: $out"
[ -f "$root/usr/lib/cmake/atoll/atoll-config.cmake" ] && [ -f "$root/usr/lib/pkgconfig/atoll.pc" ] || fail "atoll-dev lacks the CMake or pkg-config files"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "package: all passed"

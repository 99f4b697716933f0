#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages atoll's build and tests need; idempotent (only
# missing packages are installed, and the package lists are refreshed only then).
#   scripts/install-deps.sh [--bench]
set -euo pipefail
packages=(
  cmake ninja-build ccache binutils   # build; objdump for the artifact tests
  llvm-19-dev                         # the compiler's code generator (src/compiler only)
  clang-19 libclang-rt-19-dev         # compiler, sanitizers and libFuzzer runtimes
  lld-19 wasi-libc libclang-rt-19-dev-wasm32   # building wasm32-wasi guests from C
  libc++-19-dev-wasm32 libc++abi-19-dev-wasm32  # ... and from C++ (examples/cxx_exceptions)
  libcli11-dev nlohmann-json3-dev     # CLI parsing; wast2json output
  libgtest-dev libbenchmark-dev       # tests and micro-benchmarks
  wabt                                # wast2json for the spec tests, wasm-validate as a reference
  jq                                  # the CLI tests read `atoll inspect --json`
  gdb                                 # the CLI test of the GDB JIT interface (-D debug-info)
  chromium chromium-driver python3    # the CLI test of `atoll explore` in a real browser (WebDriver)
  binaryen                            # wasm-opt -ttf: random modules for the differential fuzzer
  libboost-dev libtomlplusplus-dev curl   # atoll serve (Boost.Beast, toml++); its tests' client
  haproxy python3-yaml systemd            # dist/ tests: a balancer, manifest checks, systemd-analyze and
  libsystemd-dev                          #   systemd-socket-activate; socket activation (sd_listen_fds)
  dpkg-dev debootstrap                    # the .deb packages (dpkg-shlibdeps) and their install test
)
# Benchmarks: hyperfine; for bench/serve, wrk and the servers atoll is measured against.
if [ "${1:-}" = "--bench" ]; then packages+=(hyperfine wrk nginx-light fcgiwrap nodejs); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

// A freestanding guest for the README's first command: no imports, one export.
//   clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
//            -Wl,--export=fib examples/fib/fib.c -o fib.wasm
//   build/atoll run --invoke fib fib.wasm 40
#include <stdint.h>

__attribute__((export_name("fib"))) uint64_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

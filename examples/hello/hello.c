// The bundled example guest: an ordinary C program for wasm32-wasi.
//   clang-19 --target=wasm32-wasi --sysroot=/usr -O2 examples/hello/hello.c -o hello.wasm
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char** argv) {
  const char* who = argc > 1 ? argv[1] : "lagoon";
  printf("hello from an atoll, %s!\n", who);
  char* copy = strdup(who);
  printf("fib(20) = %u, name length %zu\n", fib(20), strlen(copy));
  free(copy);
  return 0;
}

// Traps three calls deep (main -> parse -> lookup -> load, load reading far outside memory) so
// backtrace_test.sh can check every frame. The guest keeps the calls as separate wasm functions
// (noinline); atoll's own -O2 inlines them again, which is what the backtrace must see through.
// The markers at the ends of lines are how the test finds the line numbers.
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static int load(const int *table, unsigned index) {
  return table[index];  // @load
}

__attribute__((noinline)) static int lookup(const int *table, unsigned key) {
  unsigned index = key * 0x10000u;
  return load(table, index) + 1;  // @lookup
}

__attribute__((noinline)) static int parse(const char *text) {
  static const int table[4] = {1, 2, 3, 4};
  unsigned key = (unsigned)strtoul(text, NULL, 10);
  return lookup(table, key) * 2;  // @parse
}

int main(int argc, char **argv) {
  int r = parse(argc > 1 ? argv[1] : "40000");  // @main
  printf("%d\n", r);
  return 0;
}

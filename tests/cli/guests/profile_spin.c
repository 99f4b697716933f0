// profile_test.sh samples this guest with --profile guest: work() calls spin_three (three units
// of the same loop) and then spin_one (one unit), so about three quarters of the samples must
// land in spin_three, each under main;work. The loops differ only in their constants, so they run
// at the same speed. `profile_spin N` runs N units each way; `profile_spin N trap` then traps.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) unsigned spin_three(unsigned units) {
  unsigned h = 17;
  for (unsigned i = 0; i < 3 * units * 1000000u; ++i) h = (h ^ i) * 0x01000193u + (h >> 7);
  return h;
}

__attribute__((noinline)) unsigned spin_one(unsigned units) {
  unsigned h = 29;
  for (unsigned i = 0; i < units * 1000000u; ++i) h = (h ^ i) * 0x01000197u + (h >> 9);
  return h;
}

__attribute__((noinline)) unsigned work(unsigned units) { return spin_three(units) ^ spin_one(units); }

int main(int argc, char **argv) {
  unsigned units = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 10;
  printf("%u\n", work(units));
  if (argc > 2 && strcmp(argv[2], "trap") == 0) __builtin_trap();
  return 0;
}

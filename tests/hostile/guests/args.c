// Prints its arguments, one per line: shows what reached the guest and what atoll kept.
#include <stdio.h>

int main(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) printf("arg[%d]=%s\n", i, argv[i]);
  return 0;
}

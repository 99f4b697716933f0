// The smallest WASI program: the warm-start benchmark's guest.
#include <stdio.h>
int main(void) {
  puts("hello, world");
  return 0;
}

#include <stdint.h>
#include <stdio.h>
uint64_t run(void);
int main(void) {
  printf("%lld\n", (long long)run());
  return 0;
}

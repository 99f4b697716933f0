// bench/serve: a handler that sleeps 1 s (WASI poll_oneoff on a clock), then answers.
#include <stdio.h>
#include <unistd.h>

int main(void) {
  sleep(1);
  printf("Content-Type: text/plain\n\nslept 1 s\n");
  return 0;
}

// bench/serve: a CPU-bound handler that never finishes on its own (its deadline ends it: 504).
int main(void) {
  volatile unsigned long x = 0;
  for (;;) x++;
}

// Quicksort (median of three, insertion sort for small ranges) of pseudo-random integers.
#include "bench.h"
#define COUNT (1 << 20)
static uint32_t v[COUNT];
static void insertion(uint32_t* a, int n) {
  for (int i = 1; i < n; ++i) {
    uint32_t x = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > x) a[j + 1] = a[j], --j;
    a[j + 1] = x;
  }
}
static void sort(uint32_t* a, int n) {
  while (n > 24) {
    uint32_t p0 = a[0], p1 = a[n / 2], p2 = a[n - 1];
    uint32_t pivot = p0 < p1 ? (p1 < p2 ? p1 : (p0 < p2 ? p2 : p0)) : (p0 < p2 ? p0 : (p1 < p2 ? p2 : p1));
    int i = 0, j = n - 1;
    while (i <= j) {
      while (a[i] < pivot) ++i;
      while (a[j] > pivot) --j;
      if (i <= j) {
        uint32_t t = a[i];
        a[i] = a[j], a[j] = t;
        ++i, --j;
      }
    }
    if (j + 1 < n - i) {
      sort(a, j + 1);
      a += i, n -= i;
    } else {
      sort(a + i, n - i);
      n = j + 1;
    }
  }
  insertion(a, n);
}
BENCH_EXPORT uint64_t run(void) {
  uint64_t h = 0;
  for (int rep = 0; rep < 7; ++rep) {
    for (int i = 0; i < COUNT; ++i) v[i] = (uint32_t)bench_rand();
    sort(v, COUNT);
    for (int i = 0; i < COUNT; i += 4099) h = mix64(h, v[i]);
    for (int i = 1; i < COUNT; ++i)
      if (v[i - 1] > v[i]) return 0;
  }
  return h;
}

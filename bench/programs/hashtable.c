// An open-addressing hash table (linear probing) with inserts, lookups and deletes.
#include "bench.h"
#define CAP (1 << 18)
static uint32_t keys[CAP];
static uint32_t vals[CAP];
static uint8_t used[CAP];
static inline uint32_t hash(uint32_t k) {
  k ^= k >> 16, k *= 0x7feb352d, k ^= k >> 15, k *= 0x846ca68b, k ^= k >> 16;
  return k;
}
static void put(uint32_t k, uint32_t v) {
  uint32_t i = hash(k) & (CAP - 1);
  while (used[i] == 1 && keys[i] != k) i = (i + 1) & (CAP - 1);
  keys[i] = k, vals[i] = v, used[i] = 1;
}
static int get(uint32_t k, uint32_t* v) {
  uint32_t i = hash(k) & (CAP - 1);
  while (used[i]) {
    if (used[i] == 1 && keys[i] == k) {
      *v = vals[i];
      return 1;
    }
    i = (i + 1) & (CAP - 1);
  }
  return 0;
}
BENCH_EXPORT uint64_t run(void) {
  uint64_t h = 0;
  for (int round = 0; round < 12; ++round) {
    memset(used, 0, sizeof used);
    for (uint32_t i = 0; i < CAP / 2; ++i) put((uint32_t)bench_rand(), i);
    uint32_t found = 0, sum = 0, v;
    for (uint32_t i = 0; i < CAP * 4; ++i) {
      if (get((uint32_t)bench_rand() & 0xffffff, &v)) ++found, sum += v;
    }
    h = mix64(h, found);
    h = mix64(h, sum);
    for (uint32_t i = 0; i < CAP; i += 3)
      if (used[i] == 1) used[i] = 2;  // tombstones
    uint32_t probes = 0;
    for (uint32_t i = 0; i < CAP; ++i) probes += get(keys[i], &v);
    h = mix64(h, probes);
  }
  return h;
}

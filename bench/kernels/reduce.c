// Reductions over arrays: a float dot product, an integer sum of squares and a maximum, over
// 4 M elements, repeated.
#include "../programs/bench.h"
#define N (1 << 22)
static float x[N], y[N];
static int32_t v[N];
BENCH_EXPORT uint64_t run(void) {
  for (int i = 0; i < N; ++i) {
    x[i] = (float)(i % 7) * 0.5f;
    y[i] = (float)(i % 11) * 0.25f;
    v[i] = (int32_t)(bench_rand() & 0xffff) - 0x8000;
  }
  uint64_t h = 0;
  for (int rep = 0; rep < 40; ++rep) {
    float dot = 0;
    for (int i = 0; i < N; ++i) dot += x[i] * y[i];
    int64_t sq = 0;
    int32_t mx = v[0];
    for (int i = 0; i < N; ++i) {
      sq += (int64_t)v[i] * v[i];
      mx = v[i] > mx ? v[i] : mx;
    }
    h = mix64(h, (uint64_t)(int64_t)dot);
    h = mix64(h, (uint64_t)sq ^ (uint64_t)(uint32_t)mx);
    x[rep] += 1.0f;
    v[rep * 7] = rep;
  }
  return h;
}

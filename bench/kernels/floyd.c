// Floyd-Warshall all-pairs shortest paths on a 420-vertex dense graph (int32 distances).
#include "../programs/bench.h"
#define N 420
static int32_t d[N * N];
static void floyd(int n, int32_t* m) {
  for (int k = 0; k < n; ++k)
    for (int i = 0; i < n; ++i) {
      const int32_t dik = m[i * n + k];
      for (int j = 0; j < n; ++j) {
        const int32_t via = dik + m[k * n + j];
        if (via < m[i * n + j]) m[i * n + j] = via;
      }
    }
}
BENCH_EXPORT uint64_t run(void) {
  uint64_t h = 0;
  for (int rep = 0; rep < 10; ++rep) {
    for (int i = 0; i < N * N; ++i) d[i] = 1 + (int32_t)(bench_rand() % 1000);
    for (int i = 0; i < N; ++i) d[i * N + i] = 0;
    floyd(N, d);
    for (int i = 0; i < N * N; i += 997) h = mix64(h, (uint64_t)d[i]);
  }
  return h;
}

// Dense single-precision matrix multiply (i-k-j order), repeated.
#include "bench.h"
#define N 256
static float a[N][N], b[N][N], c[N][N];
BENCH_EXPORT uint64_t run(void) {
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) {
      a[i][j] = (float)((i * 7 + j * 3) % 17) * 0.25f;
      b[i][j] = (float)((i * 5 + j * 11) % 13) * 0.5f;
    }
  uint64_t h = 0;
  for (int rep = 0; rep < 240; ++rep) {
    memset(c, 0, sizeof c);
    for (int i = 0; i < N; ++i)
      for (int k = 0; k < N; ++k) {
        const float aik = a[i][k];
        for (int j = 0; j < N; ++j) c[i][j] += aik * b[k][j];
      }
    for (int i = 0; i < N; i += 17) h = mix64(h, (uint64_t)(int64_t)c[i][(i * 3) % N]);
    a[rep % N][rep % N] += 1.0f;
  }
  return h;
}

// Five-point Jacobi relaxation on a 512 x 512 grid of doubles, two buffers, 2,000 sweeps.
#include "../programs/bench.h"
#define N 512
static double g0[N * N], g1[N * N];
static void sweep(int n, const double* in, double* out) {
  for (int i = 1; i < n - 1; ++i)
    for (int j = 1; j < n - 1; ++j)
      out[i * n + j] = 0.2 * (in[i * n + j] + in[(i - 1) * n + j] + in[(i + 1) * n + j] +
                              in[i * n + j - 1] + in[i * n + j + 1]);
}
BENCH_EXPORT uint64_t run(void) {
  for (int i = 0; i < N * N; ++i) g0[i] = g1[i] = (double)((i * 31) % 101);
  for (int it = 0; it < 1000; ++it) {
    sweep(N, g0, g1);
    sweep(N, g1, g0);
  }
  uint64_t h = 0;
  for (int i = 0; i < N * N; i += 4099) h = mix64(h, (uint64_t)(int64_t)(g0[i] * 1000.0));
  return h;
}

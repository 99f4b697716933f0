// Double-precision matrix product C += A * B on row-major n x n arrays addressed as a[i*n + k]
// (how C code passes matrices), unit-stride loop innermost.
#include "../programs/bench.h"
#define N 320
static double a[N * N], b[N * N], c[N * N];
static void gemm(int n, const double* x, const double* y, double* z) {
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) {
      const double xik = x[i * n + k];
      for (int j = 0; j < n; ++j) z[i * n + j] += xik * y[k * n + j];
    }
}
BENCH_EXPORT uint64_t run(void) {
  for (int i = 0; i < N * N; ++i) {
    a[i] = (double)(i % 17) * 0.25;
    b[i] = (double)(i % 13) * 0.5;
  }
  uint64_t h = 0;
  for (int rep = 0; rep < 64; ++rep) {
    gemm(N, a, b, c);
    h = mix64(h, (uint64_t)(int64_t)c[(rep * 977) % (N * N)]);
  }
  return h;
}

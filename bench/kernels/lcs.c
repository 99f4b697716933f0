// Dynamic programming: longest common subsequence of two 6,000-byte strings, full table rows
// (two rows of int32), repeated.
#include "../programs/bench.h"
#define N 6000
static unsigned char s[N], t[N];
static int32_t prev[N + 1], cur[N + 1];
static int32_t lcs(int n) {
  for (int j = 0; j <= n; ++j) prev[j] = 0;
  for (int i = 1; i <= n; ++i) {
    cur[0] = 0;
    for (int j = 1; j <= n; ++j) {
      const int32_t best = prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
      cur[j] = s[i - 1] == t[j - 1] ? prev[j - 1] + 1 : best;
    }
    for (int j = 0; j <= n; ++j) prev[j] = cur[j];
  }
  return prev[n];
}
BENCH_EXPORT uint64_t run(void) {
  for (int i = 0; i < N; ++i) {
    s[i] = (unsigned char)('a' + bench_rand() % 4);
    t[i] = (unsigned char)('a' + bench_rand() % 4);
  }
  uint64_t h = 0;
  for (int rep = 0; rep < 6; ++rep) {
    h = mix64(h, (uint64_t)lcs(N));
    s[rep] = 'z';
  }
  return h;
}

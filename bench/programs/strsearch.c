// Substring search: Boyer-Moore-Horspool over generated text, plus a naive scan.
#include "bench.h"
#define TEXT (1 << 21)
static char text[TEXT];
static uint32_t horspool(const char* hay, uint32_t n, const char* needle, uint32_t m) {
  uint32_t skip[256];
  for (int i = 0; i < 256; ++i) skip[i] = m;
  for (uint32_t i = 0; i + 1 < m; ++i) skip[(uint8_t)needle[i]] = m - 1 - i;
  uint32_t count = 0, pos = 0;
  while (pos + m <= n) {
    uint32_t j = m - 1;
    while (hay[pos + j] == needle[j]) {
      if (j == 0) {
        ++count;
        break;
      }
      --j;
    }
    pos += skip[(uint8_t)hay[pos + m - 1]];
  }
  return count;
}
static uint32_t naive(const char* hay, uint32_t n, const char* needle, uint32_t m) {
  uint32_t count = 0;
  for (uint32_t i = 0; i + m <= n; ++i) {
    uint32_t j = 0;
    while (j < m && hay[i + j] == needle[j]) ++j;
    count += j == m;
  }
  return count;
}
BENCH_EXPORT uint64_t run(void) {
  static const char alphabet[] = "abcdefghij klmnop";
  for (uint32_t i = 0; i < TEXT; ++i) text[i] = alphabet[bench_rand() % 17];
  static const char* needles[] = {"abc", "hello world", "ab ab", "jjj", "mnop klm", "a", "ponmlk", "cab fig"};
  uint64_t h = 0;
  for (int rep = 0; rep < 10; ++rep)
    for (int k = 0; k < 8; ++k) {
      const uint32_t m = (uint32_t)strlen(needles[k]);
      h = mix64(h, horspool(text, TEXT, needles[k], m));
      if (rep == 0) h = mix64(h, naive(text, TEXT, needles[k], m));
    }
  return h;
}

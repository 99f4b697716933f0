// Shared by the real-program drivers: deterministic inputs and a checksum, so native and wasm
// runs of one driver print the same line and any difference in the computation shows.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline uint32_t bench_rand(uint64_t* s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*s >> 33);
}

// Text-like bytes (words from a small vocabulary, spaces, newlines): compressible the way logs
// and source code are, not trivially.
static inline unsigned char* bench_text(size_t n, uint64_t seed) {
  static const char* words[] = {"the", "sandbox", "lagoon", "island", "memory", "guard", "page",
                                "trap", "fiber", "epoch", "atoll", "function", "module", "table",
                                "request", "response", "0x1a3", "42", "kernel", "compile"};
  unsigned char* p = (unsigned char*)malloc(n);
  size_t i = 0;
  while (i < n) {
    const char* w = words[bench_rand(&seed) % 20];
    while (*w && i < n) p[i++] = (unsigned char)*w++;
    if (i < n) p[i++] = (bench_rand(&seed) % 9 == 0) ? '\n' : ' ';
  }
  return p;
}

static inline uint64_t bench_fnv(const void* data, size_t n, uint64_t h) {
  const unsigned char* p = (const unsigned char*)data;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

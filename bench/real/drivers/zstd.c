// zstd (Debian source libzstd): compress 8 MiB of text at level 3, then decompress, 4 rounds.
#include <stdio.h>
#include <string.h>
#include <zstd.h>
#include "common.h"

int main(void) {
  const size_t n = 8 << 20;
  unsigned char* in = bench_text(n, 1);
  size_t cap = ZSTD_compressBound(n);
  unsigned char* z = malloc(cap);
  unsigned char* out = malloc(n);
  uint64_t h = 14695981039346656037ull;
  size_t zn = 0;
  for (int round = 0; round < 4; ++round) {
    zn = ZSTD_compress(z, cap, in, n, 3);
    if (ZSTD_isError(zn)) return 1;
    size_t m = ZSTD_decompress(out, n, z, zn);
    if (ZSTD_isError(m) || m != n || memcmp(in, out, n) != 0) return 2;
  }
  // Compressed bytes may differ between 32- and 64-bit builds (hash functions chosen by word
  // size); what must not differ is the data that comes back.
  h = bench_fnv(out, (size_t)n, h);
  fprintf(stderr, "zstd: %zu -> %zu bytes\n", n, zn);
  printf("zstd %zu bytes round trip ok, checksum %016llx\n", n, (unsigned long long)h);
  return 0;
}

// lz4 (Debian source lz4): compress 16 MiB of text (default twice, HC level 4 once), decompress.
#include <lz4.h>
#include <lz4hc.h>
#include <stdio.h>
#include <string.h>
#include "common.h"

int main(void) {
  const int n = 16 << 20;
  unsigned char* in = bench_text((size_t)n, 2);
  int cap = LZ4_compressBound(n);
  char* z = malloc((size_t)cap);
  char* out = malloc((size_t)n);
  uint64_t h = 14695981039346656037ull;
  int zn = 0;
  for (int round = 0; round < 3; ++round) {
    zn = round == 2 ? LZ4_compress_HC((const char*)in, z, n, cap, 4)
                        : LZ4_compress_default((const char*)in, z, n, cap);
    if (zn <= 0) return 1;
    int m = LZ4_decompress_safe(z, out, zn, n);
    if (m != n || memcmp(in, out, (size_t)n) != 0) return 2;
  }
  // Compressed bytes may differ between 32- and 64-bit builds (hash functions chosen by word
  // size); what must not differ is the data that comes back.
  h = bench_fnv(out, (size_t)n, h);
  fprintf(stderr, "lz4: %d -> %d bytes\n", n, zn);
  printf("lz4 %d bytes round trip ok, checksum %016llx\n", n, (unsigned long long)h);
  return 0;
}

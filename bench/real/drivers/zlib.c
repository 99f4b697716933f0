// zlib (Debian source zlib): deflate 4 MiB of text at level 6, inflate.
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "common.h"

int main(void) {
  const uLong n = 4 << 20;
  unsigned char* in = bench_text(n, 4);
  uLong cap = compressBound(n);
  unsigned char* z = malloc(cap);
  unsigned char* out = malloc(n);
  uint64_t h = 14695981039346656037ull;
  uLongf zn = 0;
  for (int round = 0; round < 1; ++round) {
    zn = cap;
    if (compress2(z, &zn, in, n, 6) != Z_OK) return 1;
    uLongf m = n;
    if (uncompress(out, &m, z, zn) != Z_OK || m != n || memcmp(in, out, n) != 0) return 2;
  }
  h = bench_fnv(out, n, h);
  fprintf(stderr, "zlib: %lu -> %lu bytes\n", n, (unsigned long)zn);
  printf("zlib %lu bytes round trip ok, crc32 %08lx, checksum %016llx\n", n, crc32(0, in, n),
         (unsigned long long)h);
  return 0;
}

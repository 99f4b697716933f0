// brotli (Debian source brotli): compress 2 MiB of text at quality 5, then decompress, 5 rounds.
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <stdio.h>
#include <string.h>
#include "common.h"

int main(void) {
  const size_t n = 2 << 20;
  unsigned char* in = bench_text(n, 3);
  size_t cap = BrotliEncoderMaxCompressedSize(n);
  unsigned char* z = malloc(cap);
  unsigned char* out = malloc(n);
  uint64_t h = 14695981039346656037ull;
  size_t zn = 0;
  for (int round = 0; round < 5; ++round) {
    zn = cap;
    if (!BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, n, in, &zn, z)) return 1;
    size_t m = n;
    if (BrotliDecoderDecompress(zn, z, &m, out) != BROTLI_DECODER_RESULT_SUCCESS || m != n ||
        memcmp(in, out, n) != 0)
      return 2;
  }
  // Compressed bytes may differ between 32- and 64-bit builds (hash functions chosen by word
  // size); what must not differ is the data that comes back.
  h = bench_fnv(out, (size_t)n, h);
  fprintf(stderr, "brotli: %zu -> %zu bytes\n", n, zn);
  printf("brotli %zu bytes round trip ok, checksum %016llx\n", n, (unsigned long long)h);
  return 0;
}

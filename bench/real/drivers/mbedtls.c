// mbed TLS (Debian source mbedtls): SHA-256 over 32 MiB, AES-128-CTR over 16 MiB, and 12
// modular exponentiations with a 2048-bit modulus (the cost of RSA private-key operations).
#include <mbedtls/aes.h>
#include <mbedtls/bignum.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <string.h>
#include "common.h"

static int fill_random(void* state, unsigned char* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = (unsigned char)bench_rand((uint64_t*)state);
  return 0;
}

int main(void) {
  const size_t n = 8 << 20;
  unsigned char* in = bench_text(n, 5);
  unsigned char digest[32];
  mbedtls_sha256_context sha;
  mbedtls_sha256_init(&sha);
  mbedtls_sha256_starts_ret(&sha, 0);
  for (int i = 0; i < 4; ++i) mbedtls_sha256_update_ret(&sha, in, n);
  mbedtls_sha256_finish_ret(&sha, digest);
  uint64_t h = bench_fnv(digest, sizeof digest, 14695981039346656037ull);

  mbedtls_aes_context aes;
  mbedtls_aes_init(&aes);
  const unsigned char key[16] = "atoll lagoon key";
  mbedtls_aes_setkey_enc(&aes, key, 128);
  unsigned char nonce[16] = {0}, block[16];
  size_t off = 0;
  unsigned char* out = malloc(n);
  for (int i = 0; i < 2; ++i) {
    mbedtls_aes_crypt_ctr(&aes, n, &off, nonce, block, in, out);
    h = bench_fnv(out, 64, h);
  }

  uint64_t seed = 6;
  mbedtls_mpi m, e, x, r;
  mbedtls_mpi_init(&m); mbedtls_mpi_init(&e); mbedtls_mpi_init(&x); mbedtls_mpi_init(&r);
  mbedtls_mpi_fill_random(&m, 256, fill_random, &seed);
  mbedtls_mpi_set_bit(&m, 0, 1);     // odd, as an RSA modulus is
  mbedtls_mpi_set_bit(&m, 2047, 1);  // full 2048 bits
  mbedtls_mpi_fill_random(&e, 256, fill_random, &seed);
  mbedtls_mpi_fill_random(&x, 255, fill_random, &seed);
  unsigned char res[256];
  for (int i = 0; i < 12; ++i) {
    if (mbedtls_mpi_exp_mod(&r, &x, &e, &m, NULL) != 0) return 1;
    mbedtls_mpi_copy(&x, &r);
  }
  mbedtls_mpi_write_binary(&r, res, sizeof res);
  h = bench_fnv(res, sizeof res, h);
  printf("mbedtls sha256 %02x%02x%02x%02x..., checksum %016llx\n", digest[0], digest[1], digest[2],
         digest[3], (unsigned long long)h);
  return 0;
}

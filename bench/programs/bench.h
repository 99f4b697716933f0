// Shared by the benchmark programs: each defines `uint64_t run(void)` returning a checksum.
// Built natively (with native_main.c printing the checksum) and for wasm32 (exporting `run`).
// Only fixed-width types feed the checksums, so native and wasm32 results must agree.
#pragma once
#include <stdint.h>
#include <string.h>

#ifdef __wasm__
#define BENCH_EXPORT __attribute__((export_name("run")))
#else
#define BENCH_EXPORT
#endif

static inline uint64_t mix64(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

static uint64_t bench_rng_state = 88172645463325252ull;
static inline uint64_t bench_rand(void) {
  bench_rng_state ^= bench_rng_state << 13;
  bench_rng_state ^= bench_rng_state >> 7;
  bench_rng_state ^= bench_rng_state << 17;
  return bench_rng_state;
}

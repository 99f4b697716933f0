// SIMD workload: base64 encoding of a 1 MiB buffer, repeated. With -msimd128 it uses wasm SIMD
// intrinsics (byte shuffles, shifts, and an i8x16.swizzle table to map 6-bit values to ASCII,
// 12 input bytes per step); without, the usual scalar table lookups, which compilers cannot
// vectorise. Native builds use the scalar code. `run` returns a checksum of the output.
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#ifdef __wasm__
#define BENCH_EXPORT __attribute__((export_name("run")))
#else
#define BENCH_EXPORT
#endif

#define INPUT (1 << 20)  // a multiple of 3 is not needed: the tail is encoded by the scalar code
static uint8_t input[INPUT + 16];
static uint8_t output[(INPUT / 3 + 1) * 4 + 16];
static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint32_t encode_scalar(const uint8_t* in, uint32_t n, uint8_t* out) {
  uint32_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t x = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = (uint8_t)kChars[(x >> 18) & 63];
    out[o++] = (uint8_t)kChars[(x >> 12) & 63];
    out[o++] = (uint8_t)kChars[(x >> 6) & 63];
    out[o++] = (uint8_t)kChars[x & 63];
  }
  if (i < n) {
    const uint32_t x = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
    out[o++] = (uint8_t)kChars[(x >> 18) & 63];
    out[o++] = (uint8_t)kChars[(x >> 12) & 63];
    out[o++] = i + 1 < n ? (uint8_t)kChars[(x >> 6) & 63] : '=';
    out[o++] = '=';
  }
  return o;
}

#ifdef __wasm_simd128__
static uint32_t encode(const uint8_t* in, uint32_t n, uint8_t* out) {
  // Per 32-bit lane: bytes [c, b, a, 0] so the lane value is a<<16 | b<<8 | c.
  const v128_t gather = wasm_i8x16_make(2, 1, 0, -1, 5, 4, 3, -1, 8, 7, 6, -1, 11, 10, 9, -1);
  const v128_t mask = wasm_i32x4_splat(0x3f);
  // ASCII offsets by class: index 0: 26..51 (+71), 1..10: 52..61 (-4), 11: 62 (-19),
  // 12: 63 (-16), 13: 0..25 (+65).
  const v128_t offsets = wasm_i8x16_make(71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0);
  uint32_t i = 0, o = 0;
  for (; i + 16 <= n; i += 12, o += 16) {
    const v128_t x = wasm_i8x16_swizzle(wasm_v128_load(in + i), gather);
    v128_t idx = wasm_v128_or(
        wasm_v128_or(wasm_v128_and(wasm_u32x4_shr(x, 18), mask),
                     wasm_i32x4_shl(wasm_v128_and(wasm_u32x4_shr(x, 12), mask), 8)),
        wasm_v128_or(wasm_i32x4_shl(wasm_v128_and(wasm_u32x4_shr(x, 6), mask), 16),
                     wasm_i32x4_shl(wasm_v128_and(x, mask), 24)));
    v128_t cls = wasm_u8x16_sub_sat(idx, wasm_i8x16_splat(51));
    cls = wasm_v128_bitselect(wasm_i8x16_splat(13), cls, wasm_u8x16_lt(idx, wasm_i8x16_splat(26)));
    wasm_v128_store(out + o, wasm_i8x16_add(idx, wasm_i8x16_swizzle(offsets, cls)));
  }
  return o + encode_scalar(in + i, n - i, out + o);
}
#else
static uint32_t encode(const uint8_t* in, uint32_t n, uint8_t* out) { return encode_scalar(in, n, out); }
#endif

BENCH_EXPORT uint64_t run(void) {
  uint32_t seed = 2463534242u;
  for (uint32_t i = 0; i < INPUT; ++i) {
    seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
    input[i] = (uint8_t)seed;
  }
  uint64_t h = 1469598103934665603ull;
  for (int rep = 0; rep < 1000; ++rep) {
    const uint32_t len = INPUT - (uint32_t)(rep % 7);
    const uint32_t n = encode(input, len, output);
    for (uint32_t k = (uint32_t)rep; k < n; k += 4093) h = (h ^ output[k]) * 1099511628211ull;
    h ^= n;
    input[rep] ^= output[rep * 3];
  }
  return h;
}

// SIMD workload: an image pipeline on 8-bit RGBA pixels (grayscale conversion, 3x3 box blur,
// contrast stretch, alpha blend), written as plain loops that compilers auto-vectorise. Built
// for wasm with and without -msimd128, and natively; `run` returns a checksum of the output.
#include <stdint.h>

#ifdef __wasm__
#define BENCH_EXPORT __attribute__((export_name("run")))
#else
#define BENCH_EXPORT
#endif

#define W 1024
#define H 768
static uint8_t rgba[H][W][4];
static uint8_t gray[H][W];
static uint8_t blur[H][W];
static uint8_t out[H][W];

static void grayscale(void) {
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const uint32_t r = rgba[y][x][0], g = rgba[y][x][1], b = rgba[y][x][2];
      gray[y][x] = (uint8_t)((r * 77 + g * 150 + b * 29) >> 8);
    }
}

static void box_blur(void) {
  for (int y = 1; y < H - 1; ++y) {
    for (int x = 1; x < W - 1; ++x) {
      uint16_t s = 0;
      for (int dy = -1; dy <= 1; ++dy)
        s += (uint16_t)(gray[y + dy][x - 1] + gray[y + dy][x] + gray[y + dy][x + 1]);
      blur[y][x] = (uint8_t)((s * 7282u) >> 16);  // s / 9
    }
  }
}

static void stretch_and_blend(uint8_t lo, uint8_t hi) {
  const uint32_t scale = hi > lo ? (255u << 8) / (uint32_t)(hi - lo) : 256;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      uint8_t v = blur[y][x];
      v = v < lo ? lo : v > hi ? hi : v;
      const uint32_t stretched = ((uint32_t)(v - lo) * scale) >> 8;
      const uint32_t alpha = rgba[y][x][3];
      out[y][x] = (uint8_t)((stretched * alpha + gray[y][x] * (255 - alpha)) / 255);
    }
}

BENCH_EXPORT uint64_t run(void) {
  uint32_t seed = 12345;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 4; ++c) {
        seed = seed * 1664525u + 1013904223u;
        rgba[y][x][c] = (uint8_t)((seed >> 24) ^ (uint32_t)(x + y));
      }
  uint64_t h = 1469598103934665603ull;
  for (int frame = 0; frame < 400; ++frame) {
    grayscale();
    box_blur();
    stretch_and_blend((uint8_t)(20 + frame % 50), (uint8_t)(220 - frame % 50));
    for (int y = 0; y < H; y += 7) h = (h ^ out[y][(y * 13 + frame) % W]) * 1099511628211ull;
    rgba[frame % H][frame % W][0] ^= out[(frame + 1) % H][(frame + 1) % W];
  }
  return h;
}

// Relaxed SIMD (WebAssembly 3.0): the spec allows several results for these instructions; atoll
// fixes one, and it must be the same at every CPU level (with and without FMA, AVX-512) and
// optimisation level, including for the inputs where the allowed results differ.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../wat.h"
#include "atoll/atoll.h"

namespace atl {
namespace {

// Each function takes its operands from memory at 0, 16, 32 and writes its result at 48. (Debian's
// wabt spells the dot products without "relaxed_"; the opcodes are the same.)
const char* kRelaxed = R"(
(module
  (memory (export "memory") 1)
  (func $run (param $r v128) (v128.store (i32.const 48) (local.get $r)))
  (func (export "madd32") (call $run (f32x4.relaxed_madd (v128.load (i32.const 0)) (v128.load (i32.const 16)) (v128.load (i32.const 32)))))
  (func (export "nmadd32") (call $run (f32x4.relaxed_nmadd (v128.load (i32.const 0)) (v128.load (i32.const 16)) (v128.load (i32.const 32)))))
  (func (export "madd64") (call $run (f64x2.relaxed_madd (v128.load (i32.const 0)) (v128.load (i32.const 16)) (v128.load (i32.const 32)))))
  (func (export "nmadd64") (call $run (f64x2.relaxed_nmadd (v128.load (i32.const 0)) (v128.load (i32.const 16)) (v128.load (i32.const 32)))))
  (func (export "swizzle") (call $run (i8x16.relaxed_swizzle (v128.load (i32.const 0)) (v128.load (i32.const 16)))))
  (func (export "trunc_s") (call $run (i32x4.relaxed_trunc_f32x4_s (v128.load (i32.const 0)))))
  (func (export "trunc_u") (call $run (i32x4.relaxed_trunc_f32x4_u (v128.load (i32.const 0)))))
  (func (export "trunc64_s") (call $run (i32x4.relaxed_trunc_f64x2_s_zero (v128.load (i32.const 0)))))
  (func (export "trunc64_u") (call $run (i32x4.relaxed_trunc_f64x2_u_zero (v128.load (i32.const 0)))))
  (func (export "laneselect") (call $run (i16x8.relaxed_laneselect (v128.load (i32.const 0)) (v128.load (i32.const 16)) (v128.load (i32.const 32)))))
  (func (export "min32") (call $run (f32x4.relaxed_min (v128.load (i32.const 0)) (v128.load (i32.const 16)))))
  (func (export "max64") (call $run (f64x2.relaxed_max (v128.load (i32.const 0)) (v128.load (i32.const 16)))))
  (func (export "q15") (call $run (i16x8.relaxed_q15mulr_s (v128.load (i32.const 0)) (v128.load (i32.const 16)))))
  (func (export "dot16") (call $run (i16x8.dot_i8x16_i7x16_s (v128.load (i32.const 0)) (v128.load (i32.const 16)))))
  (func (export "dot32") (call $run (i32x4.dot_i8x16_i7x16_add_s (v128.load (i32.const 0)) (v128.load (i32.const 16)) (v128.load (i32.const 32)))))
)
)";

using V = std::array<uint8_t, 16>;

template <typename T>
V lanes(std::initializer_list<T> values) {
  V v{};
  std::memcpy(v.data(), std::data(values), std::min<size_t>(16, values.size() * sizeof(T)));
  return v;
}

struct Case {
  const char* func;
  V a, b, c;
};

// Inputs where the allowed results differ: products that round differently fused and unfused,
// NaN and out-of-range truncations, swizzle indices past 15, mask lanes that are not all-ones or
// all-zeros, min/max of NaN and signed zeros, q15 of -1 * -1, dot lanes of 128 and more.
std::vector<Case> cases() {
  const float e = 1.0f + 0x1p-23f;   // (1 + 2^-23)^2 - 1 - 2^-22 = 2^-46: lost unfused, kept fused
  const double d = 1.0 + 0x1p-52;
  return {
      {"madd32", lanes<float>({e, 3.0f, 1e30f, -0.0f}), lanes<float>({e, 1.0f / 3.0f, 1e30f, 0.0f}),
       lanes<float>({-1.0f - 0x1p-22f, -1.0f, -1e38f, 0.0f})},
      {"nmadd32", lanes<float>({e, 3.0f, 1e30f, 0.0f}), lanes<float>({e, 1.0f / 3.0f, 1e30f, 0.0f}),
       lanes<float>({1.0f + 0x1p-22f, 1.0f, 1e38f, -0.0f})},
      {"madd64", lanes<double>({d, 3.0}), lanes<double>({d, 1.0 / 3.0}), lanes<double>({-1.0 - 0x1p-51, -1.0})},
      {"nmadd64", lanes<double>({d, 3.0}), lanes<double>({d, 1.0 / 3.0}), lanes<double>({1.0 + 0x1p-51, 1.0})},
      {"swizzle", lanes<uint8_t>({10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}),
       lanes<uint8_t>({0, 15, 16, 17, 31, 32, 127, 128, 129, 200, 255, 1, 2, 3, 240, 112}), {}},
      {"trunc_s", lanes<float>({NAN, 3e9f, -3e9f, -1.5f}), {}, {}},
      {"trunc_u", lanes<float>({NAN, 5e9f, -1.5f, 3e9f}), {}, {}},
      {"trunc64_s", lanes<double>({NAN, -3e9}), {}, {}},
      {"trunc64_u", lanes<double>({5e9, -1.0}), {}, {}},
      {"laneselect", lanes<uint16_t>({0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777, 0x8888}),
       lanes<uint16_t>({0xaaaa, 0xbbbb, 0xcccc, 0xdddd, 0xeeee, 0xffff, 0x0000, 0x1234}),
       lanes<uint16_t>({0xffff, 0x0000, 0x8000, 0x7fff, 0x00ff, 0xff00, 0x0f0f, 0x0001})},
      {"min32", lanes<float>({NAN, 0.0f, -0.0f, 1.0f}), lanes<float>({1.0f, -0.0f, 0.0f, NAN}), {}},
      {"max64", lanes<double>({-0.0, NAN}), lanes<double>({0.0, 1.0}), {}},
      {"q15", lanes<int16_t>({-32768, -32768, 32767, 16384, 0, 0, 0, 0}),
       lanes<int16_t>({-32768, 32767, 32767, 16384, 0, 0, 0, 0}), {}},
      {"dot16", lanes<int8_t>({-128, -128, 127, 127, -1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0}),
       lanes<uint8_t>({129, 129, 200, 255, 128, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0}), {}},
      {"dot32", lanes<int8_t>({-128, -128, -128, -128, 127, 127, 127, 127, 1, 2, 3, 4, 0, 0, 0, 0}),
       lanes<uint8_t>({129, 129, 129, 129, 255, 255, 255, 255, 1, 1, 1, 1, 0, 0, 0, 0}),
       lanes<int32_t>({1, 2, 3, 4})},
  };
}

std::vector<V> run_all(const std::string& cpu, int opt, BoundsChecks bounds) {
  Config c;
  c.target_cpu = cpu;
  c.opt_level = opt;
  c.bounds = bounds;
  Engine engine(c);
  Store store(engine);
  Linker linker(store);
  auto m = compile_module(engine, test::wat(kRelaxed, {"--enable-relaxed-simd"}));
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  if (!m.ok()) return {};
  auto inst = linker.instantiate(*m);
  EXPECT_TRUE(inst.ok());
  auto mem = inst->memory();
  std::vector<V> out;
  for (const Case& k : cases()) {
    EXPECT_TRUE(mem->write(0, k.a).ok());
    EXPECT_TRUE(mem->write(16, k.b).ok());
    EXPECT_TRUE(mem->write(32, k.c).ok());
    auto f = inst->func<void()>(k.func);
    EXPECT_TRUE(f.ok()) << k.func;
    EXPECT_TRUE((*f)().ok()) << k.func;
    V r{};
    EXPECT_TRUE(mem->read(48, r).ok());
    out.push_back(r);
  }
  return out;
}

TEST(RelaxedSimd, SameResultsAtEveryCpuAndOptimisationLevel) {
  const std::vector<V> reference = run_all("x86-64-v2", 0, BoundsChecks::GuardPages);
  ASSERT_EQ(reference.size(), cases().size());
  std::vector<std::string> cpus = {"x86-64-v2"};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) cpus.push_back("x86-64-v3");
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq")) {
    cpus.push_back("x86-64-v4");
  }
  for (const std::string& cpu : cpus) {
    for (int opt : {0, 2}) {
      for (BoundsChecks bounds : {BoundsChecks::GuardPages, BoundsChecks::Explicit}) {
        const std::vector<V> got = run_all(cpu, opt, bounds);
        ASSERT_EQ(got.size(), reference.size());
        for (size_t i = 0; i < got.size(); ++i) {
          EXPECT_EQ(got[i], reference[i]) << cases()[i].func << " differs at " << cpu << " -O" << opt;
        }
      }
    }
  }
}

template <typename T>
T lane(const V& v, int i) {
  T x;
  std::memcpy(&x, v.data() + i * sizeof(T), sizeof(T));
  return x;
}

// The documented choices (docs/SIMD.md), checked where they differ from the alternatives.
TEST(RelaxedSimd, DocumentedChoices) {
  const std::vector<V> r = run_all("x86-64-v2", 2, BoundsChecks::GuardPages);
  ASSERT_EQ(r.size(), cases().size());
  // madd unfused: e*e rounds to 1 + 2^-22, so the 2^-46 a fused madd keeps is lost.
  EXPECT_EQ(lane<float>(r[0], 0), 0.0f);
  EXPECT_EQ(lane<float>(r[1], 0), 0.0f);
  EXPECT_EQ(lane<double>(r[2], 0), 0.0);
  EXPECT_EQ(lane<double>(r[3], 0), 0.0);
  EXPECT_TRUE(std::isinf(lane<float>(r[0], 2)));  // 1e30 * 1e30 overflows before the add
  // swizzle: indices past 15 give 0.
  EXPECT_EQ(r[4], (lanes<uint8_t>({10, 25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11, 12, 13, 0, 0})));
  // truncation saturates, NaN gives 0.
  EXPECT_EQ(r[5], (lanes<int32_t>({0, INT32_MAX, INT32_MIN, -1})));
  EXPECT_EQ(r[6], (lanes<uint32_t>({0, UINT32_MAX, 0, 3000000000u})));
  EXPECT_EQ(r[7], (lanes<int32_t>({0, INT32_MIN, 0, 0})));
  EXPECT_EQ(r[8], (lanes<uint32_t>({UINT32_MAX, 0, 0, 0})));
  // laneselect is bitselect, bit by bit.
  EXPECT_EQ(lane<uint16_t>(r[9], 2), (0x3333 & 0x8000) | (0xcccc & 0x7fff));
  // min/max propagate NaN and order -0 below +0.
  EXPECT_TRUE(std::isnan(lane<float>(r[10], 0)));
  EXPECT_TRUE(std::signbit(lane<float>(r[10], 1)));
  EXPECT_TRUE(std::signbit(lane<float>(r[10], 2)));
  EXPECT_TRUE(std::isnan(lane<float>(r[10], 3)));
  EXPECT_FALSE(std::signbit(lane<double>(r[11], 0)));
  EXPECT_TRUE(std::isnan(lane<double>(r[11], 1)));
  // q15mulr saturates -1 * -1.
  EXPECT_EQ(lane<int16_t>(r[12], 0), 32767);
  // dot: the second operand is signed; sums wrap.
  EXPECT_EQ(lane<int16_t>(r[13], 0), static_cast<int16_t>(-128 * -127 * 2));
  EXPECT_EQ(lane<int16_t>(r[13], 1), static_cast<int16_t>(127 * -56 + 127 * -1));
  EXPECT_EQ(lane<int16_t>(r[13], 2), static_cast<int16_t>(-1 * -128 + 2 * 1));
  EXPECT_EQ(lane<int32_t>(r[14], 0), -128 * -127 * 4 + 1);
  EXPECT_EQ(lane<int32_t>(r[14], 1), 127 * -1 * 4 + 2);
  EXPECT_EQ(lane<int32_t>(r[14], 2), 1 + 2 + 3 + 4 + 3);
}

}  // namespace
}  // namespace atl

// Loops clang unrolled for wasm32, rolled back up before the vectorizer
// (src/compiler/loop_reroll.cpp): every function runs at -O0 (never rolled) and at -O2/-O3 in
// both bounds modes, and results and memory must agree. The near misses must stay as they are.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "../wat.h"
#include "modes.h"
#include "atoll/atoll.h"

namespace atl {
namespace {

// Each loop counts $c from -4 * 4 * $n up to 0 in steps of 16 (clang's wasm32 form) and reads
// four consecutive i32 elements at $c + K, K + 4, K + 8, K + 12: four copies of one body.
const char* kLoops = R"(
(module
  (memory (export "memory") 1 1)
  ;; bench/kernels/reduce.c's loop: a sum of squares in i64 and a signed maximum, chained
  ;; through the copies from the last element to the first, as clang emits it.
  (func (export "squares_max") (param $n i32) (param $k i32) (result i64)
    (local $c i32) (local $s i64) (local $m i32) (local $a i32) (local $b i32) (local $d i32) (local $e i32)
    (local.set $m (i32.const 0x80000000))
    (local.set $c (i32.mul (local.get $n) (i32.const -16)))
    (loop $l
      (local.set $a (i32.load (i32.add (local.get $c) (i32.add (local.get $k) (i32.const 12)))))
      (local.set $b (i32.load (i32.add (local.get $c) (i32.add (local.get $k) (i32.const 8)))))
      (local.set $d (i32.load (i32.add (local.get $c) (i32.add (local.get $k) (i32.const 4)))))
      (local.set $e (i32.load (i32.add (local.get $c) (local.get $k))))
      (local.set $m (select (local.get $m) (local.get $a) (i32.gt_s (local.get $m) (local.get $a))))
      (local.set $m (select (local.get $m) (local.get $b) (i32.gt_s (local.get $m) (local.get $b))))
      (local.set $m (select (local.get $m) (local.get $d) (i32.gt_s (local.get $m) (local.get $d))))
      (local.set $m (select (local.get $m) (local.get $e) (i32.gt_s (local.get $m) (local.get $e))))
      (local.set $s (i64.add (local.get $s) (i64.add (i64.add
        (i64.mul (i64.extend_i32_s (local.get $e)) (i64.extend_i32_s (local.get $e)))
        (i64.mul (i64.extend_i32_s (local.get $d)) (i64.extend_i32_s (local.get $d))))
        (i64.add
        (i64.mul (i64.extend_i32_s (local.get $b)) (i64.extend_i32_s (local.get $b)))
        (i64.mul (i64.extend_i32_s (local.get $a)) (i64.extend_i32_s (local.get $a)))))))
      (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const 16)))))
    (i64.xor (local.get $s) (i64.extend_i32_u (local.get $m))))
  ;; Two copies of a dot product of two arrays (two streams), with xor, unsigned min and a
  ;; wrapping product as further reductions.
  (func (export "two_streams") (param $n i32) (result i32)
    (local $c i32) (local $dot i32) (local $x i32) (local $u i32) (local $p i32)
    (local.set $u (i32.const -1))
    (local.set $p (i32.const 1))
    (local.set $c (i32.mul (local.get $n) (i32.const -8)))
    (loop $l
      (local.set $dot (i32.add (local.get $dot) (i32.mul
        (i32.load (i32.add (local.get $c) (i32.const 20000)))
        (i32.load (i32.add (local.get $c) (i32.const 40000))))))
      (local.set $dot (i32.add (local.get $dot) (i32.mul
        (i32.load (i32.add (local.get $c) (i32.const 20004)))
        (i32.load (i32.add (local.get $c) (i32.const 40004))))))
      (local.set $x (i32.xor (i32.xor (local.get $x)
        (i32.load16_u (i32.add (local.get $c) (i32.const 20000))))
        (i32.load16_u (i32.add (local.get $c) (i32.const 20004)))))
      (local.set $u (select (local.get $u) (i32.load (i32.add (local.get $c) (i32.const 40000)))
        (i32.lt_u (local.get $u) (i32.load (i32.add (local.get $c) (i32.const 40000))))))
      (local.set $u (select (local.get $u) (i32.load (i32.add (local.get $c) (i32.const 40004)))
        (i32.lt_u (local.get $u) (i32.load (i32.add (local.get $c) (i32.const 40004))))))
      (local.set $p (i32.mul (i32.mul (local.get $p)
        (i32.or (i32.load (i32.add (local.get $c) (i32.const 20000))) (i32.const 1)))
        (i32.or (i32.load (i32.add (local.get $c) (i32.const 20004))) (i32.const 1))))
      (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const 8)))))
    (i32.add (i32.add (local.get $dot) (local.get $x)) (i32.add (local.get $u) (local.get $p))))
  ;; Near miss: the third copy adds 1 to its element. Rolling would drop it.
  (func (export "not_isomorphic") (param $n i32) (result i32)
    (local $c i32) (local $s i32)
    (local.set $c (i32.mul (local.get $n) (i32.const -16)))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.add (i32.add
        (i32.load (i32.add (local.get $c) (i32.const 30000)))
        (i32.load (i32.add (local.get $c) (i32.const 30004))))
        (i32.add
        (i32.add (i32.load (i32.add (local.get $c) (i32.const 30008))) (i32.const 1))
        (i32.load (i32.add (local.get $c) (i32.const 30012)))))))
      (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const 16)))))
    (local.get $s))
  ;; Near miss: the copies are 8 bytes apart, but the loop steps by 32 (a gap between blocks).
  (func (export "gapped") (param $n i32) (result i32)
    (local $c i32) (local $s i32)
    (local.set $c (i32.mul (local.get $n) (i32.const -32)))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.add
        (i32.load (i32.add (local.get $c) (i32.const 30000)))
        (i32.load (i32.add (local.get $c) (i32.const 30008))))))
      (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const 32)))))
    (local.get $s))
  ;; Near miss: the last element read is returned too, so the copies are seen after the loop.
  (func (export "last_seen") (param $n i32) (result i32)
    (local $c i32) (local $s i32) (local $last i32)
    (local.set $c (i32.mul (local.get $n) (i32.const -8)))
    (loop $l
      (local.set $last (i32.load (i32.add (local.get $c) (i32.const 30004))))
      (local.set $s (i32.add (i32.add (local.get $s)
        (i32.load (i32.add (local.get $c) (i32.const 30000)))) (local.get $last)))
      (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const 8)))))
    (i32.add (local.get $s) (i32.mul (local.get $last) (i32.const 1000))))
  ;; Near miss: each copy also writes, so the loop has stores.
  (func (export "with_stores") (param $n i32) (result i32)
    (local $c i32) (local $s i32)
    (local.set $c (i32.mul (local.get $n) (i32.const -8)))
    (loop $l
      (local.set $s (i32.add (i32.add (local.get $s)
        (i32.load (i32.add (local.get $c) (i32.const 30000))))
        (i32.load (i32.add (local.get $c) (i32.const 30004)))))
      (i32.store (i32.add (local.get $c) (i32.const 30004)) (local.get $s))
      (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const 8)))))
    (local.get $s))
  ;; Near miss: the copies feed a float sum, which is not associative.
  (func (export "float_sum") (param $n i32) (result f32)
    (local $c i32) (local $s f32)
    (local.set $c (i32.mul (local.get $n) (i32.const -8)))
    (loop $l
      (local.set $s (f32.add (f32.add (local.get $s)
        (f32.convert_i32_s (i32.load (i32.add (local.get $c) (i32.const 30000)))))
        (f32.convert_i32_s (i32.load (i32.add (local.get $c) (i32.const 30004))))))
      (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const 8)))))
    (local.get $s))
)
)";

// Memory filled with a pattern that has negative and large elements, from `seed`.
std::function<void(std::span<uint8_t>)> pattern(uint32_t seed) {
  return [seed](std::span<uint8_t> bytes) {
    uint32_t x = seed;
    for (uint8_t& b : bytes) {
      x = x * 1103515245u + 12345u;
      b = static_cast<uint8_t>(x >> 23);
    }
  };
}

template <typename Call>
test::Outcome<uint64_t> agree(const std::string& what, Call call) {
  static const std::vector<uint8_t> wasm = test::wat(kLoops);
  return test::agree_across_modes<uint64_t>(what, wasm, {2, 3}, pattern(12345), call);
}

template <typename R, typename... Args>
auto call(const char* name, Args... args) {
  return [=](Instance& i) -> Result<uint64_t> {
    auto f = i.func<R(Args...)>(name);
    if (!f.ok()) return f.take_error();
    auto r = (*f)(args...);
    if (!r.ok()) return r.take_error();
    if constexpr (std::is_same_v<R, float>) {
      uint32_t bits;
      std::memcpy(&bits, &*r, 4);
      return uint64_t{bits};
    } else {
      return static_cast<uint64_t>(*r);
    }
  };
}

TEST(LoopReroll, UnrolledReductionsGiveTheSameResults) {
  // 1000 groups of four elements, bytes 16 to 16032.
  const auto o = agree("squares and maximum", call<int64_t>("squares_max", 1000, 16 + 16000));
  EXPECT_FALSE(o.trapped);
  EXPECT_NE(o.value, 0u);
  EXPECT_FALSE(agree("one group", call<int64_t>("squares_max", 1, 100)).trapped);
  EXPECT_FALSE(agree("two streams", call<int32_t>("two_streams", 2000)).trapped);
  EXPECT_FALSE(agree("two streams, one group", call<int32_t>("two_streams", 1)).trapped);
}

TEST(LoopReroll, UnrolledReductionsLeavingTheMemoryStillTrap) {
  // The loop reads from k - 16n up to k + 15: with k = 64 KiB + 160 its last ten groups lie
  // past the memory, so it is not versioned in bounds and traps.
  EXPECT_TRUE(agree("past the end", call<int64_t>("squares_max", 1000, 65536 + 160)).trapped);
  EXPECT_FALSE(agree("just inside", call<int64_t>("squares_max", 1000, 65536 - 16)).trapped);
}

TEST(LoopReroll, NearMissesStayAsTheyAre) {
  EXPECT_FALSE(agree("not isomorphic", call<int32_t>("not_isomorphic", 1000)).trapped);
  EXPECT_FALSE(agree("gapped", call<int32_t>("gapped", 500)).trapped);
  EXPECT_FALSE(agree("last seen", call<int32_t>("last_seen", 2000)).trapped);
  EXPECT_FALSE(agree("with stores", call<int32_t>("with_stores", 2000)).trapped);
  EXPECT_FALSE(agree("float sum", call<float>("float_sum", 2000)).trapped);
}


// Random unrolled reductions, as clang would write them and with near misses: K copies of a
// random expression over one or two streams of elements, folded into one to three integer
// reductions in a random order; in about a third of the functions one copy differs (another
// constant, operation or element), which must not be rolled. Each export returns the xor of
// its reductions.
class RandomLoops {
 public:
  explicit RandomLoops(uint32_t seed) : rng_(seed) {}

  std::string module(int functions) {
    std::ostringstream m;
    m << "(module (memory (export \"memory\") 1 1)\n";
    for (int f = 0; f < functions; ++f) m << function(f);
    m << ")\n";
    return m.str();
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }

  struct Shape {
    int esize = 4;          // bytes per element
    const char* load = "";  // the load instruction
    bool wide = false;      // work in i64
    int copies = 4;
    int step = 16;          // bytes per iteration: copies * esize
    int bases[2] = {0, 0};
    int streams = 1;
  };

  // One element of stream `s` in copy `j`, as the work type.
  std::string element(const Shape& sh, int s, int j) const {
    std::ostringstream e;
    e << "(" << sh.load << " (i32.add (local.get $c) (i32.const " << sh.bases[s] + j * sh.esize << ")))";
    if (sh.wide && sh.esize < 8) return "(i64.extend_i32_s " + e.str() + ")";
    return e.str();
  }

  // The per-copy expression: template `t` over the copy's elements x (and y), constant `k`.
  std::string expression(const Shape& sh, int t, int j, int k, int shift) const {
    const std::string ty = sh.wide ? "i64" : "i32";
    const std::string x = element(sh, 0, j + shift), y = element(sh, sh.streams - 1, j);
    const std::string c = "(" + ty + ".const " + std::to_string(k) + ")";
    switch (t) {
      case 0: return x;
      case 1: return "(" + ty + ".mul " + x + " " + x + ")";
      case 2: return "(" + ty + ".add " + x + " " + c + ")";
      case 3: return "(" + ty + ".xor " + x + " " + y + ")";
      case 4: return "(" + ty + ".mul " + x + " " + y + ")";
      case 5: return "(" + ty + ".mul (" + ty + ".add " + x + " " + y + ") " + c + ")";
      default: return "(select " + x + " " + y + " (" + ty + ".lt_s " + x + " " + y + "))";
    }
  }

  std::string combine(const std::string& ty, int op, const std::string& a, const std::string& b) const {
    static const char* const kBinary[] = {"add", "mul", "xor", "and", "or"};
    if (op < 5) return "(" + ty + "." + kBinary[op] + " " + a + " " + b + ")";
    static const char* const kCompare[] = {"lt_s", "gt_s", "lt_u", "gt_u"};  // min_s, max_s, min_u, max_u
    return "(select " + a + " " + b + " (" + ty + "." + kCompare[op - 5] + " " + a + " " + b + "))";
  }

  std::string function(int index) {
    Shape sh;
    static const int kSizes[] = {1, 2, 4, 8};
    static const char* const kLoads[] = {"i32.load8_s", "i32.load16_u", "i32.load", "i64.load"};
    const int size = pick(4);
    sh.esize = kSizes[size];
    sh.load = kLoads[size];
    sh.wide = sh.esize == 8 || pick(3) == 0;
    static const int kCopies[] = {2, 3, 4, 8};
    sh.copies = kCopies[pick(4)];
    sh.step = sh.copies * sh.esize;
    const int n = 1 + pick(150);
    sh.streams = 1 + pick(2);
    for (int s = 0; s < 2; ++s) sh.bases[s] = n * sh.step + 64 + pick(20000);
    const std::string ty = sh.wide ? "i64" : "i32";
    const int reductions = 1 + pick(3);
    const bool near_miss = pick(3) == 0;
    const int odd_copy = pick(sh.copies), odd_reduction = pick(reductions);
    std::ostringstream f;
    f << "(func (export \"f" << index << "\") (result i64) (local $c i32)";
    for (int r = 0; r < reductions; ++r) f << " (local $r" << r << " " << ty << ")";
    f << "\n";
    for (int r = 0; r < reductions; ++r) {
      f << "(local.set $r" << r << " (" << ty << ".const " << static_cast<int>(rng_() % 1000) - 500 << "))\n";
    }
    f << "(local.set $c (i32.const " << -n * sh.step << "))\n(loop $l\n";
    for (int r = 0; r < reductions; ++r) {
      const int op = pick(9), t = pick(7), k = pick(100) - 50, order = pick(3);
      std::vector<std::string> parts;
      for (int j = 0; j < sh.copies; ++j) {
        int tj = t, kj = k, shift = 0;
        if (near_miss && r == odd_reduction && j == odd_copy) {
          switch (pick(3)) {
            case 0: kj = k + 1 + pick(5); tj = 2; break;   // another constant (template 2 uses it)
            case 1: tj = (t + 1) % 7; break;               // another operation
            default: shift = sh.copies; break;              // the element of the next iteration
          }
          if (!(tj != t || kj != k || shift)) shift = 1;
        }
        if (kj != k && t != 2 && tj == 2) kj = k + 1;
        parts.push_back(expression(sh, tj, j, kj, shift));
      }
      std::string acc = "(local.get $r" + std::to_string(r) + ")";
      if (order == 0) {
        for (const std::string& p : parts) acc = combine(ty, op, acc, p);
      } else if (order == 1) {
        for (size_t j = parts.size(); j-- > 0;) acc = combine(ty, op, acc, parts[j]);
      } else {
        std::vector<std::string> level = parts;
        while (level.size() > 1) {
          std::vector<std::string> next;
          for (size_t j = 0; j + 1 < level.size(); j += 2) next.push_back(combine(ty, op, level[j], level[j + 1]));
          if (level.size() % 2) next.push_back(level.back());
          level = next;
        }
        acc = combine(ty, op, acc, level.front());
      }
      f << "(local.set $r" << r << " " << acc << ")\n";
    }
    f << "(br_if $l (local.tee $c (i32.add (local.get $c) (i32.const " << sh.step << ")))))\n";
    std::string result = "(i64.const 0)";
    for (int r = 0; r < reductions; ++r) {
      const std::string v = "(local.get $r" + std::to_string(r) + ")";
      result = "(i64.xor " + result + " " + (sh.wide ? v : "(i64.extend_i32_u " + v + ")") + ")";
    }
    f << result << ")\n";
    return f.str();
  }

  std::mt19937 rng_;
};

// About a third of each module's functions are rolled (-pass-remarks=atoll-reroll through
// atoll_fuzz_exec); the rest are near misses or shapes the pass does not take.
TEST(LoopReroll, RandomUnrolledReductionsAgreeWithTheUnoptimisedCode) {
  constexpr int kFunctions = 40;
  for (uint32_t seed : {1u, 2u, 3u}) {
    const std::string text = RandomLoops(seed).module(kFunctions);
    const std::vector<uint8_t> wasm = test::wat(text);
    ASSERT_FALSE(wasm.empty()) << "seed " << seed << ": wat2wasm refused:\n" << text;
    auto all = [](Instance& inst) -> Result<std::vector<int64_t>> {
      std::vector<int64_t> out;
      for (int f = 0; f < kFunctions; ++f) {
        auto r = (*inst.func<int64_t()>("f" + std::to_string(f)))();
        if (!r.ok()) return r.take_error();
        out.push_back(*r);
      }
      return out;
    };
    const auto reference = test::run_in_mode<std::vector<int64_t>>(wasm, 0, BoundsChecks::Explicit, pattern(seed), all);
    ASSERT_FALSE(reference.trapped);
    for (BoundsChecks bounds : {BoundsChecks::GuardPages, BoundsChecks::Explicit}) {
      const auto got = test::run_in_mode<std::vector<int64_t>>(wasm, 2, bounds, pattern(seed), all);
      ASSERT_EQ(got.value.size(), reference.value.size());
      for (int f = 0; f < kFunctions; ++f) {
        EXPECT_EQ(got.value[f], reference.value[f]) << "seed " << seed << " f" << f
                                                    << (bounds == BoundsChecks::Explicit ? " explicit" : " guard");
      }
    }
  }
}

}  // namespace
}  // namespace atl

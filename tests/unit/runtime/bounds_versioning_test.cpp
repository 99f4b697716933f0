// Loops versioned on a range check (src/compiler/bounds_versioning.cpp): where every access is
// in bounds the unchecked copy runs; otherwise the checked loop traps at the same access, after
// the same stores, as without versioning. Every case runs at -O0 (no versioning) and -O2, in
// both bounds modes, and the results and memory must agree.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "../wat.h"
#include "modes.h"
#include "atoll/atoll.h"

namespace atl {
namespace {

const char* kLoops = R"(
(module
  (memory (export "memory") 1 1)
  ;; dst[i] = src[i] + 1 for i in [0, n), i32 elements: the vectorizer's kind of loop.
  (func (export "copy_inc") (param $dst i32) (param $src i32) (param $n i32)
    (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
        (i32.add (i32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))
  ;; sum of base[i] for i in [from, to), i32 elements at base + 4i with offset=8: the wasm
  ;; address base + 4i may wrap past 2^32 into the memory.
  (func (export "sum") (param $base i32) (param $from i32) (param $to i32) (result i32)
    (local $i i32) (local $s i32)
    (local.set $i (local.get $from))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $to)))
      (local.set $s (i32.add (local.get $s)
        (i32.load offset=8 (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $s))
  ;; A descending loop writing bytes: the extreme address is the first one.
  (func (export "fill_down") (param $end i32) (param $n i32) (param $v i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (i32.store8 (i32.add (local.get $end) (local.get $n)) (local.get $v))
      (br $l))))
  ;; clang's wasm32 counting loops: an i32 counter from -4000 up to 0 in steps of 4, elements at
  ;; counter + K (address_flags.cpp proves counter + K does not overflow and, for K >= 4000, is
  ;; never negative). K = 8000: in bounds; 65636: the last 25 elements are past 64 KiB; 2000:
  ;; the first addresses wrap to nearly 4 GiB.
  (func (export "count_in") (result i32)
    (local $c i32) (local $s i32)
    (local.set $c (i32.const -4000))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (i32.add (local.get $c) (i32.const 8000)))))
      (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const 4)))))
    (local.get $s))
  (func (export "count_past") (result i32)
    (local $c i32) (local $s i32)
    (local.set $c (i32.const -4000))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (i32.add (local.get $c) (i32.const 65636)))))
      (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const 4)))))
    (local.get $s))
  (func (export "count_wrap") (result i32)
    (local $c i32) (local $s i32)
    (local.set $c (i32.const -4000))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (i32.add (local.get $c) (i32.const 2000)))))
      (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const 4)))))
    (local.get $s))
  ;; Tries to grow the memory every 8th iteration while storing at a stride of $step: the size
  ;; the checks compare with is reloaded after each grow, so in the loop it is a cycle of phis
  ;; (guard_elision.cpp follows them).
  (func (export "grow_store") (param $step i32) (param $n i32) (result i32)
    (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (if (i32.eqz (i32.and (local.get $i) (i32.const 7)))
        (then (drop (memory.grow (i32.const 1)))))
      (i32.store (i32.mul (local.get $i) (local.get $step)) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i))
)
)";

using Outcome = test::Outcome<int64_t>;

// The same call in every mode: -O2 (versioned) must match -O0 (not), in both bounds modes; the
// memory filled with a pattern.
template <typename Call>
Outcome agree(const std::string& what, Call call) {
  static const std::vector<uint8_t> wasm = test::wat(kLoops);
  auto fill = [](std::span<uint8_t> bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  };
  return test::agree_across_modes<int64_t>(what, wasm, {0, 2, 3}, fill, call);
}

auto copy_inc(int32_t dst, int32_t src, int32_t n) {
  return [=](Instance& i) -> Result<int64_t> {
    auto f = i.func<void(int32_t, int32_t, int32_t)>("copy_inc");
    auto r = (*f)(dst, src, n);
    if (!r.ok()) return r.take_error();
    return int64_t{0};
  };
}

auto sum(int32_t base, int32_t from, int32_t to) {
  return [=](Instance& i) -> Result<int64_t> {
    auto r = (*i.func<int32_t(int32_t, int32_t, int32_t)>("sum"))(base, from, to);
    if (!r.ok()) return r.take_error();
    return int64_t{*r};
  };
}

auto fill_down(int32_t end, int32_t n, int32_t v) {
  return [=](Instance& i) -> Result<int64_t> {
    auto r = (*i.func<void(int32_t, int32_t, int32_t)>("fill_down"))(end, n, v);
    if (!r.ok()) return r.take_error();
    return int64_t{0};
  };
}

TEST(BoundsVersioning, InBoundsLoopsComputeWhatTheCheckedOnesDo) {
  Outcome o = agree("copy in bounds", copy_inc(32768, 0, 4096));
  EXPECT_FALSE(o.trapped);
  int32_t first;
  std::memcpy(&first, o.memory.data() + 32768, 4);
  EXPECT_EQ(first, 0x1811'0A03 + 1);  // bytes 3, 10, 17, 24 of the pattern, plus one
  EXPECT_FALSE(agree("overlapping copy", copy_inc(4, 0, 1000)).trapped);
  EXPECT_FALSE(agree("sum", sum(0, 0, 16382)).trapped);
  EXPECT_FALSE(agree("descending fill", fill_down(1000, 60000, 9)).trapped);
  EXPECT_FALSE(agree("empty loop", copy_inc(70000, 70000, 0)).trapped);
}

TEST(BoundsVersioning, ALoopThatLeavesTheMemoryTrapsAfterTheSameStores) {
  // The destination runs past 64 KiB after 100 elements: elements 0..99 are written first.
  Outcome o = agree("copy past the end", copy_inc(65536 - 400, 0, 4096));
  EXPECT_TRUE(o.trapped);
  int32_t last;
  std::memcpy(&last, o.memory.data() + 65536 - 4, 4);
  int32_t want;
  std::memcpy(&want, o.memory.data() + 99 * 4, 4);  // the source is below, untouched
  EXPECT_EQ(last, want + 1);
  // The source leaves the memory first (after 50 elements).
  EXPECT_TRUE(agree("source past the end", copy_inc(0, 65536 - 200, 4096)).trapped);
  // Loops of more elements than the address space; both ends beyond the memory.
  EXPECT_TRUE(agree("huge count", copy_inc(0, 4, -1)).trapped);
  EXPECT_TRUE(agree("descending past the start", fill_down(-16, 1000, 5)).trapped);
  // The last element straddles the end (4 bytes at 65534).
  EXPECT_TRUE(agree("straddling", sum(65534 - 8 - 4 * 9, 0, 10)).trapped);
  EXPECT_FALSE(agree("just inside", sum(65532 - 8 - 4 * 9, 0, 10)).trapped);
}

TEST(BoundsVersioning, ChecksAgainstASizeReloadedInTheLoop) {
  auto grow_store = [](int32_t step, int32_t n) {
    return [=](Instance& i) -> Result<int64_t> {
      auto r = (*i.func<int32_t(int32_t, int32_t)>("grow_store"))(step, n);
      if (!r.ok()) return r.take_error();
      return int64_t{*r};
    };
  };
  EXPECT_EQ(agree("in bounds", grow_store(4, 1000)).value, 1000);
  // At a stride of 4 KiB the 16th store is the first past the (ungrowable) 64 KiB.
  Outcome o = agree("past the end", grow_store(4096, 100));
  EXPECT_TRUE(o.trapped);
  int32_t last;
  std::memcpy(&last, o.memory.data() + 15 * 4096, 4);
  EXPECT_EQ(last, 15);
}

TEST(BoundsVersioning, CountingLoopsUpToZero) {
  auto call = [](const char* name) {
    return [=](Instance& i) -> Result<int64_t> {
      auto r = (*i.func<int32_t()>(name))();
      if (!r.ok()) return r.take_error();
      return int64_t{*r};
    };
  };
  EXPECT_FALSE(agree("in bounds", call("count_in")).trapped);
  EXPECT_TRUE(agree("past the end", call("count_past")).trapped);
  EXPECT_TRUE(agree("wrapping", call("count_wrap")).trapped);
}

TEST(BoundsVersioning, WasmAddressesThatWrapPast4GiB) {
  // base = -8: from i = 2 on, base + 4i wraps to 4i - 8, plus offset 8 (added after the
  // wrap): element i is at 4i, in bounds.
  EXPECT_FALSE(agree("wrapping into the memory", sum(-8, 2, 1000)).trapped);
  // From i = 0 the wasm address is 2^32 - 8, and the effective address 2^32: out of bounds.
  EXPECT_TRUE(agree("the offset does not wrap", sum(-8, 0, 1000)).trapped);
  // A wrap in the middle of the loop passes through the top of the address space first.
  EXPECT_TRUE(agree("wrapping inside the loop", sum(0, (1 << 30) - 2, (1 << 30) + 1000)).trapped);
}

}  // namespace
}  // namespace atl

// Tail calls (WebAssembly 3.0): return_call and return_call_indirect reuse the caller's frame
// in every mode, while an ordinary call in tail position still takes a frame of its own (so
// runaway recursion is still the stack-exhaustion trap), and interruption still reaches loops
// made of tail calls.
#include <gtest/gtest.h>

#include <thread>

#include "atoll/atoll.h"
#include "../wat.h"

namespace atl {
namespace {

const char* kTail = R"(
(module
  (import "env" "host_add" (func $host_add (param i64 i64) (result i64)))
  (type $pred (func (param i64) (result i32)))
  (type $wide (func (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64)))
  (table $t 5 funcref)
  (elem (i32.const 0) $even $odd $wide)
  (elem (i32.const 4) $spin)
  ;; Mutual recursion: even -> odd by return_call, odd -> even through the table.
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (export "odd") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (return_call_indirect $t (type $pred) (i64.sub (local.get 0) (i64.const 1)) (i32.const 0)))))
  ;; A narrow function and a wide one (arguments on the machine stack) calling each other:
  ;; the frame is reused even when the callee needs more argument space than its caller got.
  (func $narrow (export "narrow") (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n)) (then (local.get $acc))
      (else (return_call $wide (local.get $n) (local.get $acc)
        (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5)
        (i64.const 6) (i64.const 7) (i64.const 8) (i64.const 9) (i64.const 10)))))
  (func $wide (param $n i64) (param $acc i64) (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
    ;; acc + (1 + ... + 10) weighted by position, so a misplaced argument shows in the result.
    (return_call $narrow (i64.sub (local.get $n) (i64.const 1))
      (i64.add (local.get $acc)
        (i64.add (i64.mul (local.get 2) (i64.const 1))
        (i64.add (i64.mul (local.get 3) (i64.const 2))
        (i64.add (i64.mul (local.get 4) (i64.const 3))
        (i64.add (i64.mul (local.get 5) (i64.const 4))
        (i64.add (i64.mul (local.get 6) (i64.const 5))
        (i64.add (i64.mul (local.get 7) (i64.const 6))
        (i64.add (i64.mul (local.get 8) (i64.const 7))
        (i64.add (i64.mul (local.get 9) (i64.const 8))
        (i64.add (i64.mul (local.get 10) (i64.const 9))
                 (i64.mul (local.get 11) (i64.const 10))))))))))))))
  ;; A tail call of a host function returns the host's result to this function's caller.
  (func (export "to_host") (param i64 i64) (result i64)
    (return_call $host_add (local.get 0) (local.get 1)))
  ;; The same recursion with a plain call in tail position must exhaust the stack.
  (func $plain (export "plain") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 0))
      (else (call $plain (i64.sub (local.get 0) (i64.const 1))))))
  ;; Never ends unless interrupted.
  (func $spin (export "spin") (param i64) (result i32)
    (return_call_indirect $t (type $pred) (i64.add (local.get 0) (i64.const 1)) (i32.const 4)))
  ;; return_call_indirect checks as call_indirect does.
  (func (export "indirect") (param i64 i32) (result i32)
    (return_call_indirect $t (type $pred) (local.get 0) (local.get 1)))
)
)";

constexpr int64_t kWeighted = 1 * 1 + 2 * 2 + 3 * 3 + 4 * 4 + 5 * 5 + 6 * 6 + 7 * 7 + 8 * 8 + 9 * 9 + 10 * 10;

struct Guest {
  explicit Guest(Config c) : engine(c), store(engine), linker(store) {
    linker.func("env", "host_add", [](int64_t a, int64_t b) { return a + b; });
    auto m = compile_module(engine, test::wat(kTail, {"--enable-tail-call"}));
    EXPECT_TRUE(m.ok()) << m.error().to_string();
    if (!m.ok()) return;
    auto i = linker.instantiate(*m);
    EXPECT_TRUE(i.ok()) << i.error().to_string();
    if (i.ok()) instance = *i;
  }
  Engine engine;
  Store store;
  Linker linker;
  Instance instance;
};

// A small guest stack, so that any frame left behind per iteration would exhaust it at once.
Config small_stack(int opt, BoundsChecks bounds) {
  Config c;
  c.opt_level = opt;
  c.bounds = bounds;
  c.max_wasm_stack = 64 << 10;
  return c;
}

TEST(TailCall, AHundredMillionMutualTailCallsRunInConstantStack) {
  for (BoundsChecks bounds : {BoundsChecks::GuardPages, BoundsChecks::Explicit}) {
    for (int opt : {0, 2}) {
      SCOPED_TRACE("-O" + std::to_string(opt) + (bounds == BoundsChecks::Explicit ? " explicit" : " guard"));
      Guest g(small_stack(opt, bounds));
      auto even = g.instance.func<int32_t(int64_t)>("even");
      ASSERT_TRUE(even.ok());
      auto r = (*even)(100'000'000);
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      EXPECT_EQ(*r, 1);
      EXPECT_EQ(*(*even)(100'000'001), 0);
    }
  }
}

TEST(TailCall, CalleesWithMoreStackArgumentsThanTheCallerReuseTheFrame) {
  for (int opt : {0, 2}) {
    SCOPED_TRACE("-O" + std::to_string(opt));
    Guest g(small_stack(opt, BoundsChecks::GuardPages));
    auto narrow = g.instance.func<int64_t(int64_t, int64_t)>("narrow");
    ASSERT_TRUE(narrow.ok());
    auto r = (*narrow)(1'000'000, 7);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, 7 + 1'000'000 * kWeighted);
  }
}

TEST(TailCall, ATailCallOfAHostFunctionReturnsItsResult) {
  Guest g(Config{});
  EXPECT_EQ(*(*g.instance.func<int64_t(int64_t, int64_t)>("to_host"))(40, 2), 42);
}

TEST(TailCall, APlainCallInTailPositionStillExhaustsTheStack) {
  for (int opt : {0, 2}) {
    SCOPED_TRACE("-O" + std::to_string(opt));
    Guest g(small_stack(opt, BoundsChecks::GuardPages));
    auto plain = g.instance.func<int64_t(int64_t)>("plain");
    EXPECT_EQ(*(*plain)(100), 0);
    auto r = (*plain)(100'000'000);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().trap(), TrapCode::StackOverflow) << r.error().to_string();
  }
}

TEST(TailCall, ReturnCallIndirectChecksTheElement) {
  Guest g(Config{});
  auto indirect = g.instance.func<int32_t(int64_t, int32_t)>("indirect");
  EXPECT_EQ(*(*indirect)(10, 0), 1);  // even(10)
  EXPECT_EQ(*(*indirect)(10, 1), 0);  // odd(10)
  auto expect_trap = [&](int32_t index, TrapCode code) {
    auto r = (*indirect)(10, index);
    ASSERT_FALSE(r.ok()) << "element " << index;
    EXPECT_EQ(r.error().trap(), code) << r.error().to_string();
  };
  expect_trap(2, TrapCode::IndirectCallTypeMismatch);  // $wide
  expect_trap(3, TrapCode::IndirectCallNull);
  expect_trap(5, TrapCode::IndirectCallOutOfBounds);
}

TEST(TailCall, FuelStopsALoopOfTailCalls) {
  Config c;
  c.consume_fuel = true;
  Guest g(c);
  g.store.set_fuel(1'000'000);
  auto r = (*g.instance.func<int32_t(int64_t)>("spin"))(0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().trap(), TrapCode::OutOfFuel);
}

TEST(TailCall, AnEpochDeadlineStopsALoopOfTailCalls) {
  Config c;
  c.epoch_interruption = true;
  Guest g(c);
  g.store.set_epoch_deadline(1);
  std::thread ticker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    g.engine.increment_epoch();
  });
  auto r = (*g.instance.func<int32_t(int64_t)>("spin"))(0);
  ticker.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().trap(), TrapCode::Interrupted);
}

TEST(TailCall, RefusedWhenTheProposalIsOff) {
  Config c;
  c.features.tail_call = false;
  Engine engine(c);
  auto m = compile_module(engine, test::wat(kTail, {"--enable-tail-call"}));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("tail calls are off"), std::string::npos) << m.error().to_string();
}

}  // namespace
}  // namespace atl

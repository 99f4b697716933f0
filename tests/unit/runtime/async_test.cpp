#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>

#include "atoll/atoll.h"
#include "../wat.h"
#include "runtime/engine_state.h"

namespace atl {
namespace {

const char* kGuest = R"(
(module
  (import "host" "wait" (func $wait (param i32) (result i32)))
  (memory 1)
  (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "three_waits") (result i32) (local $sum i32) (local $i i32)
    (loop $again
      (local.set $sum (i32.add (local.get $sum) (call $wait (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 3))))
    (local.get $sum))
  (func (export "wait_then_trap") (drop (call $wait (i32.const 9))) (unreachable)))
)";

struct Fixture {
  explicit Fixture(Config c = {}) : engine(c), store(engine), linker(store) {}
  Instance instantiate() {
    auto m = compile_module(engine, test::wat(kGuest));
    EXPECT_TRUE(m.ok()) << m.error().to_string();
    module = *m;
    auto i = linker.instantiate(module);
    EXPECT_TRUE(i.ok()) << i.error().to_string();
    return *i;
  }
  Engine engine;
  Store store;
  Linker linker;
  Module module;
};

// host.wait(x) suspends with x and returns x * 10 when resumed.
void define_wait(Fixture& f) {
  f.linker.func("host", "wait", [](Caller& caller, int32_t x) -> Result<int32_t> {
    auto r = caller.suspend(static_cast<uint64_t>(x));
    if (!r.ok()) return r.take_error();
    return x * 10;
  });
}

TEST(Async, SuspendAndResumeWithValues) {
  Fixture f;
  define_wait(f);
  Instance inst = f.instantiate();
  auto call = inst.func("three_waits")->call_async({});
  ASSERT_TRUE(call.ok()) << call.error().to_string();
  for (uint64_t i = 0; i < 3; ++i) {
    auto s = call->resume();
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    ASSERT_EQ(*s, AsyncCall::State::Suspended);
    EXPECT_EQ(call->suspended_value(), i);
  }
  auto s = call->resume();
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(*s, AsyncCall::State::Finished);
  EXPECT_EQ(call->results()[0].i32(), 0 + 10 + 20);
  EXPECT_FALSE(call->resume().ok());  // finished calls cannot be resumed
}

TEST(Async, ResumesOnAnotherThread) {
  Fixture f;
  define_wait(f);
  Instance inst = f.instantiate();
  auto call = inst.func("three_waits")->call_async({});
  ASSERT_EQ(*call->resume(), AsyncCall::State::Suspended);
  AsyncCall::State last{};
  std::thread other([&] {
    EXPECT_EQ(*call->resume(), AsyncCall::State::Suspended);
    EXPECT_EQ(*call->resume(), AsyncCall::State::Suspended);
    last = *call->resume();
  });
  other.join();
  EXPECT_EQ(last, AsyncCall::State::Finished);
  EXPECT_EQ(call->results()[0].i32(), 30);
}

TEST(Async, HostCallsBackIntoTheGuestWhileAsync) {
  Fixture f;
  Func add;
  f.linker.func("host", "wait", [&add](Caller& caller, int32_t x) -> Result<int32_t> {
    auto r = caller.suspend(1);
    if (!r.ok()) return r.take_error();
    auto typed = add.typed<int32_t(int32_t, int32_t)>();
    return (*typed)(x, 100);  // guest -> host -> guest, on the fiber
  });
  Instance inst = f.instantiate();
  add = *inst.func("add");
  auto call = inst.func("three_waits")->call_async({});
  while (*call->resume() == AsyncCall::State::Suspended) {
  }
  EXPECT_EQ(call->results()[0].i32(), 100 + 101 + 102);
}

TEST(Async, TrapsEndTheCall) {
  Fixture f;
  define_wait(f);
  Instance inst = f.instantiate();
  auto call = inst.func("wait_then_trap")->call_async({});
  ASSERT_EQ(*call->resume(), AsyncCall::State::Suspended);
  EXPECT_EQ(call->suspended_value(), 9u);
  auto r = call->resume();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unreachable");
  // Synchronous calls still work afterwards.
  EXPECT_EQ(*(*inst.func<int32_t(int32_t, int32_t)>("add"))(2, 3), 5);
}

TEST(Async, DroppingASuspendedCallUnwindsTheHostFunction) {
  Fixture f;
  int destroyed = 0;
  struct Guard {
    int* n;
    ~Guard() { ++*n; }
  };
  f.linker.func("host", "wait", [&destroyed](Caller& caller, int32_t) -> Result<int32_t> {
    Guard g{&destroyed};
    auto r = caller.suspend(0);
    if (!r.ok()) return r.take_error();
    return 0;
  });
  Instance inst = f.instantiate();
  {
    auto call = inst.func("three_waits")->call_async({});
    ASSERT_EQ(*call->resume(), AsyncCall::State::Suspended);
  }
  EXPECT_EQ(destroyed, 1);
}

TEST(Async, SuspendOutsideAnAsyncCallIsAnError) {
  Fixture f;
  define_wait(f);
  Instance inst = f.instantiate();
  auto r = (*inst.func<int32_t()>("three_waits"))();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("only possible inside an async call"), std::string::npos);
}

TEST(Async, TenThousandSuspendedInstancesResumedInRandomOrderOnTwoThreads) {
  Config c;
  c.bounds = BoundsChecks::Explicit;  // small reservations: 10,000 memories fit easily
  c.max_wasm_stack = 64 << 10;
  c.host_stack_reserve = 64 << 10;
  Fixture f(c);
  define_wait(f);
  auto m = compile_module(f.engine, test::wat(kGuest));
  ASSERT_TRUE(m.ok());
  constexpr int kN = 10000;
  std::vector<AsyncCall> calls;
  calls.reserve(kN);
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kN; ++i) {
    stores.push_back(std::make_unique<Store>(f.engine));  // a store per guest: they run concurrently
    Linker linker(*stores.back());
    linker.func("host", "wait", [](Caller& caller, int32_t x) -> Result<int32_t> {
      auto r = caller.suspend(static_cast<uint64_t>(x));
      if (!r.ok()) return r.take_error();
      return x * 10;
    });
    auto inst = linker.instantiate(*m);
    ASSERT_TRUE(inst.ok()) << i << ": " << inst.error().to_string();
    auto call = inst->func("three_waits")->call_async({});
    ASSERT_TRUE(call.ok());
    ASSERT_EQ(*call->resume(), AsyncCall::State::Suspended);  // all alive and suspended at once
    calls.push_back(std::move(*call));
  }
  // Every call needs three more resumes; schedule them in random order over two threads.
  std::vector<int> order;
  for (int i = 0; i < kN; ++i) order.insert(order.end(), {i, i, i});
  std::shuffle(order.begin(), order.end(), std::mt19937(42));
  std::vector<std::atomic<int>> claimed(kN);
  std::atomic<size_t> next{0};
  std::atomic<int> errors{0};
  auto worker = [&] {
    for (size_t k = next++; k < order.size(); k = next++) {
      const int i = order[k];
      // One thread at a time per call: spin until nobody else is resuming it.
      int expected = 0;
      while (!claimed[i].compare_exchange_weak(expected, 1)) expected = 0;
      if (!calls[i].resume().ok()) ++errors;
      claimed[i] = 0;
    }
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  EXPECT_EQ(errors.load(), 0);
  for (int i = 0; i < kN; ++i) {
    ASSERT_EQ(calls[i].results().size(), 1u) << i;
    EXPECT_EQ(calls[i].results()[0].i32(), 30) << i;
  }
}

}  // namespace
}  // namespace atl

namespace atl {
namespace {

TEST(Async, EpochDeadlinesTimeSliceALongComputation) {
  Config c;
  c.epoch_interruption = true;
  Engine engine(c);
  Store store(engine);
  Linker linker(store);
  auto m = compile_module(engine, test::wat(R"(
    (module (func (export "spin") (param $n i64) (result i64) (local $i i64) (local $x i64)
      (local.set $x (i64.const 88172645463325252))
      (loop $l
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br_if $l (i64.lt_u (local.get $i) (local.get $n))))
      (local.get $x)))
  )"));
  ASSERT_TRUE(m.ok());
  auto inst = linker.instantiate(*m);
  store.set_epoch_yield(1);
  store.set_epoch_deadline(1);
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    while (!stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      engine.increment_epoch();
    }
  });
  // The same computation natively, to check the sliced result.
  uint64_t want = 88172645463325252ull;
  for (int64_t i = 0; i < 200'000'000; ++i) {
    want ^= want << 13;
    want ^= want >> 7;
    want ^= want << 17;
  }
  std::vector<Val> args = {Val::i64(200'000'000)};
  auto call = inst->func("spin")->call_async(args);
  ASSERT_TRUE(call.ok());
  int slices = 0;
  for (;;) {
    auto s = call->resume();
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    if (*s == AsyncCall::State::Finished) break;
    EXPECT_EQ(call->suspended_value(), AsyncCall::kEpochYield);
    ++slices;
  }
  stop = true;
  ticker.join();
  EXPECT_EQ(static_cast<uint64_t>(call->results()[0].i64()), want);
  EXPECT_GT(slices, 10) << "the guest should have been sliced many times";
  // Without yielding, the same deadline traps.
  store.set_epoch_yield(0);
  store.set_epoch_deadline(0);
  EXPECT_EQ((*inst->func<int64_t(int64_t)>("spin"))(1000).error().message, "interrupted");
}

// Engine::prewarm_fiber_stacks fills the stack cache (no more than it holds) with stacks whose
// top pages are resident, and async calls then take them instead of mapping new ones.
TEST(Async, PrewarmedFiberStacksFillTheCache) {
  Config c;
  c.fiber_stack_cache = 8;
  Engine engine(c);
  const auto& stacks = engine.state()->fiber_stacks;
  EXPECT_EQ(stacks.cached(), 0u);
  engine.prewarm_fiber_stacks(20);
  EXPECT_EQ(stacks.cached(), 8u);  // capped by the cache
  auto m = compile_module(engine, test::wat(R"((module (func (export "f") (result i32) (i32.const 7))))"));
  ASSERT_TRUE(m.ok());
  Store store(engine);
  Linker linker(store);
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok());
  auto call = inst->func("f")->call_async({});
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(stacks.cached(), 7u);  // taken from the cache
  auto state = call->resume();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, AsyncCall::State::Finished);
  EXPECT_EQ(call->results()[0].i32(), 7);
  EXPECT_EQ(stacks.cached(), 8u);  // and given back
}

}  // namespace
}  // namespace atl

// wasi::Config::suspend_sleeps: a guest's sleep (poll_oneoff on clocks only) suspends its async
// call with the wake-up time instead of blocking the thread; a server resumes it from a timer.
#include <gtest/gtest.h>
#include <time.h>

#include <string>

#include "../wat.h"
#include "atoll/atoll.h"
#include "atoll/wasi.h"

namespace atl {
namespace {

// sleep(ns): one relative CLOCK_MONOTONIC subscription with userdata 77; returns the errno and
// leaves the event at 100 and the event count at 200.
const char* kSleeper = R"(
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "sleep") (param $ns i64) (result i32)
    (i64.store (i32.const 0) (i64.const 77))
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (local.get $ns))
    (i32.store16 (i32.const 40) (i32.const 0))
    (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))
  (func (export "events") (result i32) (i32.load (i32.const 200)))
  (func (export "userdata") (result i64) (i64.load (i32.const 100))))
)";

uint64_t monotonic_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(t.tv_nsec);
}

struct Fixture {
  Engine engine;
  std::optional<Store> store;
  std::optional<Instance> instance;
  explicit Fixture(bool suspend) {
    auto m = compile_module(engine, test::wat(kSleeper));
    EXPECT_TRUE(m.ok()) << m.error().to_string();
    store.emplace(engine);
    Linker linker(*store);
    wasi::Config config;
    config.suspend_sleeps = suspend;
    EXPECT_TRUE(wasi::add_to_linker(linker, config).ok());
    auto inst = linker.instantiate(*m);
    EXPECT_TRUE(inst.ok());
    instance.emplace(std::move(inst.value()));
  }
};

TEST(WasiSleep, SuspendsTheAsyncCallUntilTheWakeUpTime) {
  Fixture f(true);
  const uint64_t before = monotonic_ns();
  auto call = f.instance->func("sleep")->call_async(std::vector<Val>{Val::i64(50'000'000)});
  ASSERT_TRUE(call.ok());
  auto state = call->resume();
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(*state, AsyncCall::State::Suspended);  // returned at once: the thread is free
  const uint64_t wake = call->suspended_value();
  EXPECT_NE(wake, AsyncCall::kEpochYield);
  EXPECT_GE(wake, before + 50'000'000);
  EXPECT_LT(wake, monotonic_ns() + 50'000'000);
  // Resumed early, it suspends again with the same time.
  state = call->resume();
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(*state, AsyncCall::State::Suspended);
  EXPECT_EQ(call->suspended_value(), wake);
  const timespec until{static_cast<time_t>(wake / 1'000'000'000), static_cast<long>(wake % 1'000'000'000)};
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr);
  const uint64_t resumed = monotonic_ns();
  state = call->resume();
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(*state, AsyncCall::State::Finished);
  EXPECT_LT(monotonic_ns() - resumed, 20'000'000u);  // no second wait on the thread
  EXPECT_EQ(call->results()[0].i32(), 0);
  EXPECT_EQ((*f.instance->func<int32_t()>("events"))().value(), 1);
  EXPECT_EQ((*f.instance->func<int64_t()>("userdata"))().value(), 77);
}

TEST(WasiSleep, OutsideAnAsyncCallTheThreadSleeps) {
  Fixture f(true);
  const uint64_t before = monotonic_ns();
  auto r = (*f.instance->func<int32_t(int64_t)>("sleep"))(20'000'000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0);
  EXPECT_GE(monotonic_ns() - before, 20'000'000u);
  EXPECT_EQ((*f.instance->func<int32_t()>("events"))().value(), 1);
}

TEST(WasiSleep, WithoutTheOptionAnAsyncCallSleepsOnTheThread) {
  Fixture f(false);
  auto call = f.instance->func("sleep")->call_async(std::vector<Val>{Val::i64(20'000'000)});
  ASSERT_TRUE(call.ok());
  const uint64_t before = monotonic_ns();
  auto state = call->resume();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, AsyncCall::State::Finished);
  EXPECT_GE(monotonic_ns() - before, 20'000'000u);
}

TEST(WasiSleep, DroppingASleepingCallCancelsIt) {
  Fixture f(true);
  {
    auto call = f.instance->func("sleep")->call_async(std::vector<Val>{Val::i64(10'000'000'000)});
    ASSERT_TRUE(call.ok());
    auto state = call->resume();
    ASSERT_TRUE(state.ok());
    ASSERT_EQ(*state, AsyncCall::State::Suspended);
  }  // dropped: the guest unwinds without sleeping 10 s
  auto r = (*f.instance->func<int32_t(int64_t)>("sleep"))(0);
  ASSERT_TRUE(r.ok());  // the store is still usable
  EXPECT_EQ(*r, 0);
}

}  // namespace
}  // namespace atl

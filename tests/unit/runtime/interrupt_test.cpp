#include <gtest/gtest.h>

#include <chrono>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "atoll/atoll.h"
#include "../wat.h"

namespace atl {
namespace {

const char* kSpin = R"(
(module
  (global $iterations (export "iterations") (mut i64) (i64.const 0))
  (func $forever (export "forever")
    (loop $l
      (global.set $iterations (i64.add (global.get $iterations) (i64.const 1)))
      (br $l)))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))
)";

struct Guest {
  explicit Guest(Config c) : engine(c), store(engine), linker(store) {
    auto m = compile_module(engine, test::wat(kSpin));
    EXPECT_TRUE(m.ok()) << m.error().to_string();
    auto i = linker.instantiate(*m);
    EXPECT_TRUE(i.ok()) << i.error().to_string();
    instance = *i;
  }
  Engine engine;
  Store store;
  Linker linker;
  Instance instance;
};

TEST(Interrupt, EpochDeadlineStopsAnInfiniteLoop) {
  Config c;
  c.epoch_interruption = true;
  Guest g(c);
  g.store.set_epoch_deadline(3);
  using Clock = std::chrono::steady_clock;
  std::atomic<int64_t> reached_at{0};
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    for (int tick = 1; !stop; ++tick) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      g.engine.increment_epoch();
      if (tick == 3) reached_at = Clock::now().time_since_epoch().count();
    }
  });
  auto r = (*g.instance.func<void()>("forever"))();
  const int64_t returned_at = Clock::now().time_since_epoch().count();
  stop = true;
  ticker.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "interrupted");
  // From the tick that reached the deadline to the host getting the trap back.
  const double ms = static_cast<double>(returned_at - reached_at.load()) / 1e6;
  EXPECT_LT(ms, 10.0) << "stopped " << ms << " ms after the deadline";
  // (The global's value is not checked: checks are placed in optimised code, where LLVM may keep
  // it in a register; an interrupted instance's state is not meant to be used again.)
  // With a new deadline in the future the store runs again.
  g.store.set_epoch_deadline(1000000);
  EXPECT_EQ(*(*g.instance.func<int32_t(int32_t)>("count"))(100000), 100000);
}

TEST(Interrupt, NoDeadlineMeansNever) {
  Config c;
  c.epoch_interruption = true;
  Guest g(c);
  for (int i = 0; i < 100; ++i) g.engine.increment_epoch();
  EXPECT_EQ(*(*g.instance.func<int32_t(int32_t)>("count"))(1000000), 1000000);
}

TEST(Interrupt, FuelRunsOutAtTheSameInstructionEveryTime) {
  Config c;
  c.consume_fuel = true;
  int64_t iterations[3];
  for (int run = 0; run < 3; ++run) {
    Guest g(c);
    g.store.set_fuel(1000003);
    auto r = (*g.instance.func<void()>("forever"))();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "all fuel consumed");
    iterations[run] = g.instance.global("iterations")->get().i64();
  }
  EXPECT_GT(iterations[0], 0);
  EXPECT_EQ(iterations[0], iterations[1]);
  EXPECT_EQ(iterations[1], iterations[2]);
  // A finite computation leaves the same remainder every time.
  uint64_t left[2];
  for (int run = 0; run < 2; ++run) {
    Guest g(c);
    g.store.set_fuel(10'000'000);
    EXPECT_EQ(*(*g.instance.func<int32_t(int32_t)>("count"))(1000), 1000);
    left[run] = g.store.fuel();
  }
  EXPECT_LT(left[0], 10'000'000u);
  EXPECT_EQ(left[0], left[1]);
}

TEST(Interrupt, EngineRefusesArtifactsWithoutTheInstrumentationItNeeds) {
  Engine plain;
  auto artifact = compile(plain, test::wat(kSpin));
  ASSERT_TRUE(artifact.ok());
  Config c;
  c.epoch_interruption = true;
  auto m = Module::from_artifact(Engine(c), *artifact);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("without epoch checks"), std::string::npos);
  Config f;
  f.consume_fuel = true;
  auto m2 = Module::from_artifact(Engine(f), *artifact);
  ASSERT_FALSE(m2.ok());
  EXPECT_NE(m2.error().message.find("without fuel metering"), std::string::npos);
}

// A guest whose loop advances the epoch itself (through a host import), so every iteration
// reaches the deadline at the next loop header: the callback's calls are deterministic.
const char* kTicking = R"(
(module
  (import "env" "tick" (func $tick))
  (func $inner (param $n i32) (local $i i32)
    (loop $l
      (call $tick)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
  (func $outer (export "outer") (param $n i32)
    (call $inner (local.get $n))
    (call $inner (local.get $n))))
)";

struct TickingGuest {
  TickingGuest() : engine(config()), store(engine), linker(store) {
    linker.func("env", "tick", [this] { engine.increment_epoch(); });
    auto m = compile_module(engine, test::wat(kTicking));
    EXPECT_TRUE(m.ok()) << m.error().to_string();
    auto i = linker.instantiate(*m);
    EXPECT_TRUE(i.ok()) << i.error().to_string();
    instance = *i;
    store.set_epoch_deadline(1);
  }
  static Config config() {
    Config c;
    c.epoch_interruption = true;
    c.opt_level = 0;  // $inner stays a frame of its own
    return c;
  }
  Result<void> outer(int32_t n) { return (*instance.func<void(int32_t)>("outer"))(n); }
  Engine engine;
  Store store;
  Linker linker;
  Instance instance;
};

TEST(Interrupt, EpochCallbackContinuesTheGuestAndSeesItsFrames) {
  TickingGuest g;
  int calls = 0;
  std::vector<std::vector<std::string>> stacks;
  g.store.set_epoch_deadline_callback([&]() -> uint64_t {
    ++calls;
    std::vector<std::string> names;
    for (const Error::Frame& f : g.store.wasm_frames()) names.push_back(f.function);
    stacks.push_back(names);
    return 1;
  });
  ASSERT_TRUE(g.outer(5).ok());
  // Each of the ten ticks is noticed once (at a loop header or the second call's entry).
  EXPECT_GE(calls, 9);
  EXPECT_LE(calls, 10);
  for (const auto& names : stacks) {
    ASSERT_GE(names.size(), 1u);
    EXPECT_EQ(names.back(), "outer");
  }
  EXPECT_EQ(stacks.front(), (std::vector<std::string>{"inner", "outer"}));
  EXPECT_TRUE(g.store.wasm_frames().empty()) << "frames outside the callback";
}

TEST(Interrupt, EpochCallbackReturningZeroTrapsAsWithoutOne) {
  TickingGuest g;
  int calls = 0;
  g.store.set_epoch_deadline_callback([&]() -> uint64_t { return ++calls < 3 ? 1 : 0; });
  auto r = g.outer(100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "interrupted");
  EXPECT_EQ(calls, 3);
  // Without the callback the first deadline traps.
  g.store.set_epoch_deadline_callback({});
  g.store.set_epoch_deadline(1);
  r = g.outer(100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "interrupted");
}

TEST(Interrupt, EpochCallbackThatThrowsTrapsTheGuest) {
  TickingGuest g;
  g.store.set_epoch_deadline_callback([]() -> uint64_t { throw std::runtime_error("sampler broke"); });
  auto r = g.outer(3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Trap);
  EXPECT_NE(r.error().message.find("epoch deadline callback threw: sampler broke"), std::string::npos)
      << r.error().message;
  // The store runs again.
  g.store.set_epoch_deadline_callback([] { return uint64_t{1}; });
  EXPECT_TRUE(g.outer(3).ok());
}

}  // namespace
}  // namespace atl

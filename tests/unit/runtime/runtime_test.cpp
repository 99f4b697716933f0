#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <csetjmp>
#include <fstream>

#include "atoll/atoll.h"
#include "../wat.h"

namespace atl {
namespace {

struct Fixture {
  explicit Fixture(const std::string& text, Config config = {}) : engine(config), store(engine), linker(store) {
    auto m = compile_module(engine, test::wat(text));
    EXPECT_TRUE(m.ok()) << m.error().to_string();
    if (m.ok()) module = std::move(m.value());
  }
  Instance instantiate() {
    auto i = linker.instantiate(module);
    EXPECT_TRUE(i.ok()) << i.error().to_string();
    return i.ok() ? std::move(i.value()) : Instance{};
  }
  Engine engine;
  Store store;
  Linker linker;
  Module module;
};

const char* kGuest = R"(
(module $guest
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (memory (export "memory") 1 4)
  (global $g (export "counter") (mut i32) (i32.const 5))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "call_twice") (param i32) (result i32) (call $twice (local.get 0)))
  (func $inner (param i32) (result i32) (i32.load (local.get 0)))
  (func $middle (param i32) (result i32) (call $inner (local.get 0)))
  (func (export "load") (param i32) (result i32) (call $middle (local.get 0)))
  (func (export "boom") (unreachable))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $rec (export "recurse") (param i64) (result i64)
    (i64.add (i64.const 1) (call $rec (local.get 0))))
  (func (export "sum") (param i32 i32) (result i64) (local i64)
    (block (loop
      (br_if 1 (i32.eqz (local.get 1)))
      (local.set 2 (i64.add (local.get 2) (i64.load32_u (local.get 0))))
      (local.set 0 (i32.add (local.get 0) (i32.const 4)))
      (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
      (br 0)))
    (local.get 2)))
)";

void define_twice(Fixture& f) { f.linker.func("env", "twice", [](int32_t x) { return x * 2; }); }

TEST(Runtime, TypedCallsAndHostFunctions) {
  Fixture f(kGuest);
  define_twice(f);
  Instance inst = f.instantiate();
  auto add = inst.func<int32_t(int32_t, int32_t)>("add");
  ASSERT_TRUE(add.ok()) << add.error().to_string();
  EXPECT_EQ(*(*add)(2, 40), 42);
  auto twice = inst.func<int32_t(int32_t)>("call_twice");
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(*(*twice)(21), 42);
  // Wrong signature and wrong kind are errors, not crashes.
  auto wrong = inst.func<int64_t(int32_t, int32_t)>("add");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("[i32 i32] -> [i32]"), std::string::npos);
  EXPECT_FALSE(inst.func("memory").ok());
  EXPECT_FALSE(inst.func("nope").ok());
}

TEST(Runtime, TypedCallsWithSeveralResults) {
  Fixture f(R"((module
    (func (export "split") (param i32 i64) (result i64 i32 f64)
      (local.get 1) (local.get 0) (f64.const 2.5))
    (func (export "none") (param i32))
    (func (export "three") (result i32 i32 i32) (i32.const 1) (i32.const 2) (i32.const 3))))");
  Instance inst = f.instantiate();
  auto split = inst.func<std::tuple<int64_t, int32_t, double>(int32_t, int64_t)>("split");
  ASSERT_TRUE(split.ok()) << split.error().to_string();
  auto r = (*split)(7, -9'000'000'000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::make_tuple(int64_t{-9'000'000'000}, int32_t{7}, 2.5));
  // More results than arguments: the slots hold the larger of the two.
  auto three = inst.func<std::tuple<int32_t, int32_t, int32_t>()>("three");
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(*(*three)(), std::make_tuple(1, 2, 3));
  auto none = inst.func<void(int32_t)>("none");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)(1).ok());
  // A tuple that does not match is refused, naming both types.
  auto wrong = inst.func<std::tuple<int32_t, int64_t>(int32_t, int64_t)>("split");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("[i32 i64] -> [i64 i32 f64]"), std::string::npos) << wrong.error().message;
}

TEST(Runtime, UntypedCallChecksArguments) {
  Fixture f(kGuest);
  define_twice(f);
  Instance inst = f.instantiate();
  auto add = inst.func("add");
  ASSERT_TRUE(add.ok());
  std::vector<Val> args = {Val::i32(3), Val::i32(4)};
  auto r = add->call(args);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), 7);
  std::vector<Val> bad = {Val::i32(3), Val::f64(4)};
  EXPECT_FALSE(add->call(bad).ok());
  EXPECT_FALSE(add->call(std::span<const Val>()).ok());
}

TEST(Runtime, MemoryAccessIsChecked) {
  Fixture f(kGuest);
  define_twice(f);
  Instance inst = f.instantiate();
  auto mem = inst.memory();
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(mem->size(), 65536u);
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(mem->store<uint32_t>(100 + 4 * i, i + 1).ok());
  auto sum = inst.func<int64_t(int32_t, int32_t)>("sum");
  EXPECT_EQ(*(*sum)(100, 10), 55);
  EXPECT_FALSE(mem->store<uint32_t>(65534, 1).ok());
  EXPECT_FALSE(mem->read_string(65530, 100).ok());
  EXPECT_EQ(mem->grow(1), 1);
  EXPECT_TRUE(mem->store<uint32_t>(65536, 7).ok());
  EXPECT_EQ(mem->grow(10), -1);  // past the maximum of 4 pages
  auto g = inst.global("counter");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->get().i32(), 5);
  EXPECT_TRUE(g->set(Val::i32(9)).ok());
  EXPECT_FALSE(g->set(Val::i64(9)).ok());
}

TEST(Runtime, TrapsComeBackWithKindAndBacktrace) {
  Config o0;
  o0.opt_level = 0;  // no inlining: every wasm frame is a native frame
  Fixture f(kGuest, o0);
  define_twice(f);
  Instance inst = f.instantiate();
  auto load = inst.func<int32_t(int32_t)>("load");
  auto r = (*load)(70000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Trap);
  EXPECT_EQ(r.error().message, "out of bounds memory access");
  EXPECT_EQ(r.error().trap(), TrapCode::MemoryOutOfBounds);
  // Innermost first: $inner, $middle, then the export, and nothing after it.
  const std::string& bt = r.error().backtrace;
  EXPECT_NE(bt.find("#0 wasm function 3 <inner> @ 0x"), std::string::npos) << bt;
  EXPECT_NE(bt.find("#1 wasm function 4 <middle> @ 0x"), std::string::npos) << bt;
  EXPECT_NE(bt.find("#2 wasm function 5 <load> @ 0x"), std::string::npos) << bt;
  EXPECT_EQ(bt.find("#3"), std::string::npos) << bt;
  auto boom = inst.func<void()>("boom");
  EXPECT_EQ((*boom)().error().message, "unreachable");
  auto div = inst.func<int32_t(int32_t, int32_t)>("div");
  EXPECT_EQ((*div)(1, 0).error().message, "integer divide by zero");
  EXPECT_EQ((*div)(INT32_MIN, -1).error().message, "integer overflow");
  EXPECT_EQ(*(*div)(7, 2), 3);
}

// Calls through tables and exports enter a function by its entry in the wasm calling convention,
// a wrapper frame around the body in modules without tail calls (compiler/call_entries.cpp):
// backtraces still show one frame per wasm function.
TEST(Runtime, CallsThroughTablesShowOneFramePerFunction) {
  const char* text = R"(
(module
  (memory 1)
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $inner $middle)
  (func $inner (type $t) (i32.load (local.get 0)))
  (func $middle (type $t) (i32.add (i32.const 1) (call_indirect (type $t) (local.get 0) (i32.const 0))))
  (func (export "outer") (param i32) (result i32)
    (i32.add (i32.const 2) (call_indirect (type $t) (local.get 0) (i32.const 1)))))
)";
  for (int opt : {0, 2}) {
    Config c;
    c.opt_level = opt;
    Engine engine(c);
    Store store(engine);
    Linker linker(store);
    auto m = compile_module(engine, test::wat(text));
    ASSERT_TRUE(m.ok()) << m.error().to_string();
    auto inst = linker.instantiate(*m);
    ASSERT_TRUE(inst.ok());
    auto outer = inst->func<int32_t(int32_t)>("outer");
    EXPECT_EQ(*(*outer)(0), 3);
    auto r = (*outer)(70000);
    ASSERT_FALSE(r.ok());
    const std::vector<Error::Frame>& frames = r.error().frames;
    ASSERT_EQ(frames.size(), 3u) << r.error().backtrace;
    for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(frames[i].func_index, i) << "-O" << opt << "\n" << r.error().backtrace;
  }
}

// Inlined frames come back from the artifact's debug table with the same wasm offsets as
// unoptimised code's real frames: the load that trapped, then each call.
TEST(Runtime, OptimisedBacktraceKeepsInlinedFramesAndWasmOffsets) {
  auto frames_at = [](int opt_level) {
    Config c;
    c.opt_level = opt_level;
    Fixture f(kGuest, c);
    define_twice(f);
    Instance inst = f.instantiate();
    auto r = (*inst.func<int32_t(int32_t)>("load"))(70000);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::vector<Error::Frame>{} : r.error().frames;
  };
  const std::vector<Error::Frame> o0 = frames_at(0), o2 = frames_at(2);
  ASSERT_EQ(o0.size(), 3u);
  ASSERT_EQ(o2.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(o2[i].func_index, 3 + i);
    EXPECT_EQ(o2[i].func_index, o0[i].func_index);
    EXPECT_NE(o2[i].wasm_offset, Error::kNoOffset);
    EXPECT_EQ(o2[i].wasm_offset, o0[i].wasm_offset) << "frame " << i;
    EXPECT_FALSE(o0[i].inlined);
  }
  EXPECT_TRUE(o2[0].inlined);
  EXPECT_TRUE(o2[1].inlined);
  EXPECT_FALSE(o2[2].inlined);
  EXPECT_EQ(o2[0].function, "inner");
  // The innermost offset is the load's: frames further out sit on calls, at smaller offsets
  // within later functions.
  EXPECT_LT(o2[0].wasm_offset, o2[1].wasm_offset);
  EXPECT_LT(o2[1].wasm_offset, o2[2].wasm_offset);
}

// Each trap site reports its own offset: two divisions, two indirect calls and two memory
// accesses in one function, each trapping in turn. (Not memory accesses in explicit bounds
// mode: their checks share one trap block per function, docs/CLI.md "Trap backtraces".)
TEST(Runtime, EveryTrapSiteReportsItsOwnOffset) {
  const char* text = R"(
(module
  (memory 1)
  (table 1 funcref)
  (type $v (func (result i32)))
  (func $seven (type $v) (i32.const 7))
  (elem (i32.const 0) $seven)
  (func (export "div") (param $a i32) (param $b i32) (result i32)
    (i32.div_u (i32.div_u (i32.const 100) (local.get $a)) (local.get $b)))
  (func (export "calls") (param $a i32) (param $b i32) (result i32)
    (i32.add (call_indirect (type $v) (local.get $a)) (call_indirect (type $v) (local.get $b))))
  (func (export "loads") (param $a i32) (param $b i32) (result i32)
    (i32.add (i32.load (local.get $a)) (i32.load offset=4 (local.get $b)))))
)";
  for (BoundsChecks mode : {BoundsChecks::GuardPages, BoundsChecks::Explicit}) {
    for (int opt : {0, 2}) {
      Config c;
      c.opt_level = opt;
      c.bounds = mode;
      Fixture f(text, c);
      Instance inst = f.instantiate();
      for (const char* name : {"div", "calls", "loads"}) {
        if (mode == BoundsChecks::Explicit && std::string(name) == "loads") continue;
        // (first site traps), then (first passes, second traps).
        const int32_t bad = std::string(name) == "div" ? 0 : std::string(name) == "calls" ? 5 : 70000;
        const int32_t good = std::string(name) == "div" ? 1 : 0;
        auto first = (*inst.func<int32_t(int32_t, int32_t)>(name))(bad, bad);
        auto second = (*inst.func<int32_t(int32_t, int32_t)>(name))(good, bad);
        ASSERT_FALSE(first.ok()) << name;
        ASSERT_FALSE(second.ok()) << name;
        ASSERT_FALSE(first.error().frames.empty());
        ASSERT_FALSE(second.error().frames.empty());
        EXPECT_EQ(first.error().message, second.error().message) << name;
        EXPECT_LT(first.error().frames[0].wasm_offset, second.error().frames[0].wasm_offset)
            << name << " at -O" << opt << (mode == BoundsChecks::Explicit ? " explicit" : " guard pages");
      }
    }
  }
}

TEST(Runtime, StackExhaustionTrapsAndTheHostCanCallAgain) {
  Fixture f(kGuest);
  define_twice(f);
  Instance inst = f.instantiate();
  auto rec = inst.func<int64_t(int64_t)>("recurse");
  for (int i = 0; i < 3; ++i) {
    auto r = (*rec)(0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "call stack exhausted");
  }
  auto add = inst.func<int32_t(int32_t, int32_t)>("add");
  EXPECT_EQ(*(*add)(1, 1), 2);
}

TEST(Runtime, AMillionTrapsDoNotLeak) {
#if defined(__SANITIZE_ADDRESS__) || (defined(__has_feature) && __has_feature(address_sanitizer))
  GTEST_SKIP() << "RSS says nothing under AddressSanitizer (its quarantine keeps freed memory); "
                  "this test runs in the release build";
#endif
  Fixture f(kGuest);
  define_twice(f);
  Instance inst = f.instantiate();
  auto load = inst.func<int32_t(int32_t)>("load");
  auto boom = inst.func<void()>("boom");
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE((*load)(-4).ok());  // warm up
  const long before = test::resident_kib();
  for (int i = 0; i < 1'000'000; ++i) {
    // Alternate the signal path (fault in guest code) and the builtin path (unreachable).
    const bool trapped = (i & 1) ? !(*load)(-4).ok() : !(*boom)().ok();
    if (!trapped) FAIL() << "call " << i << " did not trap";
  }
  const long grown = test::resident_kib() - before;
  EXPECT_LT(grown, 1024) << "RSS grew by " << grown << " KiB over 1,000,000 traps";
}

TEST(Runtime, HostFunctionErrorsTrapTheGuest) {
  Fixture f(kGuest);
  f.linker.func("env", "twice", [](int32_t x) -> Result<int32_t> {
    if (x < 0) return make_error(ErrorKind::Other, "negative input");
    return x * 2;
  });
  Instance inst = f.instantiate();
  auto twice = inst.func<int32_t(int32_t)>("call_twice");
  EXPECT_EQ(*(*twice)(4), 8);
  auto r = (*twice)(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Trap);
  EXPECT_EQ(r.error().message, "host function failed: negative input");
  EXPECT_EQ(*(*twice)(5), 10);
}

TEST(Runtime, GuestCallsHostWhichCallsGuest) {
  Fixture f(kGuest);
  Func add;
  f.linker.func("env", "twice", [&add](Caller& caller, int32_t x) -> Result<int32_t> {
    auto mem = caller.memory();
    if (!mem.ok()) return mem.take_error();
    if (!mem->store<int32_t>(0, x).ok()) return make_error(ErrorKind::Other, "store failed");
    auto typed = add.typed<int32_t(int32_t, int32_t)>();
    if (!typed.ok()) return typed.take_error();
    return (*typed)(x, x);  // re-enters the guest from inside a host call
  });
  Instance inst = f.instantiate();
  add = *inst.func("add");
  auto twice = inst.func<int32_t(int32_t)>("call_twice");
  EXPECT_EQ(*(*twice)(21), 42);
  EXPECT_EQ(*inst.memory()->load<int32_t>(0), 21);
}

TEST(Runtime, UnknownAndMistypedImportsAreLinkErrors) {
  Fixture f(kGuest);
  auto r = f.linker.instantiate(f.module);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Link);
  EXPECT_NE(r.error().message.find("env.twice"), std::string::npos);
  f.linker.func("env", "twice", [](int64_t x) { return x; });
  auto r2 = f.linker.instantiate(f.module);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().kind, ErrorKind::Link);
  EXPECT_NE(r2.error().message.find("expected [i32] -> [i32], got [i64] -> [i64]"), std::string::npos);
}

TEST(Runtime, ExplicitBoundsChecksMode) {
  Config c;
  c.bounds = BoundsChecks::Explicit;
  Fixture f(kGuest, c);
  define_twice(f);
  Instance inst = f.instantiate();
  auto load = inst.func<int32_t(int32_t)>("load");
  EXPECT_EQ(*(*load)(65532), 0);
  EXPECT_EQ((*load)(65533).error().message, "out of bounds memory access");
  // An artifact compiled for one mode is refused by an engine configured for the other.
  Engine guard;
  auto m = Module::from_artifact(guard, f.module.artifact());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("explicit bounds checks"), std::string::npos);
}

}  // namespace
}  // namespace atl

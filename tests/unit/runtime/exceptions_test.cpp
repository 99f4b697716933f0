// Exception handling (WebAssembly 3.0): payloads arrive intact, tags match by identity across
// modules (an imported tag is the exporter's), an exception nothing catches reaches the host as
// UncaughtException and leaves the store usable, caught exceptions are freed (millions of
// throws in one store), and traps are never caught. In both bounds modes, -O0 and -O2. The
// spec scripts (throw, try_table, throw_ref, legacy/*) cover the instructions one by one.
#include <gtest/gtest.h>

#include <string>

#include "../wasm/builder.h"
#include "../wat.h"
#include "atoll/atoll.h"

namespace atl {
namespace {

const std::vector<std::string> kFlags = {"--enable-exceptions"};

const char* kThrower = R"(
(module
  (tag $e (export "e") (param i32 i64))
  (tag $other (export "other"))
  (func $thrower (export "thrower") (param i32)
    (throw $e (local.get 0) (i64.const 7)))
  (func (export "catch_it") (param i32) (result i64)
    (local $x i64)
    (try (result i64)
      (do (call $thrower (local.get 0)) (i64.const -1))
      (catch $e (local.set $x) (i64.extend_i32_u) (local.get $x) (i64.add))))
  (func (export "loop") (param $n i32) (result i32)
    (local $caught i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (try (do (call $thrower (local.get $n)))
        (catch_all (local.set $caught (i32.add (local.get $caught) (i32.const 1)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $caught))
  (func (export "trap_not_caught") (result i32)
    (try (result i32) (do unreachable) (catch_all (i32.const 1))))
  (func (export "uncaught") (throw $other))
)
)";

// Imports the thrower and its tags; catches $e by identity, lets $other pass through rethrow.
const char* kCatcher = R"(
(module
  (import "a" "e" (tag $e (param i32 i64)))
  (import "a" "other" (tag $other))
  (import "a" "thrower" (func $thrower (param i32)))
  (tag $own (param i32 i64))
  (func (export "catch_imported") (param i32) (result i32)
    (try (result i32)
      (do (call $thrower (local.get 0)) (i32.const -1))
      (catch $own (drop) (drop) (i32.const -2))
      (catch $e (drop))))
  (func (export "rethrow_other")
    (try (do (throw $other)) (catch_all (rethrow 0))))
)
)";

// No tags of its own: a catch_all still catches what its callees throw.
const char* kTagless = R"(
(module
  (import "a" "thrower" (func $thrower (param i32)))
  (func (export "catch_all") (result i32)
    (try (result i32) (do (call $thrower (i32.const 1)) (i32.const 0)) (catch_all (i32.const 1))))
)
)";

struct Mode {
  int opt;
  BoundsChecks bounds;
};

Config config_for(const Mode& m) {
  Config c;
  c.opt_level = m.opt;
  c.bounds = m.bounds;
  return c;
}

// Compiles `text` (with exceptions) and instantiates it through `linker`.
Result<Instance> load(const Engine& engine, Linker& linker, const char* text) {
  auto m = compile_module(engine, test::wat(text, kFlags));
  if (!m.ok()) return m.take_error();
  return linker.instantiate(*m);
}

TEST(Exceptions, PayloadsTagsAndTheHostBoundary) {
  for (const Mode mode : {Mode{0, BoundsChecks::GuardPages}, Mode{2, BoundsChecks::GuardPages},
                          Mode{0, BoundsChecks::Explicit}, Mode{2, BoundsChecks::Explicit}}) {
    SCOPED_TRACE("-O" + std::to_string(mode.opt) + (mode.bounds == BoundsChecks::Explicit ? " explicit" : " guard"));
    Config c;
    c.opt_level = mode.opt;
    c.bounds = mode.bounds;
    Engine engine(c);
    Store store(engine);
    Linker linker(store);
    auto a = compile_module(engine, test::wat(kThrower, kFlags));
    ASSERT_TRUE(a.ok()) << a.error().to_string();
    auto ia = linker.instantiate(*a);
    ASSERT_TRUE(ia.ok()) << ia.error().to_string();
    linker.define_instance("a", *ia);

    auto catch_it = *ia->func<int64_t(int32_t)>("catch_it");
    EXPECT_EQ(*catch_it(5), 12);  // payload (5, 7) intact

    // Caught exceptions are freed: far more throws than a store may keep alive.
    auto r = (*ia->func<int32_t(int32_t)>("loop"))(3'000'000);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, 3'000'000);

    // A trap is not an exception.
    auto t = (*ia->func<int32_t()>("trap_not_caught"))();
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().trap(), TrapCode::Unreachable) << t.error().to_string();

    // Nothing catches it: the host gets an error, and the store goes on working.
    auto u = (*ia->func<void()>("uncaught"))();
    ASSERT_FALSE(u.ok());
    EXPECT_EQ(u.error().trap(), TrapCode::UncaughtException) << u.error().to_string();
    EXPECT_EQ(*catch_it(1), 8);

    // Another module catches the exporter's tag by identity, not its own equal-typed one.
    auto b = compile_module(engine, test::wat(kCatcher, kFlags));
    ASSERT_TRUE(b.ok()) << b.error().to_string();
    auto ib = linker.instantiate(*b);
    ASSERT_TRUE(ib.ok()) << ib.error().to_string();
    auto caught = (*ib->func<int32_t(int32_t)>("catch_imported"))(42);
    ASSERT_TRUE(caught.ok()) << caught.error().to_string();
    EXPECT_EQ(*caught, 42);
    auto re = (*ib->func<void()>("rethrow_other"))();
    ASSERT_FALSE(re.ok());
    EXPECT_EQ(re.error().trap(), TrapCode::UncaughtException);

    auto tagless = compile_module(engine, test::wat(kTagless, kFlags));
    ASSERT_TRUE(tagless.ok()) << tagless.error().to_string();
    auto ic = linker.instantiate(*tagless);
    ASSERT_TRUE(ic.ok()) << ic.error().to_string();
    auto all = (*ic->func<int32_t()>("catch_all"))();
    ASSERT_TRUE(all.ok()) << all.error().to_string();
    EXPECT_EQ(*all, 1);
  }
}

// Ownership of exceptions: one may be held by several legacy catch bodies at once (an inner
// handler catches a rethrow of the outer one's), kept as an exnref after a plain catch of its
// rethrow took it, or left behind by a branch or return out of a catch body. None of these may
// free it while it can still be rethrown (under ASan: no use after free, no double free), and
// none may leak it past its holder (millions of iterations stay under the store's cap).
const char* kHolders = R"(
(module
  (tag $e (param i32))
  (func $nested (result i32)
    (try (result i32)
      (do (throw $e (i32.const 7)))
      (catch $e
        (drop)
        (try (do (rethrow 1)) (catch $e (drop)))
        (rethrow 0))))
  (func (export "nested") (param $n i32) (result i32)
    (local $sum i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (local.set $sum (i32.add (local.get $sum) (try (result i32) (do (call $nested)) (catch $e))))
      (br $l)))
    (local.get $sum))
  (func $leave_by_return (result i32)
    (try (result i32) (do (throw $e (i32.const 1))) (catch $e (return))))
  (func (export "left") (param $n i32) (result i32)
    (local $sum i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (local.set $sum (i32.add (local.get $sum) (call $leave_by_return)))
      (try (do (throw $e (i32.const 2)))
        (catch $e (local.set $sum (i32.add (local.get $sum))) (br $l)))))
    (local.get $sum))
)
)";

TEST(Exceptions, HeldExceptionsAreFreedOnceAndOnlyAfterTheirLastHolder) {
  for (const Mode mode : {Mode{0, BoundsChecks::GuardPages}, Mode{2, BoundsChecks::GuardPages}}) {
    SCOPED_TRACE("-O" + std::to_string(mode.opt));
    Engine engine(config_for(mode));
    Store store(engine);
    Linker linker(store);
    auto inst = load(engine, linker, kHolders);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    auto nested = (*inst->func<int32_t(int32_t)>("nested"))(100'000);
    ASSERT_TRUE(nested.ok()) << nested.error().to_string();
    EXPECT_EQ(*nested, 700'000);
    // Past the store's cap of 2^20 live exceptions: each one left behind is freed.
    auto left = (*inst->func<int32_t(int32_t)>("left"))(1'500'000);
    ASSERT_TRUE(left.ok()) << left.error().to_string();
    EXPECT_EQ(*left, 4'500'000);
  }
}

// exnrefs (written byte by byte: Debian's wabt has no try_table). Type 0 = [] -> [exnref],
// 1 = [i32] -> [] (the tag), 2 = [] -> [i32], 3 = [i32] -> [i32], 4 = [exnref] -> [i32].
//   catch_it: throws 42, returns it caught by catch_all_ref;
//   inspect(x): throw_ref x, caught by a plain catch: its payload;
//   keep: catch_it into a global, inspect it twice (the first plain catch must not free it);
//   pin_many(n): n exceptions caught as exnrefs and dropped: they live until the store ends.
test::Bytes exnref_module() {
  using test::Bytes;
  using test::cat;
  using test::section;
  using test::str;
  using test::vec;
  auto body = [](const Bytes& code) { return test::func_body(cat({{0x00}, code})); };
  return test::module({
      section(1, vec({{0x60, 0x00, 0x01, 0x69}, {0x60, 0x01, 0x7f, 0x00}, {0x60, 0x00, 0x01, 0x7f},
                      {0x60, 0x01, 0x7f, 0x01, 0x7f}, {0x60, 0x01, 0x69, 0x01, 0x7f}})),
      section(3, vec({{0x00}, {0x04}, {0x02}, {0x03}})),
      section(13, vec({{0x00, 0x01}})),
      section(6, vec({{0x69, 0x01, 0xd0, 0x69, 0x0b}})),
      section(7, vec({cat({str("catch_it"), {0x00, 0x00}}), cat({str("inspect"), {0x00, 0x01}}),
                      cat({str("keep"), {0x00, 0x02}}), cat({str("pin_many"), {0x00, 0x03}})})),
      section(10, vec({
          body({0x02, 0x69, 0x1f, 0x40, 0x01, 0x03, 0x00, 0x41, 42, 0x08, 0x00, 0x0b, 0x00, 0x0b, 0x0b}),
          body({0x02, 0x7f, 0x1f, 0x40, 0x01, 0x00, 0x00, 0x00, 0x20, 0x00, 0x0a, 0x0b, 0x00, 0x0b, 0x0b}),
          body({0x10, 0x00, 0x24, 0x00, 0x23, 0x00, 0x10, 0x01, 0x23, 0x00, 0x10, 0x01, 0x6a, 0x0b}),
          body({0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x45, 0x0d, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00,
                0x10, 0x00, 0x1a, 0x0c, 0x00, 0x0b, 0x0b, 0x41, 0x00, 0x0b}),
      })),
  });
}

TEST(Exceptions, AnExnrefOutlivesPlainCatchesOfItsRethrows) {
  Engine engine;
  Store store(engine);
  Linker linker(store);
  auto m = compile_module(engine, exnref_module());
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  for (int i = 0; i < 3; ++i) {
    auto r = (*inst->func<int32_t()>("keep"))();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, 84);
  }
}

// exnrefs live until the store ends: a guest that makes them without end meets a clean trap at
// the store's cap (2^20), not the machine's memory limit.
TEST(Exceptions, LeakingGuestsHitTheCap) {
  Engine engine;
  Store store(engine);
  Linker linker(store);
  auto m = compile_module(engine, exnref_module());
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok());
  auto r = (*inst->func<int32_t(int32_t)>("pin_many"))(2'000'000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().trap(), TrapCode::HostError) << r.error().to_string();
  EXPECT_NE(r.error().to_string().find("too many live exceptions"), std::string::npos) << r.error().to_string();
}

// The host sees an exnref as ValType::ExnRef (not an externref it might take for its own), may
// give it back to the store it came from, and nothing else.
TEST(Exceptions, TheHostHoldsExnrefsAsOpaqueValues) {
  Engine engine;
  Store store(engine), other(engine);
  Linker linker(store), other_linker(other);
  auto m = compile_module(engine, exnref_module());
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  auto inst = linker.instantiate(*m);
  auto inst2 = other_linker.instantiate(*m);
  ASSERT_TRUE(inst.ok() && inst2.ok());
  auto catch_it = *inst->func("catch_it");
  EXPECT_EQ(catch_it.type().results, std::vector<ValType>{ValType::ExnRef});
  EXPECT_STREQ(to_string(ValType::ExnRef), "exnref");
  auto got = catch_it.call({});
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  ASSERT_EQ(got->size(), 1u);
  const Val exn = (*got)[0];
  EXPECT_EQ(exn.type, ValType::ExnRef);
  EXPECT_NE(exn.bits[0], 0u);
  auto inspect = *inst->func("inspect");
  for (int i = 0; i < 2; ++i) {
    auto r = inspect.call({&exn, 1});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ((*r)[0].i32(), 42);
  }
  auto foreign = (*inst2->func("inspect")).call({&exn, 1});
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().to_string().find("not a live exception of this store"), std::string::npos)
      << foreign.error().to_string();
  Val forged = exn;
  forged.type = ValType::ExternRef;
  EXPECT_FALSE(inspect.call({&forged, 1}).ok());
  Val made_up;
  made_up.type = ValType::ExnRef;
  made_up.bits[0] = 0x1000;
  EXPECT_FALSE(inspect.call({&made_up, 1}).ok());
  Val null_exn;
  null_exn.type = ValType::ExnRef;
  auto null_call = inspect.call({&null_exn, 1});
  ASSERT_FALSE(null_call.ok());
  EXPECT_EQ(null_call.error().trap(), TrapCode::NullExceptionReference) << null_call.error().to_string();
}

// An exception passing through a module without tags leaves its frames at once: B calls A's
// thrower (through its own function), C catches; B's code after the calls never runs.
TEST(Exceptions, FramesOfModulesWithoutTagsAreUnwound) {
  for (const Mode mode : {Mode{0, BoundsChecks::GuardPages}, Mode{2, BoundsChecks::GuardPages}}) {
    SCOPED_TRACE("-O" + std::to_string(mode.opt));
    Engine engine(config_for(mode));
    Store store(engine);
    Linker linker(store);
    auto ia = load(engine, linker, kThrower);
    ASSERT_TRUE(ia.ok()) << ia.error().to_string();
    linker.define_instance("a", *ia);
    auto ib = load(engine, linker, R"((module
        (import "a" "thrower" (func $thrower (param i32)))
        (global $after (export "after") (mut i32) (i32.const 0))
        (func $inner (param i32)
          (call $thrower (local.get 0))
          (global.set $after (i32.add (global.get $after) (i32.const 1))))
        (func (export "middle") (param i32) (result i32)
          (call $inner (local.get 0))
          (global.set $after (i32.add (global.get $after) (i32.const 10)))
          (i32.const 5))))");
    ASSERT_TRUE(ib.ok()) << ib.error().to_string();
    linker.define_instance("b", *ib);
    auto ic = load(engine, linker, R"((module
        (import "a" "e" (tag $e (param i32 i64)))
        (import "b" "middle" (func $middle (param i32) (result i32)))
        (func (export "run") (param i32) (result i32)
          (try (result i32) (do (call $middle (local.get 0))) (catch $e (drop))))))");
    ASSERT_TRUE(ic.ok()) << ic.error().to_string();
    auto r = (*ic->func<int32_t(int32_t)>("run"))(42);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, 42);
    EXPECT_EQ(ib->global("after")->get().i32(), 0);
  }
}

TEST(Exceptions, ImportedTagsMustHaveTheSameType) {
  Engine engine;
  Store store(engine);
  Linker linker(store);
  auto a = compile_module(engine, test::wat(kThrower, kFlags));
  ASSERT_TRUE(a.ok());
  auto ia = linker.instantiate(*a);
  ASSERT_TRUE(ia.ok());
  linker.define_instance("a", *ia);
  auto m = compile_module(engine, test::wat(R"((module (import "a" "e" (tag (param i64)))))", kFlags));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  auto i = linker.instantiate(*m);
  ASSERT_FALSE(i.ok());
  EXPECT_EQ(i.error().kind, ErrorKind::Link) << i.error().to_string();
}

}  // namespace
}  // namespace atl

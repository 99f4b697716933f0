// Exception handling (WebAssembly 3.0): payloads arrive intact, tags match by identity across
// modules (an imported tag is the exporter's), an exception nothing catches reaches the host as
// UncaughtException and leaves the store usable, caught exceptions are freed (millions of
// throws in one store), and traps are never caught. In both bounds modes, -O0 and -O2. The
// spec scripts (throw, try_table, throw_ref, legacy/*) cover the instructions one by one.
#include <gtest/gtest.h>

#include <string>

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

// A guest that keeps exceptions alive (a branch out of a catch body skips its release) meets a
// clean trap at the store's cap (2^20), not the machine's memory limit.
TEST(Exceptions, LeakingGuestsHitTheCap) {
  Engine engine;
  Store store(engine);
  Linker linker(store);
  auto m = compile_module(engine, test::wat(R"((module (tag $e)
      (func (export "leak") (param $n i32) (result i32)
        (block $done (loop $l
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (try (do (throw $e)) (catch $e (br $l)))))
        (i32.const 0))))", kFlags));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok());
  auto leak = *inst->func<int32_t(int32_t)>("leak");
  auto r = leak(2'000'000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().trap(), TrapCode::HostError) << r.error().to_string();
  EXPECT_NE(r.error().to_string().find("too many live exceptions"), std::string::npos) << r.error().to_string();
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

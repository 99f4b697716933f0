// Copy-on-write memory images and pooled slot reuse: contents are always what the spec says,
// whether a slot is fresh, reused by the same module, taken over by another module, written by
// the guest or by the host. Also the pool's instance and table caps, and sharded references.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "atoll/atoll.h"
#include "support/sharded_refs.h"
#include "../wat.h"

namespace atl {
namespace {

// 96 KiB of data (above the image threshold) in two overlapping segments: the later wins.
std::string image_module(char fill) {
  std::string wat = "(module (memory (export \"memory\") 4 8)\n";
  wat += "  (func (export \"load8\") (param i32) (result i32) (i32.load8_u (local.get 0)))\n";
  wat += "  (func (export \"store8\") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))\n";
  wat += "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))\n";
  wat += "  (data (i32.const 4096) \"";
  for (int i = 0; i < 96 * 1024; ++i) wat += fill;
  wat += "\")\n  (data (i32.const 8192) \"XY\"))";
  return wat;
}

struct Probe {
  Instance inst;
  int32_t load(int32_t at) { return *(*inst.func<int32_t(int32_t)>("load8"))(at); }
  void store(int32_t at, int32_t v) { ASSERT_TRUE((*inst.func<void(int32_t, int32_t)>("store8"))(at, v).ok()); }
};

void expect_initial(Probe& p, char fill) {
  EXPECT_EQ(p.load(0), 0);
  EXPECT_EQ(p.load(4095), 0);
  EXPECT_EQ(p.load(4096), fill);
  EXPECT_EQ(p.load(8192), 'X');
  EXPECT_EQ(p.load(8193), 'Y');
  EXPECT_EQ(p.load(8194), fill);
  EXPECT_EQ(p.load(4096 + 96 * 1024 - 1), fill);
  EXPECT_EQ(p.load(4096 + 96 * 1024), 0);
  EXPECT_EQ(p.load(4 * 65536 - 1), 0);
}

TEST(Image, InstancesSeeTheDataAndNeverEachOthersWrites) {
  for (BoundsChecks mode : {BoundsChecks::GuardPages, BoundsChecks::Explicit}) {
    for (uint32_t slots : {0u, 1u, 3u}) {
      Config c;
      c.bounds = mode;
      c.memory_pool_slots = slots;
      c.max_memory_pages = 16;
      Engine engine(c);
      auto a = compile_module(engine, test::wat(image_module('a')));
      auto b = compile_module(engine, test::wat(image_module('b')));
      ASSERT_TRUE(a.ok() && b.ok());
      // Alternate modules so pooled slots are reused by the same module and taken over by the
      // other; every instance dirties its image, the zeros around it, and grown pages.
      for (int round = 0; round < 6; ++round) {
        const bool use_a = round % 3 != 2;
        const char fill = use_a ? 'a' : 'b';
        Store store(engine);
        Linker linker(store);
        auto inst = linker.instantiate(use_a ? *a : *b);
        ASSERT_TRUE(inst.ok()) << inst.error().to_string();
        Probe p{*inst};
        expect_initial(p, fill);
        p.store(4096, 1);
        p.store(8192, 2);
        p.store(100, 3);
        p.store(200 * 1024, 4);
        EXPECT_EQ(*(*inst->func<int32_t(int32_t)>("grow"))(2), 4);
        p.store(5 * 65536, 5);
        EXPECT_EQ(p.load(4096), 1);
        EXPECT_EQ(p.load(5 * 65536), 5);
        // The host writes too.
        ASSERT_TRUE(inst->memory()->store<uint8_t>(300, 6).ok());
      }
      // In guard-page mode a reused slot must fault past the memory's size again.
      Store store(engine);
      Linker linker(store);
      auto inst = linker.instantiate(*a);
      ASSERT_TRUE(inst.ok());
      auto r = (*inst->func<int32_t(int32_t)>("load8"))(5 * 65536);
      ASSERT_FALSE(r.ok()) << "mode " << static_cast<int>(mode) << " slots " << slots;
      EXPECT_EQ(r.error().message, "out of bounds memory access");
    }
  }
}

TEST(Image, UntouchedAndHostWrittenSlotsAreResetCorrectly) {
  Config c;
  c.memory_pool_slots = 1;
  Engine engine(c);
  auto m = compile_module(engine, test::wat(R"((module (memory (export "memory") 1)
    (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))))"));
  ASSERT_TRUE(m.ok());
  {
    // Written only by the host, never by guest code.
    Store store(engine);
    Linker linker(store);
    auto inst = linker.instantiate(*m);
    ASSERT_TRUE(inst->memory()->store<uint8_t>(10, 99).ok());
  }
  {
    // Never written (no guest code ran): the slot is not reset, and needs not be.
    Store store(engine);
    Linker linker(store);
    ASSERT_TRUE(linker.instantiate(*m).ok());
  }
  Store store(engine);
  Linker linker(store);
  auto inst = linker.instantiate(*m);
  EXPECT_EQ(*(*inst->func<int32_t(int32_t)>("load8"))(10), 0);
}

TEST(Image, ElementTrapHidesDataFromFunctionsAlreadyPlaced) {
  // The first element segment puts $get into the imported table; the second is out of bounds,
  // so instantiation fails before data segments are applied: $get must read zeros.
  Engine engine;
  auto exporter = compile_module(engine, test::wat(R"((module (table (export "t") 2 funcref)
    (func (export "call0") (result i32) (call_indirect (result i32) (i32.const 0)))))"));
  std::string wat = R"((module (import "e" "t" (table 2 funcref)) (memory 2)
    (func $get (result i32) (i32.load8_u (i32.const 70000)))
    (elem (i32.const 0) $get) (elem (i32.const 5) $get)
    (data (i32.const 4096) ")";
  for (int i = 0; i < 80 * 1024; ++i) wat += 'z';
  wat += "\"))";
  auto importer = compile_module(engine, test::wat(wat));
  ASSERT_TRUE(exporter.ok() && importer.ok());
  Store store(engine);
  Linker linker(store);
  auto e = linker.instantiate(*exporter);
  ASSERT_TRUE(e.ok());
  linker.define_instance("e", *e);
  auto failed = linker.instantiate(*importer);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "out of bounds table access");
  EXPECT_EQ(*(*e->func<int32_t()>("call0"))(), 0);
}

struct Counted {
  mutable ShardedRefs refs;
  std::atomic<int>* destroyed;
  explicit Counted(std::atomic<int>* d) : destroyed(d) {}
  ~Counted() { destroyed->fetch_add(1); }
};

TEST(ShardedRefs, DestroyedExactlyOnceWhateverTheOrder) {
  for (int round = 0; round < 200; ++round) {
    std::atomic<int> destroyed{0};
    auto primary = make_sharded<Counted>(&destroyed);
    std::vector<SharedRef<Counted>> refs;
    for (int i = 0; i < 64; ++i) refs.emplace_back(primary);
    // Half released on other threads while the primary goes on this one.
    std::thread t1([&] {
      for (int i = 0; i < 32; ++i) refs[i].reset();
    });
    std::thread t2([&] {
      for (int i = 32; i < 63; ++i) refs[i].reset();
    });
    primary.reset();
    t1.join();
    t2.join();
    EXPECT_EQ(destroyed.load(), 0) << "one reference is still held";
    refs[63].reset();
    EXPECT_EQ(destroyed.load(), 1);
  }
}

}  // namespace
}  // namespace atl

namespace atl {
namespace {

// Reused slots read as zero whether reset by zeroing resident pages or by madvise, including
// pages only read (mapped to the kernel's zero page) and pages in grown memory.
TEST(Pool, ResetByZeroingOrMadviseLeavesNothingBehind) {
  const char* wat = R"((module (memory 4 8)
    (func (export "sum") (result i64) (local $a i32) (local $s i64)
      (block $done (loop $l
        (br_if $done (i32.ge_u (local.get $a) (i32.mul (memory.size) (i32.const 65536))))
        (local.set $s (i64.add (local.get $s) (i64.load (local.get $a))))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (br $l)))
      (local.get $s))
    (func (export "dirty") (param $seed i32) (local $a i32)
      (drop (memory.grow (i32.const 1)))
      (block $done (loop $l
        (br_if $done (i32.ge_u (local.get $a) (i32.const 327680)))
        (i64.store (local.get $a) (i64.extend_i32_u (i32.add (local.get $seed) (local.get $a))))
        (local.set $a (i32.add (local.get $a) (i32.const 12288)))
        (br $l))))
    (func (export "read_only") (result i32) (i32.load (i32.const 200000)))))";
  for (BoundsChecks mode : {BoundsChecks::GuardPages, BoundsChecks::Explicit}) {
    for (uint64_t keep : {uint64_t{0}, uint64_t{4096}, Config{}.memory_pool_keep_resident}) {
      Config c;
      c.bounds = mode;
      c.memory_pool_slots = 1;
      c.max_memory_pages = 16;
      c.memory_pool_keep_resident = keep;
      Engine engine(c);
      auto m = compile_module(engine, test::wat(wat));
      ASSERT_TRUE(m.ok());
      for (int round = 0; round < 4; ++round) {
        Store store(engine);
        Linker linker(store);
        auto inst = linker.instantiate(*m);
        ASSERT_TRUE(inst.ok());
        EXPECT_EQ(*(*inst->func<int64_t()>("sum"))(), 0) << "keep " << keep << " round " << round;
        EXPECT_EQ(*(*inst->func<int32_t()>("read_only"))(), 0);
        ASSERT_TRUE((*inst->func<void(int32_t)>("dirty"))(round + 1).ok());
        EXPECT_NE(*(*inst->func<int64_t()>("sum"))(), 0);
      }
    }
  }
}

}  // namespace
}  // namespace atl

namespace atl {
namespace {

TEST(Pool, InstanceAndTableCountsAndTableSizesAreCapped) {
  Config c;
  c.pool_instances = 3;
  c.pool_tables = 2;
  c.pool_table_elements = 100;
  Engine engine(c);
  auto plain = compile_module(engine, test::wat("(module)"));
  auto with_table = compile_module(engine, test::wat(R"((module (table 10 funcref)
    (func (export "grow") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0)))))"));
  auto big_table = compile_module(engine, test::wat("(module (table 101 funcref))"));
  ASSERT_TRUE(plain.ok() && with_table.ok() && big_table.ok());
  {
    Store s1(engine), s2(engine), s3(engine), s4(engine);
    Linker l1(s1), l2(s2), l3(s3), l4(s4);
    auto t1 = l1.instantiate(*with_table);
    auto t2 = l2.instantiate(*with_table);
    ASSERT_TRUE(t1.ok() && t2.ok());
    auto t3 = l3.instantiate(*with_table);
    ASSERT_FALSE(t3.ok());
    EXPECT_NE(t3.error().message.find("table pool is exhausted"), std::string::npos) << t3.error().message;
    ASSERT_TRUE(l3.instantiate(*plain).ok());  // the third instance (the failed one is gone)
    auto fourth = l4.instantiate(*plain);
    ASSERT_FALSE(fourth.ok());
    EXPECT_NE(fourth.error().message.find("instance pool is exhausted: all 3"), std::string::npos)
        << fourth.error().message;
    // Growth stops at the per-table cap.
    auto grow = *t1->func<int32_t(int32_t)>("grow");
    EXPECT_EQ(*grow(90), 10);
    EXPECT_EQ(*grow(1), -1);
  }
  // Everything was given back with the stores.
  Store s(engine);
  Linker l(s);
  EXPECT_TRUE(l.instantiate(*with_table).ok());
  EXPECT_TRUE(l.instantiate(*with_table).ok());
  auto too_big = l.instantiate(*big_table);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().message.find("table limit"), std::string::npos) << too_big.error().message;
}

}  // namespace
}  // namespace atl

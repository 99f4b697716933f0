// Resource limits, instantiate/drop density and the memory pool.
#include <gtest/gtest.h>

#include "atoll/atoll.h"
#include "../wat.h"

namespace atl {
namespace {

const char* kBomb = R"(
(module
  (memory (export "memory") 1)
  (table 1 funcref)
  (func (export "bomb") (result i32) (local $grown i32)
    (block $done
      (loop $more
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (local.set $grown (i32.add (local.get $grown) (i32.const 1)))
        (br $more)))
    (local.get $grown))
  (func (export "table_bomb") (result i32) (local $n i32)
    (block $done
      (loop $more
        (br_if $done (i32.eq (table.grow 0 (ref.null func) (i32.const 1000)) (i32.const -1)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $more)))
    (table.size 0)))
)";

TEST(Limits, MemoryBombIsCappedAndGrowReturnsMinusOne) {
  Engine engine;
  Store store(engine);
  Store::Limits limits;
  limits.max_memory_bytes = 16 << 20;
  limits.max_table_elements = 5000;
  store.set_limits(limits);
  Linker linker(store);
  auto m = compile_module(engine, test::wat(kBomb));
  ASSERT_TRUE(m.ok());
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok());
  auto grown = (*inst->func<int32_t()>("bomb"))();
  ASSERT_TRUE(grown.ok()) << grown.error().to_string();  // -1, not a trap
  EXPECT_EQ(*grown, 255);                                  // 1 page + 255 = 16 MiB
  EXPECT_EQ(inst->memory()->size(), 16u << 20);
  EXPECT_EQ(*(*inst->func<int32_t()>("table_bomb"))(), 5000 - 1000 + 1);  // 1 + 4 x 1000 = 4001 <= 5000
}

TEST(Limits, CallbackApprovesGrowthAndInstancesAreCapped) {
  Engine engine;
  Store store(engine);
  Store::Limits limits;
  int asked = 0;
  limits.memory_growing = [&](uint64_t, uint64_t desired) {
    ++asked;
    return desired <= (4u << 16);
  };
  limits.max_instances = 1;
  store.set_limits(limits);
  Linker linker(store);
  auto m = compile_module(engine, test::wat(kBomb));
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(*(*inst->func<int32_t()>("bomb"))(), 3);
  EXPECT_EQ(asked, 4);
  auto second = linker.instantiate(*m);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("instance limit"), std::string::npos);
}

}  // namespace
}  // namespace atl

namespace atl {
namespace {

// Every cycle creates a store, instantiates (a memory, a data segment), calls, and drops it all.
TEST(Density, MillionInstantiateDropCyclesKeepRssFlat) {
#if defined(__SANITIZE_ADDRESS__) || (defined(__has_feature) && __has_feature(address_sanitizer))
  GTEST_SKIP() << "RSS says nothing under AddressSanitizer; runs in the release build";
#endif
  Engine engine;
  auto m = compile_module(engine, test::wat(R"((module (memory 1) (data (i32.const 0) "hi")
      (func (export "f") (result i32) (i32.load (i32.const 0)))))"));
  ASSERT_TRUE(m.ok());
  long before = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    Store store(engine);
    Linker linker(store);
    auto inst = linker.instantiate(*m);
    if (!inst.ok()) FAIL() << inst.error().to_string();
    auto r = (*inst->func<int32_t()>("f"))();
    if (!r.ok() || *r != 0x6968) FAIL() << "cycle " << i;
    if (i == 10'000) before = test::resident_kib();
  }
  const long grown = test::resident_kib() - before;
  EXPECT_LT(grown, 1024) << "RSS grew by " << grown << " KiB over 990,000 cycles";
}

}  // namespace
}  // namespace atl

namespace atl {
namespace {

const char* kMem = R"((module (memory (export "memory") 1 4)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))";

TEST(Pool, SlotsAreReusedZeroedAndCapped) {
  for (BoundsChecks mode : {BoundsChecks::GuardPages, BoundsChecks::Explicit}) {
    Config c;
    c.bounds = mode;
    c.memory_pool_slots = 2;
    c.max_memory_pages = 16;
    Engine engine(c);
    auto m = compile_module(engine, test::wat(kMem));
    ASSERT_TRUE(m.ok());
    uint8_t* first_base = nullptr;
    for (int round = 0; round < 3; ++round) {
      Store store(engine);
      Linker linker(store);
      auto inst = linker.instantiate(*m);
      ASSERT_TRUE(inst.ok()) << inst.error().to_string();
      auto mem = inst->memory();
      auto view = mem->span(0, 1);
      if (round == 0) first_base = view->data();
      EXPECT_EQ(view->data(), first_base) << "the slot is reused";
      auto load = *inst->func<int32_t(int32_t)>("load");
      EXPECT_EQ(*load(100), 0) << "a reused slot reads as zero";
      EXPECT_EQ(*(*inst->func<int32_t(int32_t)>("grow"))(1), 1);
      ASSERT_TRUE((*inst->func<void(int32_t, int32_t)>("store"))(70000, 77).ok());  // in the grown page
      EXPECT_EQ(*load(70000), 77);
      EXPECT_EQ(load(2 * 65536).error().message, "out of bounds memory access");
    }
    // Two live instances fill the pool; a third gets a clear error.
    Store a(engine), b(engine), d(engine);
    Linker la(a), lb(b), ld(d);
    ASSERT_TRUE(la.instantiate(*m).ok());
    ASSERT_TRUE(lb.instantiate(*m).ok());
    auto third = ld.instantiate(*m);
    ASSERT_FALSE(third.ok());
    EXPECT_NE(third.error().message.find("memory pool is exhausted: all 2 slots are in use"), std::string::npos);
  }
}

TEST(Pool, OversizedPoolIsAClearError) {
  Config c;
  c.memory_pool_slots = 20000;  // 20,000 x 8 GiB does not fit the address space
  Engine engine(c);
  Store store(engine);
  Linker linker(store);
  auto m = compile_module(engine, test::wat(kMem));
  auto inst = linker.instantiate(*m);
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.error().message.find("address-space budget"), std::string::npos) << inst.error().message;
}

}  // namespace
}  // namespace atl

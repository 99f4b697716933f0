// Multi-memory and memory64 (WebAssembly 3.0): each memory keeps its own contents, size and
// bounds; 64-bit addresses are checked in full (no wrap, no guard region to rely on); memory 0
// keeps its fast path while others are reached through their views. Every case runs at -O0 and
// -O2 in both bounds modes.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "../wat.h"
#include "atoll/atoll.h"
#include "atoll/wasi.h"

namespace atl {
namespace {

const std::vector<std::string> kFlags = {"--enable-multi-memory", "--enable-memory64"};

const char* kTwo = R"(
(module
  (memory $a (export "a") 1 3)
  (memory $b (export "b") 2 4)
  (data (memory $b) (i32.const 70000) "\2a\00\00\00")
  (data $p "PASSIVE")
  (func (export "store_a") (param i32 i32) (i32.store $a (local.get 0) (local.get 1)))
  (func (export "store_b") (param i32 i32) (i32.store $b (local.get 0) (local.get 1)))
  (func (export "load_a") (param i32) (result i32) (i32.load $a (local.get 0)))
  (func (export "load_b") (param i32) (result i32) (i32.load $b offset=4 (i32.sub (local.get 0) (i32.const 4))))
  (func (export "size_a") (result i32) (memory.size $a))
  (func (export "size_b") (result i32) (memory.size $b))
  (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
  (func (export "copy_b_to_a") (param i32 i32 i32) (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill_b") (param i32 i32 i32) (memory.fill $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_b") (param i32 i32 i32) (memory.init $b $p (local.get 0) (local.get 1) (local.get 2)))
  ;; A loop over memory b after a grow in the same function: the size must be re-read.
  (func (export "grow_then_sum_b") (param $from i32) (param $to i32) (result i32)
    (local $s i32)
    (drop (memory.grow $b (i32.const 1)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $from) (local.get $to)))
      (local.set $s (i32.add (local.get $s) (i32.load8_u $b (local.get $from))))
      (local.set $from (i32.add (local.get $from) (i32.const 1)))
      (br $l)))
    (local.get $s))
)
)";

const char* kWide = R"(
(module
  (memory $m (export "memory") i64 1 5)
  (data (i64.const 65530) "\01\02\03\04\05\06")
  (func (export "load") (param i64) (result i64) (i64.load (local.get 0)))
  (func (export "load_off") (param i64) (result i32) (i32.load offset=0xffffff00 (local.get 0)))
  (func (export "load_wrap") (param i64) (result i32) (i32.load offset=8 (local.get 0)))
  (func (export "store8") (param i64 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i64 i64 i64) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "v128_load") (param i64) (result i64) (i64x2.extract_lane 0 (v128.load (local.get 0))))
)
)";

struct Mode {
  int opt;
  BoundsChecks bounds;
  std::string name() const {
    return "-O" + std::to_string(opt) + (bounds == BoundsChecks::Explicit ? " explicit" : " guard");
  }
};
const Mode kModes[] = {{0, BoundsChecks::GuardPages}, {2, BoundsChecks::GuardPages},
                       {0, BoundsChecks::Explicit}, {2, BoundsChecks::Explicit}};

Config config(const Mode& mode) {
  Config c;
  c.opt_level = mode.opt;
  c.bounds = mode.bounds;
  return c;
}

// One module instantiated in its own engine and store.
struct Loaded {
  Loaded(const Mode& mode, const char* wat) : engine(config(mode)), store(engine), linker(store) {
    auto m = compile_module(engine, test::wat(wat, kFlags));
    if (!m.ok()) {
      error = m.error().to_string();
      return;
    }
    auto i = linker.instantiate(*m);
    if (!i.ok()) {
      error = i.error().to_string();
      return;
    }
    inst = std::move(i.value());
  }
  Engine engine;
  Store store;
  Linker linker;
  std::optional<Instance> inst;
  std::string error;
};

template <typename T>
void expect_oob(const Result<T>& r, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what << " did not trap";
  EXPECT_EQ(r.error().trap(), TrapCode::MemoryOutOfBounds) << what << ": " << r.error().to_string();
}

TEST(MultiMemory, EachMemoryHasItsOwnContentsSizeAndBounds) {
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    Loaded l(mode, kTwo);
    ASSERT_TRUE(l.inst) << l.error;
    Instance* inst = &*l.inst;
    auto store_a = *inst->func<void(int32_t, int32_t)>("store_a");
    auto store_b = *inst->func<void(int32_t, int32_t)>("store_b");
    auto load_a = *inst->func<int32_t(int32_t)>("load_a");
    auto load_b = *inst->func<int32_t(int32_t)>("load_b");

    // The data segment went to memory b only.
    EXPECT_EQ(*load_b(70000), 42);
    EXPECT_EQ(*load_a(100), 0);
    ASSERT_TRUE(store_a(100, 7).ok());
    ASSERT_TRUE(store_b(100, 9).ok());
    EXPECT_EQ(*load_a(100), 7);
    EXPECT_EQ(*load_b(100), 9);
    // Memory a has one page, b two: 70000 is in b only.
    expect_oob(load_a(70000), "load_a(70000)");
    expect_oob(store_a(65533, 1), "store_a(65533)");
    EXPECT_TRUE(store_b(131068, 5).ok());
    expect_oob(store_b(131069, 5), "store_b(131069)");
    expect_oob(load_b(0xfffffffc), "load_b(2^32 - 4)");

    // Sizes and growth are per memory.
    EXPECT_EQ(*(*inst->func<int32_t()>("size_a"))(), 1);
    EXPECT_EQ(*(*inst->func<int32_t()>("size_b"))(), 2);
    EXPECT_EQ(*(*inst->func<int32_t(int32_t)>("grow_b"))(1), 2);
    EXPECT_EQ(*(*inst->func<int32_t(int32_t)>("grow_b"))(2), -1);  // maximum 4
    EXPECT_EQ(*(*inst->func<int32_t()>("size_b"))(), 3);
    EXPECT_EQ(*(*inst->func<int32_t()>("size_a"))(), 1);
    EXPECT_TRUE(store_b(3 * 65536 - 4, 11).ok());
    expect_oob(store_a(3 * 65536 - 4, 11), "store_a past memory a after b grew");
    auto b = inst->memory("b");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->size(), 3u * 65536);
    EXPECT_EQ(*b->load<int32_t>(3 * 65536 - 4), 11);

    // Bulk operations on and between memories.
    auto copy = *inst->func<void(int32_t, int32_t, int32_t)>("copy_b_to_a");
    ASSERT_TRUE(copy(200, 70000, 4).ok());
    EXPECT_EQ(*load_a(200), 42);
    expect_oob(copy(65535, 0, 2), "copy past a's end");
    expect_oob(copy(0, 3 * 65536 - 1, 2), "copy past b's end");
    auto fill = *inst->func<void(int32_t, int32_t, int32_t)>("fill_b");
    ASSERT_TRUE(fill(300, 0x41, 4).ok());
    EXPECT_EQ(*load_b(300), 0x41414141);
    EXPECT_EQ(*load_a(300), 0);
    expect_oob(fill(3 * 65536 - 2, 0, 3), "fill past b's end");
    auto init = *inst->func<void(int32_t, int32_t, int32_t)>("init_b");
    ASSERT_TRUE(init(400, 0, 7).ok());
    std::string s;
    for (int i = 0; i < 7; ++i) s.push_back(static_cast<char>(*b->load<uint8_t>(400 + i)));
    EXPECT_EQ(s, "PASSIVE");
    EXPECT_EQ(*load_a(400), 0);

    // memory.grow inside a function: later accesses see the new size.
    auto sum = *inst->func<int32_t(int32_t, int32_t)>("grow_then_sum_b");
    auto r = sum(3 * 65536, 3 * 65536 + 10);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, 0);
    expect_oob(sum(5 * 65536 - 1, 5 * 65536 + 1), "sum past b's end after its last grow");
  }
}

TEST(Memory64, AddressesAreCheckedInFull) {
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name());
    Loaded l(mode, kWide);
    ASSERT_TRUE(l.inst) << l.error;
    Instance* inst = &*l.inst;
    auto load = *inst->func<int64_t(int64_t)>("load");
    EXPECT_EQ(*load(65528), 0x0605040302010000);
    expect_oob(load(65529), "load(65529)");
    // Beyond 4 GiB, and addresses whose low 32 bits would be in bounds.
    expect_oob(load(int64_t{1} << 32), "load(2^32)");
    expect_oob(load((int64_t{1} << 40) + 8), "load(2^40 + 8)");
    expect_oob(load(-8), "load(2^64 - 8)");
    // A large offset, and address + offset wrapping past 2^64.
    auto load_off = *inst->func<int32_t(int64_t)>("load_off");
    expect_oob(load_off(0), "offset 2^32 - 256");
    expect_oob(load_off(-int64_t{0xffffff00}), "address + offset = 2^64 (wraps to 0)");
    expect_oob(load_off(-int64_t{0xffffff00} + 16), "address + offset wraps to 16");
    auto load_wrap = *inst->func<int32_t(int64_t)>("load_wrap");
    EXPECT_EQ(*load_wrap(0), 0);
    expect_oob(load_wrap(-8), "address 2^64 - 8 + offset 8 wraps to 0");
    expect_oob(load_wrap(-4), "address 2^64 - 4 + offset 8 wraps to 4");
    auto v128 = *inst->func<int64_t(int64_t)>("v128_load");
    EXPECT_TRUE(v128(65520).ok());
    expect_oob(v128(65521), "v128.load(65521)");
    expect_oob(v128(-16), "v128.load(2^64 - 16)");

    // Size and growth in i64 pages; -1 as an i64.
    auto size = *inst->func<int64_t()>("size");
    auto grow = *inst->func<int64_t(int64_t)>("grow");
    EXPECT_EQ(*size(), 1);
    EXPECT_EQ(*grow(int64_t{1} << 40), -1);
    EXPECT_EQ(*grow(int64_t{1} << 32), -1);  // would be 0 pages if truncated to 32 bits
    EXPECT_EQ(*grow(2), 1);
    EXPECT_EQ(*size(), 3);
    EXPECT_EQ(*grow(3), -1);  // maximum 5
    auto store8 = *inst->func<void(int64_t, int32_t)>("store8");
    EXPECT_TRUE(store8(3 * 65536 - 1, 1).ok());
    expect_oob(store8(3 * 65536, 1), "store8 at the new end");

    // Bulk operations with 64-bit lengths.
    auto fill = *inst->func<void(int64_t, int32_t, int64_t)>("fill");
    auto copy = *inst->func<void(int64_t, int64_t, int64_t)>("copy");
    EXPECT_TRUE(fill(10, 7, 100).ok());
    expect_oob(fill(10, 7, int64_t{1} << 32), "fill 2^32 bytes");
    expect_oob(fill(-1, 7, 2), "fill wrapping past 2^64");
    expect_oob(copy(0, 10, -1), "copy 2^64 - 1 bytes");
    EXPECT_TRUE(copy(1000, 10, 100).ok());
    EXPECT_EQ(*load(1000), 0x0707070707070707);

    // The host sees a 64-bit memory.
    auto mem = inst->memory("memory");
    ASSERT_TRUE(mem.ok());
    EXPECT_TRUE(mem->type().is64);
    EXPECT_EQ(mem->size(), 3u * 65536);
  }
}

TEST(Memory64, ImportsMatchAddressTypes) {
  Engine engine;
  Store store(engine);
  auto wide = Memory::create(store, MemoryType{Limits{1, 2}, true});
  ASSERT_TRUE(wide.ok()) << wide.error().to_string();
  auto narrow = Memory::create(store, MemoryType{Limits{1, 2}, false});
  ASSERT_TRUE(narrow.ok());
  auto m = compile_module(engine, test::wat(R"((module (import "env" "m" (memory i64 1))
      (func (export "size") (result i64) (memory.size))))", kFlags));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  {
    Linker linker(store);
    linker.define("env", "m", *narrow);
    auto inst = linker.instantiate(*m);
    ASSERT_FALSE(inst.ok());
    EXPECT_NE(inst.error().message.find("address types differ"), std::string::npos) << inst.error().message;
  }
  Linker linker(store);
  linker.define("env", "m", *wide);
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(*(*inst->func<int64_t()>("size"))(), 1);
  EXPECT_EQ(wide->grow(1), 1);
  EXPECT_EQ(*(*inst->func<int64_t()>("size"))(), 2);
}

TEST(Memory64, WasiRefusesA64BitMemory) {
  Engine engine;
  auto m = compile_module(engine, test::wat(R"((module
      (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
      (memory (export "memory") i64 1)
      (func (export "_start"))))", kFlags));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  auto ok = wasi::check_module(*m);
  ASSERT_FALSE(ok.ok());
  EXPECT_NE(ok.error().message.find("64-bit memory"), std::string::npos) << ok.error().message;
  auto narrow = compile_module(engine, test::wat(R"((module
      (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
      (memory (export "memory") 1)
      (func (export "_start"))))"));
  ASSERT_TRUE(narrow.ok());
  EXPECT_TRUE(wasi::check_module(*narrow).ok());
}

TEST(Memory64, FeaturesOffRejectTheModules) {
  Config c;
  c.features.multi_memory = false;
  c.features.memory64 = false;
  Engine engine(c);
  auto two = compile_module(engine, test::wat("(module (memory 1) (memory 1))", kFlags));
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.error().message.find("multiple memories"), std::string::npos) << two.error().message;
  auto wide = compile_module(engine, test::wat(kWide, kFlags));
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.error().message.find("malformed limits flags"), std::string::npos) << wide.error().message;
}

}  // namespace
}  // namespace atl

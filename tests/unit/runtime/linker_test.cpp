// Store-independent Linkers (defined once, instantiating into many stores, from several
// threads), per-store host state, and WASI split into shared functions + per-store context.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "atoll/atoll.h"
#include "atoll/wasi.h"
#include "../wat.h"

namespace atl {
namespace {

const char kStateKey = 0;

TEST(Linker, OneLinkerInstantiatesIntoManyStoresOnManyThreads) {
  Engine engine;
  auto m = compile_module(engine, test::wat(R"((module
    (import "env" "base" (func $base (result i32)))
    (func (export "f") (param i32) (result i32) (i32.add (call $base) (local.get 0)))))"));
  ASSERT_TRUE(m.ok());
  Linker shared;
  // Each store's value comes from its own host state.
  shared.func("env", "base", [](Caller& caller) -> Result<int32_t> {
    auto* v = static_cast<int32_t*>(caller.host_state(&kStateKey));
    if (!v) return make_error(ErrorKind::Other, "no state");
    return *v;
  });
  std::vector<int> failures(2, 0);
  auto work = [&](int t) {
    for (int i = 0; i < 500; ++i) {
      Store store(engine);
      store.set_host_state(&kStateKey, std::make_shared<int32_t>(1000 * t + i));
      auto inst = shared.instantiate(store, *m);
      if (!inst.ok() || *(*inst->func<int32_t(int32_t)>("f"))(7) != 1000 * t + i + 7) ++failures[t];
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  EXPECT_EQ(failures[0] + failures[1], 0);

  Store bare(engine);
  auto inst = shared.instantiate(bare, *m);
  ASSERT_TRUE(inst.ok());
  auto r = (*inst->func<int32_t(int32_t)>("f"))(1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no state"), std::string::npos) << r.error().message;

  auto no_store = shared.instantiate(*m);
  ASSERT_FALSE(no_store.ok());
  EXPECT_EQ(no_store.error().kind, ErrorKind::Usage);
}

TEST(Linker, LatestDefinitionWins) {
  Engine engine;
  auto m = compile_module(engine, test::wat(R"((module (import "env" "v" (func $v (result i32)))
    (func (export "f") (result i32) (call $v))))"));
  Store store(engine);
  Linker linker(store);
  linker.func("env", "v", []() -> int32_t { return 1; });
  linker.func("env", "v", []() -> int32_t { return 2; });
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(*(*inst->func<int32_t()>("f"))(), 2);
}

TEST(Wasi, SharedFunctionsUseEachStoresOwnContext) {
  // fd_write(1, iovec{8, 2}) of "hi", exits normally.
  Engine engine;
  auto m = compile_module(engine, test::wat(R"((module
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "\08\00\00\00\02\00\00\00hi")
    (func (export "_start") (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 100))))))"));
  ASSERT_TRUE(m.ok());
  Linker shared;
  wasi::add_to_linker(shared);
  for (int round = 0; round < 2; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    Store store(engine);
    wasi::Config wc;
    wc.stdout_fd = fds[1];
    ASSERT_TRUE(wasi::attach(store, wc).ok());
    auto inst = shared.instantiate(store, *m);
    ASSERT_TRUE(inst.ok());
    ASSERT_TRUE((*inst->func<void()>("_start"))().ok());
    char buf[8] = {};
    EXPECT_EQ(read(fds[0], buf, sizeof buf), 2);
    EXPECT_EQ(std::string(buf, 2), "hi");
    close(fds[0]);
    close(fds[1]);
  }
  Store bare(engine);
  auto inst = shared.instantiate(bare, *m);
  ASSERT_TRUE(inst.ok());
  auto r = (*inst->func<void()>("_start"))();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no WASI context"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace atl

namespace atl {
namespace {

// Extended constants (WebAssembly 3.0) evaluated at instantiation, from an imported global and
// from globals defined before: globals, an element offset and a data offset.
TEST(HostObjects, ExtendedConstantsReadImportedAndEarlierGlobals) {
  Engine engine;
  Store store(engine);
  auto base = Global::create(store, GlobalType{ValType::I32, false}, Val::i32(100));
  ASSERT_TRUE(base.ok());
  auto m = compile_module(engine, test::wat(R"((module
    (import "host" "base" (global $base i32))
    (global $a i32 (i32.add (global.get $base) (i32.const 16)))
    (global $b i64 (i64.mul (i64.const 3) (i64.sub (i64.const 10) (i64.const 4))))
    (global $c i32 (i32.mul (global.get $a) (i32.sub (i32.const 0) (i32.const 2))))
    (memory 1)
    (table 4 funcref)
    (type $t (func (result i32)))
    (func $f (result i32) (i32.const 77))
    (elem (i32.sub (global.get $base) (i32.const 98)) $f)
    (data (i32.add (global.get $a) (i32.const 4)) "\2a")
    (func (export "a") (result i32) (global.get $a))
    (func (export "b") (result i64) (global.get $b))
    (func (export "c") (result i32) (global.get $c))
    (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func (export "slot") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))
  )", {"--enable-extended-const", "--no-check"}));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  Linker linker(store);
  linker.define("host", "base", *base);
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(*(*inst->func<int32_t()>("a"))(), 116);
  EXPECT_EQ(*(*inst->func<int64_t()>("b"))(), 18);
  EXPECT_EQ(*(*inst->func<int32_t()>("c"))(), -232);
  EXPECT_EQ(*(*inst->func<int32_t(int32_t)>("byte"))(120), 42) << "data at a + 4";
  EXPECT_EQ(*(*inst->func<int32_t(int32_t)>("byte"))(119), 0);
  EXPECT_EQ(*(*inst->func<int32_t(int32_t)>("slot"))(2), 77) << "element at base - 98";
  EXPECT_FALSE((*inst->func<int32_t(int32_t)>("slot"))(1).ok());

  // An engine held to WebAssembly 2.0 refuses the module, naming the first offending expression.
  Config strict;
  strict.features = WasmFeatures::wasm2();
  auto refused = compile_module(Engine(strict), test::wat("(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
                                                          {"--enable-extended-const"}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Invalid);
  EXPECT_NE(refused.error().message.find("constant expression required: i32.add"), std::string::npos)
      << refused.error().to_string();
}

// Memories, globals and tables made by the host, imported by a module, seen from both sides.
TEST(HostObjects, MemoryGlobalAndTableMadeByTheHost) {
  Engine engine;
  Store store(engine);
  auto mem = Memory::create(store, MemoryType{Limits{1, 4}});
  ASSERT_TRUE(mem.ok()) << mem.error().to_string();
  EXPECT_EQ(mem->pages(), 1u);
  EXPECT_EQ(mem->type(), (MemoryType{Limits{1, 4}}));
  auto counter = Global::create(store, GlobalType{ValType::I64, true}, Val::i64(40));
  ASSERT_TRUE(counter.ok());
  auto table = Table::create(store, TableType{ValType::FuncRef, Limits{2, 10}});
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->size(), 2u);

  auto m = compile_module(engine, test::wat(R"((module
    (import "host" "mem" (memory 1 4))
    (import "host" "counter" (global $c (mut i64)))
    (import "host" "table" (table $t 2 10 funcref))
    (func $f)
    (elem (i32.const 1) $f)
    (func (export "bump") (result i64)
      (global.set $c (i64.add (global.get $c) (i64.const 2)))
      (i32.store (i32.const 8) (i32.const 0x01020304))
      (global.get $c))
    (func (export "grow") (result i32) (table.grow $t (ref.null func) (i32.const 3)))
    (func (export "size") (result i32) (table.size $t)))
  )"));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  Linker linker(store);
  linker.define("host", "mem", *mem);
  linker.define("host", "counter", *counter);
  linker.define("host", "table", *table);
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(*(*inst->func<int64_t()>("bump"))(), 42);
  EXPECT_EQ(counter->get().i64(), 42) << "the guest's write is the host's global";
  EXPECT_EQ(*mem->load<uint32_t>(8), 0x01020304u) << "the guest's store is in the host's memory";
  auto e1 = table->get(1);
  ASSERT_TRUE(e1.ok());
  EXPECT_NE(e1->bits[0], 0u) << "the element segment wrote into the host's table";
  EXPECT_EQ(table->get(0)->bits[0], 0u);
  EXPECT_EQ(*(*inst->func<int32_t()>("grow"))(), 2);
  EXPECT_EQ(table->size(), 5u) << "the guest grew the host's table";
  EXPECT_EQ(table->grow(5), 5);
  EXPECT_EQ(*(*inst->func<int32_t()>("size"))(), 10) << "the host grew it back under the guest";
  EXPECT_EQ(table->grow(1), -1) << "past its maximum";
  EXPECT_TRUE(table->set_null(1).ok());
  EXPECT_EQ(table->get(1)->bits[0], 0u);
  EXPECT_FALSE(table->get(10).ok());
  EXPECT_FALSE(table->set_null(10).ok());

  // Refused: limits out of order or too large, a mistyped initial value, a made-up reference.
  EXPECT_FALSE(Memory::create(store, MemoryType{Limits{2, 1}}).ok());
  EXPECT_FALSE(Memory::create(store, MemoryType{Limits{70000, std::nullopt}}).ok());
  EXPECT_FALSE(Global::create(store, GlobalType{ValType::I32, false}, Val::i64(1)).ok());
  Val bogus;
  bogus.type = ValType::FuncRef;
  bogus.bits[0] = 0x1234;
  EXPECT_FALSE(Global::create(store, GlobalType{ValType::FuncRef, false}, bogus).ok());
  EXPECT_FALSE(Table::create(store, TableType{ValType::I32, Limits{1, std::nullopt}}).ok());
  // A memory whose limits do not fit the import is a link error, not a crash.
  auto small = Memory::create(store, MemoryType{Limits{1, 8}});
  ASSERT_TRUE(small.ok());
  Linker other(store);
  other.define("host", "mem", *small);
  other.define("host", "counter", *counter);
  other.define("host", "table", *table);
  auto refused = other.instantiate(*m);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Link);
}

TEST(HostObjects, InstanceExportsItsTable) {
  Engine engine;
  Store store(engine);
  auto m = compile_module(engine, test::wat("(module (table (export \"t\") 3 externref))"));
  ASSERT_TRUE(m.ok());
  Linker linker(store);
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok());
  auto t = inst->table("t");
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(t->type(), (TableType{ValType::ExternRef, Limits{3, std::nullopt}}));
  EXPECT_EQ(t->grow(2), 3);
  EXPECT_EQ(t->size(), 5u);
  EXPECT_FALSE(inst->table("nope").ok());
}

}  // namespace
}  // namespace atl

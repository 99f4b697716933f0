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

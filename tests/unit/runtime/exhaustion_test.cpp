// Hostile guests against the machine's resources (issue 10, finding 8): many tables, growth
// past what the process can allocate. Every case ends in a clean error or -1, never an abort.
#include <gtest/gtest.h>
#include <gtest/gtest-death-test.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "../wat.h"
#include "atoll/atoll.h"

namespace atl {
namespace {

std::string many_tables(int count, uint32_t min) {
  std::string m = "(module\n";
  for (int i = 0; i < count; ++i) m += "  (table " + std::to_string(min) + " funcref)\n";
  return m + "  (func (export \"grow\") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0))))";
}

TEST(Exhaustion, TableElementsAreCappedPerStoreNotJustPerTable) {
  Engine engine;
  auto m = compile_module(engine, test::wat(many_tables(60, 1'000'000)));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  Store store(engine);
  Linker linker(store);
  auto inst = linker.instantiate(*m);
  ASSERT_FALSE(inst.ok());  // 60 M elements (480 MB) in 159 bytes of module
  EXPECT_NE(inst.error().message.find("table limit"), std::string::npos) << inst.error().message;

  // Within the budget, instances share it and growth stops at it with -1.
  auto small = compile_module(engine, test::wat(many_tables(4, 1'000'000)));
  ASSERT_TRUE(small.ok());
  Store store2(engine);
  Store::Limits limits;
  limits.max_store_table_elements = 9'000'000;
  store2.set_limits(limits);
  Linker linker2(store2);
  auto a = linker2.instantiate(*small);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  auto b = linker2.instantiate(*small);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_FALSE(linker2.instantiate(*small).ok());  // 12 M > 9 M
  auto grow = a->func<int32_t(int32_t)>("grow");
  EXPECT_EQ(*(*grow)(1'000'001), -1);
  EXPECT_EQ(*(*grow)(1'000'000), 1'000'000);
  EXPECT_EQ(*(*grow)(1), -1);
}

// Runs `body` in a child process under an address-space limit of what the process maps now plus
// `headroom`; the child's exit status is the number of the first check that failed (0: all held;
// a crash is a failure too).
template <class Body>
void under_address_space_limit(size_t headroom, Body body) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    long pages = 0;
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f || std::fscanf(f, "%ld", &pages) != 1) _exit(3);
    std::fclose(f);
    const rlim_t limit = static_cast<rlim_t>(pages) * sysconf(_SC_PAGESIZE) + headroom;
    const rlimit rl{limit, limit};
    if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(4);
    _exit(body());
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Exhaustion, AllocationFailuresAreCleanUnderAnAddressSpaceLimit) {
#if defined(__SANITIZE_ADDRESS__) || (defined(__has_feature) && __has_feature(address_sanitizer))
  GTEST_SKIP() << "ASan's shadow memory does not fit an address-space limit";
#endif
  Config config;
  config.bounds = BoundsChecks::Explicit;  // small reservations: the limit is what the tables hit
  Engine engine(config);
  const char* kGrower = R"(
    (module
      (table 1 funcref)
      (memory 1 64)
      (func (export "tgrow") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0)))
      (func (export "mgrow") (param i32) (result i32) (memory.grow (local.get 0)))))";
  auto grower = compile_module(engine, test::wat(kGrower));
  ASSERT_TRUE(grower.ok()) << grower.error().to_string();
  auto tables = compile_module(engine, test::wat(many_tables(9, 1'000'000)));
  ASSERT_TRUE(tables.ok());
  under_address_space_limit(48 << 20, [&] {
    Store store(engine);
    Store::Limits limits;
    limits.max_store_table_elements = 100'000'000;
    limits.max_table_elements = 100'000'000;
    store.set_limits(limits);
    Linker linker(store);
    auto inst = linker.instantiate(*grower);
    if (!inst.ok()) {
      std::fprintf(stderr, "%s\n", inst.error().to_string().c_str());
      return 10;
    }
    // 80 M elements = 640 MB: the allocation fails, and table.grow says -1.
    if (*(*inst->func<int32_t(int32_t)>("tgrow"))(80'000'000) != -1) return 11;
    if (*(*inst->func<int32_t(int32_t)>("mgrow"))(63) != 1) return 12;
    // 9 M elements at instantiation (72 MB): a clean error.
    auto big = linker.instantiate(*tables);
    if (big.ok() || big.error().message.find("out of memory") == std::string::npos) return 13;
    // Still usable afterwards.
    return *(*inst->func<int32_t(int32_t)>("tgrow"))(10) == 1 ? 0 : 14;
  });
}

// Calls rec(d) for every depth until the stack cannot hold it; exits 0 if each call either
// returned d + 1 or trapped with stack exhaustion, and both happened.
[[noreturn]] void sweep_depths(Engine& engine, const Module& module) {
  Store store(engine);
  Linker linker(store);
  auto inst = linker.instantiate(module);
  if (!inst.ok()) std::_Exit(10);
  auto rec = inst->func<int64_t(int32_t)>("rec");
  int fitted = 0, trapped = 0;
  // Frames of `rec` are at least 16 bytes: 20,000 of them exceed the 256 KiB stack.
  for (int32_t d = 0; d < 20'000; ++d) {
    auto r = (*rec)(d);
    if (r.ok()) {
      if (*r != d + 1) std::_Exit(11);
      ++fitted;
    } else {
      if (r.error().trap() != TrapCode::StackOverflow) std::_Exit(12);
      ++trapped;
    }
  }
  std::_Exit(fitted > 0 && trapped > 0 ? 0 : 13);
}

// A function's frame is allocated (and probed) before its entry check reads the stack pointer,
// so a failed check may find the stack ending anywhere between the limit and the guard page,
// even a few bytes above it. Every depth must still end in a clean stack-exhaustion trap:
// sweep the depths one by one across the whole range where a 24 KiB frame stops fitting, in a
// child process so that a crash is a failure rather than the end of the test run.
TEST(Exhaustion, EveryDepthAtWhichABigFrameStopsFittingIsACleanTrap) {
  std::string m = "(module (func $big (param i64) (result i64) (local";
  for (int i = 0; i < 1536; ++i) m += " v128";  // 24 KiB of locals
  m += ") (local.set 1535 (i64x2.splat (local.get 0)))"
       " (i64x2.extract_lane 0 (i64x2.add (local.get 1) (local.get 1535))))\n"
       "(func $rec (export \"rec\") (param $d i32) (result i64)"
       " (if (result i64) (i32.eqz (local.get $d)) (then (call $big (i64.const 1)))"
       " (else (i64.add (call $rec (i32.sub (local.get $d) (i32.const 1))) (i64.const 1))))))";
  Config config;
  config.max_wasm_stack = 256 << 10;
  config.host_stack_reserve = 16 << 10;
  Engine engine(config);
  auto module = compile_module(engine, test::wat(m));
  ASSERT_TRUE(module.ok()) << module.error().to_string();
  EXPECT_EXIT(sweep_depths(engine, *module), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace atl

// Runtime micro-benchmarks (Google Benchmark): host->guest calls, yield+resume, traps, and
// instantiate+drop. Baselines for the density issue; run build/atoll_runtime_bench.
#include <benchmark/benchmark.h>

#include <string>

#include "atoll/atoll.h"
#include "../../tests/unit/wat.h"

namespace {

const char* kGuest = R"(
(module
  (import "host" "wait" (func $wait (param i32) (result i32)))
  (memory 1)
  (func (export "nop"))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "boom") (unreachable))
  (func (export "forever") (loop $l (drop (call $wait (i32.const 1))) (br $l))))
)";

struct Env {
  atl::Engine engine;
  atl::Module module;
  atl::Module empty;
  atl::Module data_1mib;
  Env() {
    module = *atl::compile_module(engine, atl::test::wat(kGuest));
    empty = *atl::compile_module(engine, atl::test::wat("(module)"));
    std::string data = "(module (memory 17) (data (i32.const 0) \"";
    for (int i = 0; i < (1 << 20); ++i) data += "\\2a";
    data += "\"))";
    data_1mib = *atl::compile_module(engine, atl::test::wat(data));
  }
};
Env& env() {
  static Env e;
  return e;
}

void define_wait(atl::Linker& linker) {
  linker.func("host", "wait", [](atl::Caller& caller, int32_t x) -> atl::Result<int32_t> {
    auto r = caller.suspend(static_cast<uint64_t>(x));
    if (!r.ok()) return r.take_error();
    return x;
  });
}

void BM_HostToGuestCall(benchmark::State& state) {
  atl::Store store(env().engine);
  atl::Linker linker(store);
  define_wait(linker);
  auto inst = *linker.instantiate(env().module);
  auto nop = *inst.func<void()>("nop");
  for (auto _ : state) benchmark::DoNotOptimize(nop().ok());
}
BENCHMARK(BM_HostToGuestCall);

void BM_HostToGuestCallAdd(benchmark::State& state) {
  atl::Store store(env().engine);
  atl::Linker linker(store);
  define_wait(linker);
  auto inst = *linker.instantiate(env().module);
  auto add = *inst.func<int32_t(int32_t, int32_t)>("add");
  int32_t x = 0;
  for (auto _ : state) x = *add(x, 1);
  benchmark::DoNotOptimize(x);
}
BENCHMARK(BM_HostToGuestCallAdd);

void BM_YieldResume(benchmark::State& state) {
  atl::Store store(env().engine);
  atl::Linker linker(store);
  define_wait(linker);
  auto inst = *linker.instantiate(env().module);
  auto call = *inst.func("forever")->call_async({});
  for (auto _ : state) benchmark::DoNotOptimize(call.resume().ok());
}
BENCHMARK(BM_YieldResume);

void BM_TrapAndRecover(benchmark::State& state) {
  atl::Store store(env().engine);
  atl::Linker linker(store);
  define_wait(linker);
  auto inst = *linker.instantiate(env().module);
  auto boom = *inst.func<void()>("boom");
  for (auto _ : state) benchmark::DoNotOptimize(boom().ok());
}
BENCHMARK(BM_TrapAndRecover);

void BM_InstantiateDropEmpty(benchmark::State& state) {
  for (auto _ : state) {
    atl::Store store(env().engine);
    atl::Linker linker(store);
    benchmark::DoNotOptimize(linker.instantiate(env().empty).ok());
  }
}
BENCHMARK(BM_InstantiateDropEmpty)->Threads(1)->Threads(2)->UseRealTime();

void BM_InstantiateDrop1MiBData(benchmark::State& state) {
  for (auto _ : state) {
    atl::Store store(env().engine);
    atl::Linker linker(store);
    benchmark::DoNotOptimize(linker.instantiate(env().data_1mib).ok());
  }
}
BENCHMARK(BM_InstantiateDrop1MiBData)->Threads(1)->Threads(2)->UseRealTime();

// A one-page memory: without a pool every instance maps and unmaps its 8 GiB reservation; with
// one it takes a slot and gives it back (madvise + mprotect).
void InstantiateDropMemory(benchmark::State& state, uint32_t pool_slots) {
  atl::Config c;
  c.memory_pool_slots = pool_slots;
  atl::Engine engine(c);
  auto m = *atl::compile_module(engine, atl::test::wat("(module (memory 1))"));
  for (auto _ : state) {
    atl::Store store(engine);
    atl::Linker linker(store);
    benchmark::DoNotOptimize(linker.instantiate(m).ok());
  }
}
void BM_InstantiateDropMemory(benchmark::State& state) { InstantiateDropMemory(state, 0); }
void BM_InstantiateDropMemoryPooled(benchmark::State& state) { InstantiateDropMemory(state, 64); }
BENCHMARK(BM_InstantiateDropMemory);
BENCHMARK(BM_InstantiateDropMemoryPooled);

}  // namespace

BENCHMARK_MAIN();

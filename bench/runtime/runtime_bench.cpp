// Runtime micro-benchmarks (Google Benchmark): host->guest calls, yield+resume, traps,
// instantiate+drop on one and two threads, resident memory per suspended instance and the most
// live instances a pool sustains. Run build/atoll_runtime_bench (bench/runtime/run.sh prints
// the density summary).
//
// Multi-threaded runs use real time: Google Benchmark then reports wall time divided by the
// iterations of all threads, i.e. the inverse of the combined rate, so "threads:2" beside
// "threads:1" reads directly as the scaling.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "atoll/atoll.h"
#include "atoll/wasi.h"
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

std::string data_1mib_wat() {
  std::string data = "(module (memory 17) (data (i32.const 0) \"";
  for (int i = 0; i < (1 << 20); ++i) data += "\\2a";
  return data + "\"))";
}

atl::Config pooled_config(uint32_t slots) {
  atl::Config c;
  c.memory_pool_slots = slots;
  return c;
}

struct Env {
  atl::Engine engine;
  atl::Engine pooled{pooled_config(64)};
  atl::Module module;
  atl::Module empty;
  atl::Module data_1mib;
  atl::Module data_1mib_pooled;
  atl::Module hello_pooled;
  int dev_null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  Env() {
    module = *atl::compile_module(engine, atl::test::wat(kGuest));
    empty = *atl::compile_module(engine, atl::test::wat("(module)"));
    const auto data = atl::test::wat(data_1mib_wat());
    data_1mib = *atl::compile_module(engine, data);
    data_1mib_pooled = *atl::compile_module(pooled, data);
    std::ifstream in(ATOLL_HELLO_WASM, std::ios::binary);
    std::vector<uint8_t> hello((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    hello_pooled = *atl::compile_module(pooled, hello);
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

// (a) An empty module: the store, the instance and their bookkeeping.
void BM_InstantiateDropEmpty(benchmark::State& state) {
  for (auto _ : state) {
    atl::Store store(env().engine);
    atl::Linker linker(store);
    benchmark::DoNotOptimize(linker.instantiate(env().empty).ok());
  }
}
BENCHMARK(BM_InstantiateDropEmpty)->Threads(1)->Threads(2)->UseRealTime();

// (b) A 17-page memory with a 1 MiB data segment. Pooled: the slot keeps the module's
// copy-on-write image between instances. Unpooled: every instance maps an 8 GiB reservation
// and the image into it, and unmaps them.
void InstantiateDrop1MiB(benchmark::State& state, const atl::Engine& engine, const atl::Module& m) {
  for (auto _ : state) {
    atl::Store store(engine);
    atl::Linker linker(store);
    benchmark::DoNotOptimize(linker.instantiate(m).ok());
  }
}
void BM_InstantiateDrop1MiBDataPooled(benchmark::State& state) {
  InstantiateDrop1MiB(state, env().pooled, env().data_1mib_pooled);
}
void BM_InstantiateDrop1MiBDataUnpooled(benchmark::State& state) {
  InstantiateDrop1MiB(state, env().engine, env().data_1mib);
}
BENCHMARK(BM_InstantiateDrop1MiBDataPooled)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_InstantiateDrop1MiBDataUnpooled)->Threads(1)->Threads(2)->UseRealTime();

// (c) A WASI hello world (C, wasi-libc): a store with its WASI context, instantiate, run _start
// (puts to /dev/null), drop. The server pattern: the WASI functions are defined once on a
// store-independent Linker shared by all threads.
atl::wasi::Config hello_wasi_config() {
  atl::wasi::Config wc;
  wc.args = {"hello"};
  wc.stdout_fd = env().dev_null;
  return wc;
}
void BM_InstantiateRunDropWasiHello(benchmark::State& state) {
  static const atl::Linker* shared = [] {
    auto* l = new atl::Linker();
    atl::wasi::add_to_linker(*l);
    return l;
  }();
  const atl::wasi::Config wc = hello_wasi_config();
  for (auto _ : state) {
    atl::Store store(env().pooled);
    auto ctx = atl::wasi::attach(store, wc);
    auto inst = shared->instantiate(store, env().hello_pooled);
    benchmark::DoNotOptimize((*inst->func<void()>("_start"))().ok());
  }
}
BENCHMARK(BM_InstantiateRunDropWasiHello)->Threads(1)->Threads(2)->UseRealTime();

// The same with a Linker per store, redefining the 46 WASI functions each time.
void BM_InstantiateRunDropWasiHelloLinkerPerStore(benchmark::State& state) {
  const atl::wasi::Config wc = hello_wasi_config();
  for (auto _ : state) {
    atl::Store store(env().pooled);
    atl::Linker linker(store);
    auto ctx = atl::wasi::add_to_linker(linker, wc);
    auto inst = linker.instantiate(env().hello_pooled);
    benchmark::DoNotOptimize((*inst->func<void()>("_start"))().ok());
  }
}
BENCHMARK(BM_InstantiateRunDropWasiHelloLinkerPerStore)->Threads(1)->Threads(2)->UseRealTime();

// A one-page memory, pooled and not: what the slot reuse saves over mmap + munmap of 8 GiB.
void InstantiateDropMemory(benchmark::State& state, uint32_t pool_slots, uint64_t keep_resident) {
  atl::Config c = pooled_config(pool_slots);
  c.memory_pool_keep_resident = keep_resident;
  atl::Engine engine(c);
  auto m = *atl::compile_module(engine, atl::test::wat(
      "(module (memory 1) (func (export \"touch\") (i32.store (i32.const 100) (i32.const 1))))"));
  for (auto _ : state) {
    atl::Store store(engine);
    atl::Linker linker(store);
    auto inst = linker.instantiate(m);
    benchmark::DoNotOptimize((*inst->func<void()>("touch"))().ok());
  }
}
// Pooled slots are reset by zeroing the touched page (default) or by madvise (keep_resident 0).
void BM_InstantiateTouchDropMemory(benchmark::State& state) { InstantiateDropMemory(state, 0, 0); }
void BM_InstantiateTouchDropMemoryPooled(benchmark::State& state) {
  InstantiateDropMemory(state, 64, atl::Config{}.memory_pool_keep_resident);
}
void BM_InstantiateTouchDropMemoryPooledMadvise(benchmark::State& state) { InstantiateDropMemory(state, 64, 0); }
BENCHMARK(BM_InstantiateTouchDropMemory)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_InstantiateTouchDropMemoryPooled)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_InstantiateTouchDropMemoryPooledMadvise)->Threads(1)->Threads(2)->UseRealTime();

uint64_t resident_kib() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * 4;
}

// Resident memory per idle instance suspended in a host call: `kGuest` (a one-page memory,
// untouched) in a pooled explicit-bounds engine with 64 KiB guest stacks. Reported as a counter
// (KiB per instance); the timing is not the point.
void BM_ResidentPerSuspendedInstance(benchmark::State& state) {
  atl::Config c;
  c.bounds = atl::BoundsChecks::Explicit;
  c.max_memory_pages = 1024;
  c.memory_pool_slots = 10000;
  c.max_wasm_stack = 48 << 10;
  c.host_stack_reserve = 16 << 10;
  atl::Engine engine(c);
  auto m = *atl::compile_module(engine, atl::test::wat(kGuest));
  const int n = static_cast<int>(state.range(0));
  double per_instance = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<atl::Store>> stores;
    std::vector<atl::AsyncCall> calls;
    stores.reserve(n);
    calls.reserve(n);
    const uint64_t before = resident_kib();
    for (int i = 0; i < n; ++i) {
      stores.push_back(std::make_unique<atl::Store>(engine));
      atl::Linker linker(*stores.back());
      define_wait(linker);
      auto inst = *linker.instantiate(m);
      calls.push_back(*inst.func("forever")->call_async({}));
      if (*calls.back().resume() != atl::AsyncCall::State::Suspended) state.SkipWithError("did not suspend");
    }
    per_instance = static_cast<double>(resident_kib() - before) / n;
  }
  state.counters["KiB_per_instance"] = per_instance;
}
BENCHMARK(BM_ResidentPerSuspendedInstance)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);

// The most live instances (each with a one-page memory, called once) a pool sustains: guard-page
// mode (8 GiB slots, arg 0) and bounds-checked mode with 64 MiB memories (arg 1). Stops at the
// target or the first failure; the counter is how many were alive at once.
void BM_MaxLiveInstances(benchmark::State& state) {
  const bool guard = state.range(0) == 0;
  const uint32_t target = guard ? 15000 : 100000;
  atl::Config c;
  c.bounds = guard ? atl::BoundsChecks::GuardPages : atl::BoundsChecks::Explicit;
  c.max_memory_pages = 1024;
  c.memory_pool_slots = target;
  atl::Engine engine(c);
  auto m = *atl::compile_module(engine, atl::test::wat(
      "(module (memory 1) (func (export \"touch\") (i32.store (i32.const 100) (i32.const 1))))"));
  uint32_t live = 0;
  std::string error;
  for (auto _ : state) {
    std::vector<std::unique_ptr<atl::Store>> stores;
    stores.reserve(target);
    for (live = 0; live < target; ++live) {
      stores.push_back(std::make_unique<atl::Store>(engine));
      atl::Linker linker(*stores.back());
      auto inst = linker.instantiate(m);
      if (!inst.ok()) {
        error = inst.error().message;
        break;
      }
      if (!(*inst->func<void()>("touch"))().ok()) break;
    }
  }
  state.counters["live"] = live;
  if (!error.empty()) state.SetLabel(error);
}
BENCHMARK(BM_MaxLiveInstances)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

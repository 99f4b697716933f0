// Embedding atoll: compile a module, give it a host function, call its exports with typed
// signatures, share memory with it, and handle a trap.
//
//   embed GUEST.wasm
#include <atoll/atoll.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s GUEST.wasm\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> wasm((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  atl::Engine engine;  // defaults: -O2, guard-page sandboxing
  auto module = atl::compile_module(engine, wasm);
  if (!module.ok()) {
    std::fprintf(stderr, "compile: %s\n", module.error().to_string().c_str());
    return 1;
  }
  atl::Store store(engine);
  atl::Linker linker(store);
  // The wasm signature [i32 i32] -> [] comes from the C++ parameter types; Caller gives
  // bounds-checked access to the calling instance's memory.
  linker.func("host", "log", [](atl::Caller& caller, int32_t ptr, int32_t len) -> atl::Result<void> {
    auto memory = caller.memory();
    if (!memory.ok()) return memory.take_error();
    auto text = memory->read_string(static_cast<uint32_t>(ptr), static_cast<uint32_t>(len));
    if (!text.ok()) return text.take_error();  // a bad pointer traps the guest, not the host
    std::printf("guest says: %s\n", text->c_str());
    return {};
  });
  auto instance = linker.instantiate(*module);
  if (!instance.ok()) {
    std::fprintf(stderr, "instantiate: %s\n", instance.error().to_string().c_str());
    return 1;
  }

  auto greet = instance->func<void()>("greet");
  if (!greet.ok() || !(*greet)().ok()) return 1;

  auto memory = instance->memory();
  for (uint32_t i = 0; i < 100; ++i) {
    if (!memory->store<uint32_t>(1024 + 4 * i, i + 1).ok()) return 1;
  }
  auto sum = instance->func<int64_t(int32_t, int32_t)>("sum");
  auto total = (*sum)(1024, 100);
  if (!total.ok()) return 1;
  std::printf("sum of 1..100 computed by the guest: %lld\n", static_cast<long long>(*total));

  auto read = instance->func<int32_t(int32_t)>("read");
  auto bad = (*read)(1 << 20);  // past the 64 KiB memory
  if (bad.ok()) return 1;
  std::printf("trap: %s\n%s", bad.error().message.c_str(), bad.error().backtrace.c_str());
  return *total == 5050 ? 0 : 1;
}

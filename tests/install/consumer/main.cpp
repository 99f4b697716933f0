// An embedder outside atoll's tree: compiles a module (through the installed compiler plugin,
// found beside libatoll.so) and calls an export. Prints "add(40, 2) = 42" on success.
#include <atoll/atoll.h>

#include <cstdio>
#include <vector>

int main() {
  // (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
  const std::vector<uint8_t> wasm = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60,
                                     0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01,
                                     0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20,
                                     0x00, 0x20, 0x01, 0x6a, 0x0b};
  atl::Engine engine;
  auto module = atl::compile_module(engine, wasm);
  if (!module.ok()) {
    std::fprintf(stderr, "compile: %s\n", module.error().to_string().c_str());
    return 1;
  }
  atl::Store store(engine);
  atl::Linker linker(store);
  auto instance = linker.instantiate(*module);
  if (!instance.ok()) {
    std::fprintf(stderr, "instantiate: %s\n", instance.error().to_string().c_str());
    return 1;
  }
  auto add = instance->func<int32_t(int32_t, int32_t)>("add");
  if (!add.ok()) return 1;
  auto r = (*add)(40, 2);
  if (!r.ok()) return 1;
  std::printf("add(40, 2) = %d\n", *r);
  return *r == 42 ? 0 : 1;
}

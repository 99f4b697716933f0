// libFuzzer target: artifacts as a hostile file would be. Each input is taken as an artifact
// with its size and checksum made right (so mutations reach past the checksum), loaded, and
// instantiated when it needs no imports and runs no start function. Loading and instantiating
// must answer with an error or succeed: never crash, read out of bounds or leak. (The machine
// code itself is not executed: native code cannot be validated, which is why running an
// artifact takes --allow-precompiled.)
#include <cstddef>
#include <cstdint>
#include <vector>

#include "artifact/artifact.h"
#include "runtime/objects.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  std::vector<uint8_t> bytes(data, data + size);
  if (!atl::artifact::seal(bytes).ok()) return 0;
  auto loaded = atl::runtime::load_module(std::move(bytes));
  if (!loaded.ok()) return 0;
  const atl::wasm::Module& m = (*loaded)->module;
  if (!m.imports.empty() || m.start) return 0;
  atl::runtime::StoreData store;
  auto inst = atl::runtime::instantiate(store, *loaded, {});
  (void)inst;
  return 0;
}

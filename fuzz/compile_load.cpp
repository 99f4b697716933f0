// libFuzzer target: every input that validates is compiled (LLVM, -O1) and its artifact loaded
// by the runtime. The compiler must never crash or emit IR LLVM rejects on a valid module, and the
// loader must accept whatever the compiler writes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "compiler/compiler.h"
#include "runtime/objects.h"
#include "wasm/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;
  auto module = atl::wasm::decode_and_validate(std::vector<uint8_t>(data, data + size));
  if (!module.ok()) return 0;
  atl::compiler::CompileOptions options;
  options.opt_level = 1;
  options.threads = 1;
  auto artifact = atl::compiler::compile(*module, options);
  if (!artifact.ok()) {
    // Only resource limits may refuse a valid module; anything else is a compiler bug.
    if (artifact.error().kind != atl::ErrorKind::Unsupported) __builtin_trap();
    return 0;
  }
  auto loaded = atl::runtime::load_module(std::move(artifact.value()));
  if (!loaded.ok()) __builtin_trap();
  return 0;
}

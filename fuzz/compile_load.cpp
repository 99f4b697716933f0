// libFuzzer target: every input that validates is compiled (LLVM, -O1; every fourth input by
// size at -O2, where atoll's loop versioning runs) and its artifact loaded
// by the runtime. The compiler must never crash or emit IR LLVM rejects on a valid module, and the
// loader must accept whatever the compiler writes. The explorer then lists and disassembles every
// function of it (`atoll explore`): every native instruction must decode, and its wasm frames must
// name instructions the listing has.
#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

#include "compiler/disassemble.h"
#include "explore/explore.h"

#include "compiler/compiler.h"
#include "runtime/objects.h"
#include "wasm/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;
  auto module = atl::wasm::decode_and_validate(std::vector<uint8_t>(data, data + size));
  if (!module.ok()) return 0;
  atl::compiler::CompileOptions options;
  options.opt_level = size % 4 == 0 ? 2 : 1;
  options.threads = 1;
  auto artifact = atl::compiler::compile(*module, options);
  if (!artifact.ok()) {
    // Only resource limits may refuse a valid module; anything else is a compiler bug.
    if (artifact.error().kind != atl::ErrorKind::Unsupported) __builtin_trap();
    return 0;
  }
  auto loaded = atl::runtime::load_module(std::move(artifact.value()));
  if (!loaded.ok()) __builtin_trap();

  auto disassemble = [](std::span<const uint8_t> code, uint64_t address)
      -> atl::Result<std::vector<atl::explore::Disassembled>> {
    std::vector<atl::explore::Disassembled> out;
    auto r = atl::compiler::disassemble(code, address, [&](uint64_t at, uint32_t n, const std::string& text) {
      out.push_back({at, n, text});
    });
    if (!r.ok()) return r.take_error();
    return out;
  };
  auto e = atl::explore::explore(*module, **loaded, disassemble);
  if (!e.ok()) __builtin_trap();
  std::set<uint64_t> listed;
  for (const auto& f : e->functions) {
    for (const auto& w : f.wasm) listed.insert(w.instr.offset);
  }
  for (const auto& f : e->functions) {
    for (const auto& n : f.native) {
      if (n.text == "(bad)") __builtin_trap();
      for (const auto& frame : n.frames) {
        if (frame.wasm_offset && !listed.count(frame.wasm_offset)) __builtin_trap();
      }
    }
  }
  (void)atl::explore::render_html(*e);
  return 0;
}

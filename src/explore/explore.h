// `atoll explore`: what atoll made of each function, as data (explore()) and as a
// self-contained HTML page (render_html()) showing the wasm instructions beside the x86-64 code
// generated for them, linked by wasm offset through the artifact's debug table.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "atoll/result.h"
#include "runtime/objects.h"
#include "wasm/instr_text.h"
#include "wasm/module.h"

namespace atl::explore {

struct Disassembled {
  uint64_t address = 0;
  uint32_t size = 0;
  std::string text;
};
// Disassembles code taken to be at `address` (the compiler plugin's, or LLVM in-process in tests).
using Disassembler = std::function<Result<std::vector<Disassembled>>(std::span<const uint8_t>, uint64_t)>;

struct NativeLine {
  uint64_t address = 0;  // from the start of the module's code
  std::string bytes;     // hex
  std::string text;      // with call targets named
  // The wasm frames the instruction belongs to, innermost first (several where LLVM inlined);
  // empty where the debug table knows nothing (prologue, trap blocks' calls, padding).
  std::vector<artifact::WasmFrameInfo> frames;
};

struct WasmLine {
  wasm::ListedInstr instr;
  std::string source;  // "file:line" where the guest's DWARF says the line changes, else ""
  bool has_code = false;  // some native instruction names this offset
};

struct FunctionView {
  uint32_t index = 0;
  std::string name;  // display name ("" when it has none)
  std::string signature;
  std::vector<WasmLine> wasm;
  std::vector<NativeLine> native;
  uint64_t code_size = 0;
};

struct Exploration {
  std::string module_name;
  std::string settings;  // bounds mode, CPU, instrumentation, compiler
  std::vector<FunctionView> functions;  // defined functions in index order
};

// `wasm`: the decoded module the artifact of `loaded` was compiled from (its bodies are needed:
// the artifact keeps none).
Result<Exploration> explore(const wasm::Module& wasm, const runtime::LoadedModule& loaded,
                            const Disassembler& disassemble);

// The page: one file, no external resources, readable without JavaScript; with it, hovering an
// instruction on either side highlights its counterparts and clicking scrolls them into view.
std::string render_html(const Exploration& e);

}  // namespace atl::explore

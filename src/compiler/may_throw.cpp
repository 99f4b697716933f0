// Why: generated code checks for a pending exception after a call and leaves for the innermost
// handler (emit_exceptions.cpp). Modules with tags check after every call; a module without tags
// used to check only inside its own handlers, so an exception passing through it (module A
// throws, tagless B calls A, C calls B and catches) left B's frames running on with zero
// results. Checking after the calls that may end that way, and only those, keeps the cost off
// the calls that cannot (a compute kernel's own recursion, say).
#include "compiler/may_throw.h"

#include "support/reader.h"
#include "wasm/instr_reader.h"

namespace atl::compiler {

std::vector<uint8_t> functions_that_may_throw(const wasm::Module& wm) {
  const uint32_t n = wm.num_funcs();
  std::vector<uint8_t> may(n, 0);
  std::vector<std::vector<uint32_t>> callers(n);  // direct calls, reversed
  std::vector<uint32_t> work;
  for (uint32_t f = 0; f < wm.num_imported_funcs; ++f) {
    may[f] = 1;
    work.push_back(f);
  }
  for (uint32_t f = wm.num_imported_funcs; f < n; ++f) {
    const wasm::FunctionBody& body = wm.bodies[f - wm.num_imported_funcs];
    Reader r(wm.bytes.data() + body.code_offset, wm.bytes.data() + body.offset + body.size, body.code_offset);
    wasm::InstrReader ir(r);
    wasm::Instr in;
    bool seed = false;
    while (r.offset() < body.offset + body.size && ir.next(in)) {
      switch (in.op) {
        case wasm::Op::Call:
        case wasm::Op::ReturnCall:
          if (in.index < n) callers[in.index].push_back(f);
          break;
        case wasm::Op::CallIndirect: case wasm::Op::ReturnCallIndirect: case wasm::Op::CallRef:
        case wasm::Op::ReturnCallRef: case wasm::Op::Throw: case wasm::Op::ThrowRef: case wasm::Op::Rethrow:
          seed = true;
          break;
        default: break;
      }
    }
    // A body that does not decode cleanly was never validated: assume the worst.
    if (seed || !r.ok()) {
      may[f] = 1;
      work.push_back(f);
    }
  }
  while (!work.empty()) {
    const uint32_t g = work.back();
    work.pop_back();
    for (uint32_t f : callers[g]) {
      if (may[f]) continue;
      may[f] = 1;
      work.push_back(f);
    }
  }
  return may;
}

}  // namespace atl::compiler

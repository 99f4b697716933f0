#include "compiler/shape.h"

#include <algorithm>

#include "support/reader.h"
#include "wasm/instr_reader.h"

namespace atl::compiler {

FunctionShape measure(const wasm::Module& m, uint32_t func_index) {
  const wasm::FunctionBody& body = m.bodies[func_index - m.num_imported_funcs];
  FunctionShape s;
  s.locals = m.func_type(func_index).params.size() + body.num_locals;
  Reader r(m.bytes.data() + body.code_offset, m.bytes.data() + body.offset + body.size, body.code_offset);
  wasm::InstrReader ir(r);
  wasm::Instr in;
  uint32_t run = 0;
  while (r.offset() < body.offset + body.size && ir.next(in)) {
    switch (in.op) {
      case wasm::Op::Block: case wasm::Op::Loop: case wasm::Op::If: case wasm::Op::Else: case wasm::Op::End:
      case wasm::Op::Br: case wasm::Op::BrIf: case wasm::Op::BrTable: case wasm::Op::Return:
      case wasm::Op::Unreachable: case wasm::Op::Try: case wasm::Op::TryTable: case wasm::Op::Catch:
      case wasm::Op::CatchAll: case wasm::Op::Delegate: case wasm::Op::Throw: case wasm::Op::ThrowRef:
      case wasm::Op::Rethrow: case wasm::Op::BrOnNull: case wasm::Op::BrOnNonNull:
        ++s.control_instructions;
        run = 0;
        break;
      default: s.longest_straight_run = std::max(s.longest_straight_run, ++run); break;
    }
  }
  return s;
}

bool needs_cheap_pipeline(const FunctionShape& s) {
  constexpr uint32_t kMaxStraightRun = 16384;
  constexpr uint64_t kMaxLocals = 8192;
  constexpr uint64_t kMaxLocalsTimesJoins = 16'000'000;
  return s.longest_straight_run > kMaxStraightRun || s.locals > kMaxLocals ||
         s.locals * s.control_instructions > kMaxLocalsTimesJoins;
}

std::vector<bool> cheap_functions(const wasm::Module& m) {
  std::vector<bool> cheap(m.bodies.size());
  for (uint32_t i = 0; i < m.bodies.size(); ++i) {
    cheap[i] = needs_cheap_pipeline(measure(m, m.num_imported_funcs + i));
  }
  return cheap;
}

}  // namespace atl::compiler

// Why: wasm tail calls (return_call) need LLVM's tailcc, whose guaranteed tail calls make every
// callee pop its argument area, and on x86-64 that area is never empty: it is padded to 8 bytes
// so the frame stays 16-byte aligned. So every call ends in `ret $8` and the caller's
// `sub $8, %rsp`, and a recursive fib ran at 1.9x native (1.27x with a plain convention);
// lua's interpreter 5% faster with it. A module that makes no tail calls needs the convention
// only where code it does not see may tail-call it: its functions' entries in tables, exports
// and imports, and the host's trampolines. Its bodies then use LLVM's fastcc (the plain
// convention, no callee pop), called directly by the module's own `call`s, and each gets a
// small wrapper in the wasm convention (atl_wrap_<index>) that the runtime hands out as the
// function's address. A tail call into the wrapper reuses the caller's frame as before; the
// wrapper's own frame is one and bounded, since the body makes no tail calls. Backtraces skip
// the wrapper frames (runtime/invoke.cpp).
#include "compiler/call_entries.h"

#include <llvm/IR/IRBuilder.h>

#include <string>
#include <vector>

#include "abi/abi.h"
#include "compiler/module_context.h"
#include "support/reader.h"
#include "wasm/instr_reader.h"

namespace atl::compiler {

bool uses_tail_calls(const wasm::Module& wm) {
  for (const wasm::FunctionBody& body : wm.bodies) {
    Reader r(wm.bytes.data() + body.code_offset, wm.bytes.data() + body.offset + body.size, body.code_offset);
    wasm::InstrReader ir(r);
    wasm::Instr in;
    while (r.offset() < body.offset + body.size && ir.next(in)) {
      if (in.op == wasm::Op::ReturnCall || in.op == wasm::Op::ReturnCallIndirect || in.op == wasm::Op::ReturnCallRef) {
        return true;
      }
    }
    if (!r.ok()) return true;
  }
  return false;
}

void emit_wrapper(ModuleContext& mc, uint32_t index, llvm::Function* body) {
  llvm::Function* w = llvm::Function::Create(body->getFunctionType(), llvm::Function::ExternalLinkage,
                                             abi::kWrapSymbolPrefix + std::to_string(index), mc.mod);
  mc.set_wasm_function_attributes(w);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(mc.ctx, "entry", w));
  std::vector<llvm::Value*> args;
  for (llvm::Argument& a : w->args()) args.push_back(&a);
  llvm::CallInst* c = b.CreateCall(body, args);
  c->setCallingConv(body->getCallingConv());
  c->setTailCallKind(llvm::CallInst::TCK_NoTail);
  // Never inlined: the wrapper's frame is skipped in backtraces, so it must hold no guest code.
  c->addFnAttr(llvm::Attribute::NoInline);
  if (c->getType()->isVoidTy()) {
    b.CreateRetVoid();
  } else {
    b.CreateRet(c);
  }
}

}  // namespace atl::compiler

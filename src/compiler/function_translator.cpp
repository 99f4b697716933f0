#include "compiler/function_translator.h"

#include <llvm/IR/DebugInfoMetadata.h>
#include <llvm/IR/InlineAsm.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/MDBuilder.h>

namespace atl::compiler {

using wasm::Op;

FunctionTranslator::FunctionTranslator(ModuleContext& mc, uint32_t func_index)
    : mc_(mc),
      func_index_(func_index),
      type_(mc.wm.func_type(func_index)),
      fn_(mc.funcs[func_index]),
      b_(mc.ctx) {}

bool FunctionTranslator::fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
  return false;
}

std::vector<llvm::Value*> FunctionTranslator::pop_n(size_t n) {
  std::vector<llvm::Value*> out(stack_.end() - static_cast<ptrdiff_t>(n), stack_.end());
  stack_.resize(stack_.size() - n);
  return out;
}

llvm::Value* FunctionTranslator::vmctx_field(unsigned offset, llvm::Type* type, bool invariant) {
  llvm::Value* p = b_.CreateConstInBoundsGEP1_64(mc_.i8, vmctx_, offset);
  llvm::LoadInst* l = b_.CreateAlignedLoad(type, p, llvm::Align(8));
  l->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_vmctx);
  if (invariant) l->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(mc_.ctx, {}));
  return l;
}

Result<void> FunctionTranslator::translate() {
  const wasm::Module& wm = mc_.wm;
  const wasm::FunctionBody& body = wm.bodies[func_index_ - wm.num_imported_funcs];

  llvm::BasicBlock* entry = llvm::BasicBlock::Create(mc_.ctx, "entry", fn_);
  b_.SetInsertPoint(entry);
  // Every instruction's location is its wasm offset (compiler/debug_info.h); the prologue's is
  // the body's.
  llvm::DISubprogram* sp = fn_->getSubprogram();
  auto locate = [&](uint64_t offset) {
    if (sp) b_.SetCurrentDebugLocation(llvm::DILocation::get(mc_.ctx, static_cast<unsigned>(offset), 0, sp));
  };
  locate(body.offset);
  vmctx_ = fn_->getArg(0);
  vmctx_->setName("vmctx");

  // Locals: parameters first, then declared locals, zero-initialised.
  for (size_t i = 0; i < type_.params.size(); ++i) {
    llvm::Type* t = mc_.type_of(type_.params[i]);
    llvm::AllocaInst* a = b_.CreateAlloca(t);
    b_.CreateStore(fn_->getArg(static_cast<unsigned>(i + 1)), a);
    locals_.push_back(a);
    local_types_.push_back(t);
  }
  for (const auto& [count, vt] : body.local_groups) {
    llvm::Type* t = mc_.type_of(vt);
    for (uint32_t k = 0; k < count; ++k) {
      llvm::AllocaInst* a = b_.CreateAlloca(t);
      b_.CreateStore(llvm::Constant::getNullValue(t), a);
      locals_.push_back(a);
      local_types_.push_back(t);
    }
  }

  // Stack exhaustion is checked on entry against the limit in the VM context: deterministic,
  // and it leaves room below the limit for the trap path itself.
  {
    llvm::Function* read_reg = llvm::Intrinsic::getDeclaration(&mc_.mod, llvm::Intrinsic::read_register, {mc_.i64});
    llvm::Metadata* rsp = llvm::MDString::get(mc_.ctx, "rsp");
    llvm::Value* sp = b_.CreateCall(read_reg, {llvm::MetadataAsValue::get(mc_.ctx, llvm::MDNode::get(mc_.ctx, {rsp}))});
    limits_ = vmctx_field(offsetof(abi::VMContext, limits), mc_.ptr, true);
    llvm::LoadInst* limit = b_.CreateAlignedLoad(mc_.i64, limits_, llvm::Align(8));
    limit->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_vmctx);
    trap_if(b_.CreateICmpULT(sp, limit), abi::TrapCode::StackOverflow);
  }

  if (!wm.memories.empty()) {
    // The memory never moves during an instance's life, in either bounds mode.
    memory_base_ = vmctx_field(abi::kVmMemoryBase, mc_.ptr, true);
  }
  entry_ = b_.GetInsertBlock();
  exception_checks_ = !wm.tags.empty();
  memory_bases_.assign(wm.memories.size(), nullptr);

  // The function's own frame: `return` and the final `end` branch to its label.
  Frame f;
  f.kind = FrameKind::Function;
  f.label = llvm::BasicBlock::Create(mc_.ctx, "return", fn_);
  for (wasm::ValType r : type_.results) f.result_types.push_back(mc_.type_of(r));
  f.label_phis = make_phis(f.label, f.result_types);
  f.height = 0;
  frames_.push_back(std::move(f));

  Reader r(wm.bytes.data() + body.code_offset, wm.bytes.data() + body.offset + body.size,
           body.code_offset);
  wasm::InstrReader ir(r);
  wasm::Instr in;
  while (!frames_.empty()) {
    if (!ir.next(in)) {
      return make_error(ErrorKind::Malformed, r.error(), r.error_offset(), func_index_);
    }
    locate(in.offset);
    // A load whose value is immediately dropped must still trap when out of bounds.
    next_load_dropped_ = !unreachable_ && r.peek_u8() == 0x1a;
    if (mc_.opts.consume_fuel && !unreachable_) {
      // Every executed instruction costs one unit; the count is settled before anything that
      // ends or starts a block, or calls, so exhaustion happens at the same point every run.
      ++pending_fuel_;
      switch (in.op) {
        case Op::Block: case Op::Loop: case Op::If: case Op::Else: case Op::End: case Op::Br:
        case Op::BrIf: case Op::BrTable: case Op::Return: case Op::Call: case Op::CallIndirect:
        case Op::ReturnCall: case Op::ReturnCallIndirect: case Op::Unreachable: case Op::BrOnNull:
        case Op::BrOnNonNull: case Op::CallRef: case Op::ReturnCallRef: case Op::Throw: case Op::ThrowRef:
        case Op::Rethrow: case Op::Try: case Op::TryTable: case Op::Catch: case Op::CatchAll: case Op::Delegate:
          flush_fuel();
          break;
        default: break;
      }
    }
    catches_ = &ir.catches();
    const bool ok = unreachable_ ? skip_dead(in) : instruction(in, ir.br_targets());
    if (!ok) {
      const bool simd = wasm::op_info(in.op).prefix == 0xfd;
      return make_error(simd ? ErrorKind::Unsupported : ErrorKind::Other,
                        "cannot compile " + std::string(wasm::op_name(in.op)) + ": " + error_,
                        in.offset, func_index_);
    }
  }
  release_caught_on_return();
  // Only return_call may reuse a frame: every other call keeps its caller's (LLVM would otherwise
  // be free to turn a call in tail position into a jump, and runaway recursion into an endless
  // loop instead of the stack-exhaustion trap). `notail` survives inlining into any function.
  for (llvm::BasicBlock& bb : *fn_) {
    for (llvm::Instruction& i : bb) {
      if (auto* c = llvm::dyn_cast<llvm::CallInst>(&i); c && c->getTailCallKind() != llvm::CallInst::TCK_Tail) {
        c->setTailCallKind(llvm::CallInst::TCK_NoTail);
      }
    }
  }
  if (has_tail_calls_) fn_->removeFnAttr("disable-tail-calls");
  return {};
}


// In unreachable code only the block structure matters.
bool FunctionTranslator::skip_dead(const wasm::Instr& in) {
  switch (in.op) {
    case Op::Block:
    case Op::Loop:
    case Op::If:
    case Op::Try:
    case Op::TryTable: ++dead_depth_; return true;
    case Op::Else:
      if (dead_depth_ > 0) return true;
      return control(in, {});
    case Op::Catch:
    case Op::CatchAll:
      if (dead_depth_ > 0) return true;
      return exceptions(in, {});
    case Op::Delegate:
      if (dead_depth_ > 0) {
        --dead_depth_;
        return true;
      }
      return exceptions(in, {});
    case Op::End:
      if (dead_depth_ > 0) {
        --dead_depth_;
        return true;
      }
      if (frames_.back().kind == FrameKind::Try) return exceptions(in, {});
      return control(in, {});
    default: return true;
  }
}

bool FunctionTranslator::instruction(const wasm::Instr& in, const std::vector<uint32_t>& targets) {
  const wasm::OpInfo& info = wasm::op_info(in.op);
  if (info.prefix == 0xfd) return simd(in);
  switch (in.op) {
    case Op::Unreachable:
    case Op::Nop:
    case Op::Block:
    case Op::Loop:
    case Op::If:
    case Op::Else:
    case Op::Br:
    case Op::BrIf:
    case Op::BrTable:
    case Op::BrOnNull:
    case Op::BrOnNonNull:
    case Op::Return: return control(in, targets);
    case Op::Call:
    case Op::CallIndirect:
    case Op::CallRef:
    case Op::ReturnCall:
    case Op::ReturnCallIndirect:
    case Op::ReturnCallRef: return call(in);
    case Op::Try: case Op::Catch: case Op::CatchAll: case Op::Delegate: case Op::Rethrow: case Op::Throw:
    case Op::ThrowRef: case Op::TryTable:
      return exceptions(in, *catches_);
    case Op::End:
      if (frames_.back().kind == FrameKind::Try) return exceptions(in, {});
      return control(in, targets);
    default: break;
  }
  if (info.imm == wasm::ImmKind::MemArg || info.imm == wasm::ImmKind::MemZero ||
      info.imm == wasm::ImmKind::MemInit || info.imm == wasm::ImmKind::MemCopy ||
      in.op == Op::DataDrop) {
    return memory(in);
  }
  if (numeric(in)) return true;
  if (!error_.empty()) return false;
  return variable(in);
}

// The trap's wasm offset (its debug location's line) is also an argument: it keeps the trap
// calls of different sites distinct, so LLVM does not merge them, and each call's own location
// (inline chain included) is what the backtrace reads at its return address.
void FunctionTranslator::trap_now(abi::TrapCode code) {
  const llvm::DebugLoc& loc = b_.getCurrentDebugLocation();
  const uint32_t site = loc ? loc.getLine() : 0;
  if (code == abi::TrapCode::StackOverflow) {
    // The entry check runs after the prologue allocated (and probed) this function's frame, so
    // the stack may end a few bytes above the guard page: too little for the trap path (lazy
    // symbol binding alone saves kilobytes of vector state there). The frame is dead, as the
    // trap never returns, so the call is made from this function's frame pointer: the caller
    // passed its own check, so the host reserve is free below it. The frame chain above (saved
    // frame pointer, return address) is untouched, and the return address, in this function,
    // still names the site for the backtrace.
    llvm::FunctionType* asm_ty = llvm::FunctionType::get(mc_.void_ty, {mc_.i32, mc_.i32}, false);
    llvm::InlineAsm* overflow = llvm::InlineAsm::get(
        asm_ty, std::string("movq %rbp, %rsp\n\tcallq ") + abi::kBuiltinPrefix + "trap",
        "{esi},{edx},~{memory},~{dirflag},~{fpsr},~{flags}", /*hasSideEffects=*/true);
    mc_.builtin("trap");  // declared, so the object names the symbol the asm calls
    b_.CreateCall(overflow, {b_.getInt32(static_cast<uint32_t>(code)), b_.getInt32(site)});
    b_.CreateUnreachable();
    return;
  }
  b_.CreateCall(mc_.builtin("trap"), {vmctx_, b_.getInt32(static_cast<uint32_t>(code)), b_.getInt32(site)});
  b_.CreateUnreachable();
}

// A cold block per site (a few bytes each), so each trap is reported where it happened; except
// explicit bounds checks, one per memory access: a block per access grew code by a third, so
// they share one block per function and report its first site (guard-page mode is exact: its
// faults are signals at the access).
void FunctionTranslator::trap_if(llvm::Value* cond, abi::TrapCode code) {
  const bool shared = code == abi::TrapCode::MemoryOutOfBounds;
  llvm::BasicBlock* trap_bb = shared ? shared_oob_trap_ : nullptr;
  if (!trap_bb) {
    trap_bb = llvm::BasicBlock::Create(mc_.ctx, "trap", fn_);
    llvm::IRBuilderBase::InsertPointGuard guard(b_);
    b_.SetInsertPoint(trap_bb);
    trap_now(code);
    if (shared) shared_oob_trap_ = trap_bb;
  }
  llvm::BasicBlock* cont = llvm::BasicBlock::Create(mc_.ctx, "ok", fn_);
  llvm::MDBuilder md(mc_.ctx);
  b_.CreateCondBr(cond, trap_bb, cont, md.createBranchWeights(1, 1u << 20));
  b_.SetInsertPoint(cont);
}

void FunctionTranslator::flush_fuel() {
  if (pending_fuel_ == 0) return;
  llvm::Value* p = b_.CreateConstInBoundsGEP1_64(mc_.i8, limits_, 8);
  llvm::LoadInst* fuel = b_.CreateAlignedLoad(mc_.i64, p, llvm::Align(8));
  fuel->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_global);
  llvm::Value* left = b_.CreateSub(fuel, b_.getInt64(pending_fuel_));
  b_.CreateAlignedStore(left, p, llvm::Align(8))->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_global);
  pending_fuel_ = 0;
  trap_if(b_.CreateICmpSLT(left, b_.getInt64(0)), abi::TrapCode::OutOfFuel);
}

llvm::Value* FunctionTranslator::intrinsic(llvm::Intrinsic::ID id, llvm::Type* type,
                                           std::vector<llvm::Value*> args) {
  llvm::Function* f = llvm::Intrinsic::getDeclaration(&mc_.mod, id, {type});
  return b_.CreateCall(f, args);
}

}  // namespace atl::compiler

// Exception handling: throw, throw_ref, try_table and the legacy try / catch / catch_all /
// delegate / rethrow.
//
// An exception is a store-wide pending value (RuntimeLimits::exception) rather than a native
// unwind: the throw builtins set it and return, and code leaves for the innermost handler
// ("unwind target"): a try's dispatch block in this function, or the function's return, after
// which the caller's check after the call does the same. The check is a load and a rarely taken
// branch, after every call in modules with tags and after the calls that may throw in the
// others (check_exception); a dispatch compares the exception's tag with each clause's, in
// order, and either takes it (clearing the pending value) or passes it on.
#include "compiler/function_translator.h"

#include <llvm/Transforms/Utils/BasicBlockUtils.h>

namespace atl::compiler {

using wasm::Op;

llvm::AllocaInst* FunctionTranslator::entry_alloca(llvm::Type* t, bool zeroed) {
  llvm::IRBuilder<> eb(mc_.ctx);
  llvm::BasicBlock& first = fn_->getEntryBlock();
  eb.SetInsertPoint(&first, first.getFirstInsertionPt());
  llvm::AllocaInst* a = eb.CreateAlloca(t);
  if (zeroed) eb.CreateStore(llvm::Constant::getNullValue(t), a);
  return a;
}

llvm::Value* FunctionTranslator::pending_exception_ptr() {
  return b_.CreateConstInBoundsGEP1_64(mc_.i8, limits_, offsetof(abi::RuntimeLimits, exception));
}

llvm::Value* FunctionTranslator::load_pending_exception() {
  llvm::LoadInst* e = b_.CreateAlignedLoad(mc_.ptr, pending_exception_ptr(), llvm::Align(8));
  e->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_global);
  return e;
}

// A handler took it.
void FunctionTranslator::clear_pending_exception() {
  b_.CreateAlignedStore(llvm::ConstantPointerNull::get(mc_.ptr), pending_exception_ptr(), llvm::Align(8))
      ->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_global);
}

// The function's own unwind target: return at once (results are never read: the caller checks
// first).
llvm::BasicBlock* FunctionTranslator::unwind_target() {
  if (llvm::BasicBlock* u = frames_.back().unwind) return u;
  return propagate_block();
}

llvm::BasicBlock* FunctionTranslator::propagate_block() {
  if (!propagate_) {
    propagate_ = llvm::BasicBlock::Create(mc_.ctx, "exception.propagate", fn_);
    llvm::IRBuilder<> pb(propagate_);
    llvm::Type* rt = fn_->getReturnType();
    if (rt->isVoidTy()) {
      pb.CreateRetVoid();
    } else {
      pb.CreateRet(llvm::Constant::getNullValue(rt));
    }
  }
  return propagate_;
}

// Modules with tags check after every call; the others inside their own handlers (a catch_all
// needs no tag) and after calls that may end with an exception pending (may_throw.cpp), so that
// an exception passing through leaves their frames at once.
void FunctionTranslator::check_exception() {
  if (!exception_checks_ && !frames_.back().unwind && !callee_may_throw_) return;
  llvm::Value* e = load_pending_exception();
  llvm::BasicBlock* cont = llvm::BasicBlock::Create(mc_.ctx, "no.exception", fn_);
  llvm::MDBuilder md(mc_.ctx);
  b_.CreateCondBr(b_.CreateIsNotNull(e), unwind_target(), cont, md.createBranchWeights(1, 1u << 20));
  b_.SetInsertPoint(cont);
}

llvm::Value* FunctionTranslator::tag_identity(uint32_t tag) {
  llvm::Value* tags = vmctx_field(offsetof(abi::VMContext, tags), mc_.ptr, true);
  llvm::LoadInst* t = b_.CreateAlignedLoad(mc_.ptr, b_.CreateConstInBoundsGEP1_64(mc_.ptr, tags, tag), llvm::Align(8));
  t->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_vmctx);
  t->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(mc_.ctx, {}));
  return t;
}

void FunctionTranslator::load_payload(llvm::Value* exn, uint32_t tag) {
  const wasm::FuncType& t = mc_.wm.types[mc_.wm.tags[tag]];
  for (size_t i = 0; i < t.params.size(); ++i) {
    llvm::Value* slot = b_.CreateConstInBoundsGEP1_64(mc_.i8, exn, offsetof(abi::Exception, slots) + i * abi::kSlotBytes);
    push(b_.CreateAlignedLoad(mc_.type_of(t.params[i]), slot, llvm::Align(8)));
  }
}

// A legacy catch body that ends, or that an exception leaves, is done with its exception.
void FunctionTranslator::drop_caught(const Frame& f) {
  llvm::Value* e = b_.CreateLoad(mc_.ptr, f.caught);
  b_.CreateCall(mc_.builtin("exception_release"), {vmctx_, e});
  b_.CreateStore(llvm::ConstantPointerNull::get(mc_.ptr), f.caught);
}

// A catch body left by a branch or a return keeps holding its exception: the slot lets go of
// it when the body is entered again, and every return of the function lets go of all of them.
// Exceptions are freed only once no holder is left (abi::Exception), so a rethrow caught within
// the same body cannot free what the body still holds, and at most one per catch per active
// frame stays behind.
void FunctionTranslator::release_caught_on_return() {
  if (caught_slots_.empty()) return;
  std::vector<llvm::Instruction*> exits;
  for (llvm::BasicBlock& bb : *fn_) {
    auto* ret = llvm::dyn_cast<llvm::ReturnInst>(bb.getTerminator());
    if (!ret) continue;
    llvm::Instruction* at = ret;
    if (auto* call = llvm::dyn_cast_or_null<llvm::CallInst>(ret->getPrevNode()); call && call->isTailCall()) {
      at = call;  // return_call: the call must stay right before its ret
    }
    exits.push_back(at);
  }
  for (llvm::Instruction* at : exits) {
    for (llvm::AllocaInst* slot : caught_slots_) {
      llvm::IRBuilder<> b(at);
      b.SetCurrentDebugLocation(at->getDebugLoc());
      llvm::Value* e = b.CreateLoad(mc_.ptr, slot);
      llvm::Instruction* then = llvm::SplitBlockAndInsertIfThen(b.CreateIsNotNull(e), at, false);
      b.SetInsertPoint(then);
      b.CreateCall(mc_.builtin("exception_release"), {vmctx_, e});
    }
  }
}

bool FunctionTranslator::exceptions(const wasm::Instr& in, const std::vector<wasm::CatchClause>& catches) {
  switch (in.op) {
    case Op::Throw: {
      const wasm::FuncType& t = mc_.wm.types[mc_.wm.tags[in.index]];
      std::vector<llvm::Value*> values = pop_n(t.params.size());
      if (!throw_slots_) {
        size_t most = 1;
        for (uint32_t type : mc_.wm.tags) most = std::max(most, mc_.wm.types[type].params.size());
        throw_slots_ = entry_alloca(llvm::ArrayType::get(mc_.i8, most * abi::kSlotBytes));
        throw_slots_->setAlignment(llvm::Align(16));
      }
      for (size_t i = 0; i < values.size(); ++i) {
        b_.CreateAlignedStore(values[i], b_.CreateConstInBoundsGEP1_64(mc_.i8, throw_slots_, i * abi::kSlotBytes),
                              llvm::Align(16));
      }
      b_.CreateCall(mc_.builtin("throw"), {vmctx_, b_.getInt32(in.index), throw_slots_});
      b_.CreateBr(unwind_target());
      set_unreachable();
      return true;
    }
    case Op::ThrowRef:
      b_.CreateCall(mc_.builtin("throw_ref"), {vmctx_, pop()});
      b_.CreateBr(unwind_target());
      set_unreachable();
      return true;
    case Op::Rethrow: {
      const Frame& f = frames_[frames_.size() - 1 - in.index];
      b_.CreateCall(mc_.builtin("throw_ref"), {vmctx_, b_.CreateLoad(mc_.ptr, f.caught)});
      b_.CreateBr(unwind_target());
      set_unreachable();
      return true;
    }

    case Op::TryTable: {
      // A block whose unwind target is a dispatch over its clauses, built now: the clauses'
      // labels are relative to the frames outside the try_table.
      std::vector<llvm::Type*> params, results;
      block_types(in.block, params, results);
      llvm::BasicBlock* dispatch = llvm::BasicBlock::Create(mc_.ctx, "catch.dispatch", fn_);
      {
        llvm::BasicBlock* outer = unwind_target();
        llvm::IRBuilderBase::InsertPointGuard guard(b_);
        b_.SetInsertPoint(dispatch);
        llvm::Value* e = load_pending_exception();
        llvm::Value* thrown_tag = b_.CreateAlignedLoad(mc_.ptr, e, llvm::Align(8));
        bool exhaustive = false;
        for (const wasm::CatchClause& c : catches) {
          const bool tagged = c.kind == wasm::CatchClause::Catch || c.kind == wasm::CatchClause::CatchRef;
          const bool keep = c.kind == wasm::CatchClause::CatchRef || c.kind == wasm::CatchClause::CatchAllRef;
          llvm::BasicBlock* next = nullptr;
          if (tagged) {
            llvm::BasicBlock* hit = llvm::BasicBlock::Create(mc_.ctx, "catch", fn_);
            next = llvm::BasicBlock::Create(mc_.ctx, "catch.next", fn_);
            b_.CreateCondBr(b_.CreateICmpEQ(thrown_tag, tag_identity(c.tag)), hit, next);
            b_.SetInsertPoint(hit);
          }
          clear_pending_exception();
          const size_t height = stack_.size();
          if (tagged) load_payload(e, c.tag);
          if (keep) {
            b_.CreateCall(mc_.builtin("exception_pin"), {vmctx_, e});
            push(e);
          } else {
            b_.CreateCall(mc_.builtin("exception_drop"), {vmctx_, e});
          }
          add_incoming(label_phis(c.label));
          b_.CreateBr(label_block(c.label));
          stack_.resize(height);
          if (!tagged) {
            exhaustive = true;  // catch_all: later clauses never run
            break;
          }
          b_.SetInsertPoint(next);
        }
        if (!exhaustive) b_.CreateBr(outer);
      }
      Frame f;
      f.kind = FrameKind::Block;
      f.height = stack_.size() - params.size();
      f.result_types = results;
      f.unwind = dispatch;
      f.label = llvm::BasicBlock::Create(mc_.ctx, "try_table.end", fn_);
      f.label_phis = make_phis(f.label, results);
      frames_.push_back(std::move(f));
      return true;
    }

    case Op::Try: {
      std::vector<llvm::Type*> params, results;
      block_types(in.block, params, results);
      Frame f;
      f.kind = FrameKind::Try;
      f.height = stack_.size() - params.size();
      f.result_types = results;
      f.outer_unwind = unwind_target();
      f.dispatch_tail = llvm::BasicBlock::Create(mc_.ctx, "try.dispatch", fn_);
      f.unwind = f.dispatch_tail;
      f.caught = entry_alloca(mc_.ptr, true);
      caught_slots_.push_back(f.caught);
      f.label = llvm::BasicBlock::Create(mc_.ctx, "try.end", fn_);
      f.label_phis = make_phis(f.label, results);
      frames_.push_back(std::move(f));
      return true;
    }
    case Op::Catch:
    case Op::CatchAll: {
      Frame& f = frames_.back();
      // The try body (or the previous catch body) ends here, as before an else.
      if (!unreachable_) {
        if (f.in_catch) drop_caught(f);
        add_incoming(f.label_phis);
        b_.CreateBr(f.label);
      }
      // A catch body's exceptions go outwards, once the body has let go of its own.
      f.unwind = llvm::BasicBlock::Create(mc_.ctx, "catch.unwind", fn_);
      {
        llvm::IRBuilderBase::InsertPointGuard guard(b_);
        b_.SetInsertPoint(f.unwind);
        drop_caught(f);
        b_.CreateBr(f.outer_unwind);
      }
      b_.SetInsertPoint(f.dispatch_tail);
      llvm::Value* e = load_pending_exception();
      llvm::BasicBlock* body = llvm::BasicBlock::Create(mc_.ctx, in.op == Op::Catch ? "catch" : "catch_all", fn_);
      if (in.op == Op::Catch) {
        llvm::BasicBlock* next = llvm::BasicBlock::Create(mc_.ctx, "try.dispatch", fn_);
        llvm::Value* thrown_tag = b_.CreateAlignedLoad(mc_.ptr, e, llvm::Align(8));
        b_.CreateCondBr(b_.CreateICmpEQ(thrown_tag, tag_identity(in.index)), body, next);
        f.dispatch_tail = next;
      } else {
        b_.CreateBr(body);
        f.dispatch_tail = nullptr;
      }
      b_.SetInsertPoint(body);
      clear_pending_exception();
      b_.CreateCall(mc_.builtin("exception_hold"), {vmctx_, b_.CreateLoad(mc_.ptr, f.caught), e});
      b_.CreateStore(e, f.caught);
      stack_.resize(f.height);
      if (in.op == Op::Catch) load_payload(e, in.index);
      f.in_catch = true;
      unreachable_ = false;
      dead_depth_ = 0;
      return true;
    }
    case Op::Delegate:
    case Op::End: {
      // An exception no catch took goes on: outwards, or for delegate, to the handler in
      // effect at the target label (counted from outside this try).
      Frame& f = frames_.back();
      if (!unreachable_ && f.in_catch) drop_caught(f);
      if (f.dispatch_tail) {
        llvm::BasicBlock* target = f.outer_unwind;
        if (in.op == Op::Delegate) {
          target = frames_[frames_.size() - 2 - in.index].unwind;
          if (!target) target = propagate_block();  // the function's frame: return
        }
        llvm::IRBuilderBase::InsertPointGuard guard(b_);
        b_.SetInsertPoint(f.dispatch_tail);
        b_.CreateBr(target);
      }
      end_frame();
      return true;
    }
    default: return fail("not an exception instruction");
  }
}

}  // namespace atl::compiler

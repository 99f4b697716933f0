// Control instructions: blocks, loops, if/else, branches, return, unreachable.
#include "compiler/function_translator.h"

namespace atl::compiler {

using wasm::Op;

void FunctionTranslator::block_types(const wasm::BlockType& bt, std::vector<llvm::Type*>& params,
                                     std::vector<llvm::Type*>& results) const {
  switch (bt.kind) {
    case wasm::BlockType::Kind::Empty: break;
    case wasm::BlockType::Kind::Value: results.push_back(mc_.type_of(bt.type)); break;
    case wasm::BlockType::Kind::Index: {
      const wasm::FuncType& t = mc_.wm.types[bt.index];
      for (wasm::ValType p : t.params) params.push_back(mc_.type_of(p));
      for (wasm::ValType r : t.results) results.push_back(mc_.type_of(r));
      break;
    }
  }
}

std::vector<llvm::PHINode*> FunctionTranslator::make_phis(llvm::BasicBlock* bb,
                                                          const std::vector<llvm::Type*>& types) {
  std::vector<llvm::PHINode*> phis;
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  b_.SetInsertPoint(bb);
  for (llvm::Type* t : types) phis.push_back(b_.CreatePHI(t, 2));
  return phis;
}

void FunctionTranslator::add_incoming(const std::vector<llvm::PHINode*>& phis) {
  llvm::BasicBlock* from = b_.GetInsertBlock();
  const size_t n = phis.size();
  for (size_t i = 0; i < n; ++i) phis[i]->addIncoming(stack_[stack_.size() - n + i], from);
}

const std::vector<llvm::PHINode*>& FunctionTranslator::label_phis(uint32_t depth) {
  return frames_[frames_.size() - 1 - depth].label_phis;
}

llvm::BasicBlock* FunctionTranslator::label_block(uint32_t depth) {
  return frames_[frames_.size() - 1 - depth].label;
}

void FunctionTranslator::set_unreachable() {
  unreachable_ = true;
  dead_depth_ = 0;
  stack_.resize(frames_.back().height);
}

static void erase_block_with_phis(llvm::BasicBlock* bb, std::vector<llvm::PHINode*>& phis) {
  for (llvm::PHINode* p : phis) p->eraseFromParent();
  phis.clear();
  bb->eraseFromParent();
}

// Ends the innermost block: the values that flow out are its label's PHIs; if no path reaches
// the continuation, what follows is unreachable.
void FunctionTranslator::end_frame() {
  Frame f = std::move(frames_.back());
  frames_.pop_back();
  if (f.kind == FrameKind::Loop) {
    // A loop's end is its fall-through; its label (the header) is behind us.
    if (unreachable_) {
      stack_.resize(f.height);
    }
    return;
  }
  if (f.kind == FrameKind::If && f.else_block) {
    // No else: the else path passes the parameters through as results.
    if (!unreachable_) {
      add_incoming(f.label_phis);
      b_.CreateBr(f.label);
    }
    b_.SetInsertPoint(f.else_block);
    stack_.resize(f.height);
    for (llvm::Value* v : f.if_params) push(v);
    unreachable_ = false;
  }
  if (!unreachable_) {
    add_incoming(f.label_phis);
    b_.CreateBr(f.label);
  }
  stack_.resize(f.height);
  if (llvm::pred_empty(f.label)) {
    erase_block_with_phis(f.label, f.label_phis);
    if (f.kind == FrameKind::Function) return;
    unreachable_ = true;
    dead_depth_ = 0;
    return;
  }
  b_.SetInsertPoint(f.label);
  unreachable_ = false;
  for (llvm::PHINode* p : f.label_phis) push(p);
  if (f.kind == FrameKind::Function) finish_function();
}

void FunctionTranslator::finish_function() {
  llvm::Type* rt = fn_->getReturnType();
  if (rt->isVoidTy()) {
    b_.CreateRetVoid();
  } else if (type_.results.size() == 1) {
    b_.CreateRet(pop());
  } else {
    llvm::Value* agg = llvm::UndefValue::get(rt);
    std::vector<llvm::Value*> vals = pop_n(type_.results.size());
    for (unsigned i = 0; i < vals.size(); ++i) agg = b_.CreateInsertValue(agg, vals[i], {i});
    b_.CreateRet(agg);
  }
}

bool FunctionTranslator::control(const wasm::Instr& in, const std::vector<uint32_t>& targets) {
  switch (in.op) {
    case Op::Nop: return true;
    case Op::Unreachable:
      trap_now(abi::TrapCode::Unreachable);
      set_unreachable();
      return true;

    case Op::Block:
    case Op::Loop:
    case Op::If: {
      std::vector<llvm::Type*> params, results;
      block_types(in.block, params, results);
      llvm::Value* cond = in.op == Op::If ? pop() : nullptr;
      Frame f;
      f.height = stack_.size() - params.size();
      f.result_types = results;
      f.unwind = frames_.back().unwind;
      if (in.op == Op::Loop) {
        f.kind = FrameKind::Loop;
        f.label = llvm::BasicBlock::Create(mc_.ctx, "loop", fn_);
        f.label_phis = make_phis(f.label, params);
        add_incoming(f.label_phis);
        b_.CreateBr(f.label);
        b_.SetInsertPoint(f.label);
        stack_.resize(f.height);
        for (llvm::PHINode* p : f.label_phis) push(p);

      } else {
        f.kind = in.op == Op::If ? FrameKind::If : FrameKind::Block;
        f.label = llvm::BasicBlock::Create(mc_.ctx, in.op == Op::If ? "if.end" : "block.end", fn_);
        f.label_phis = make_phis(f.label, results);
        if (in.op == Op::If) {
          llvm::BasicBlock* then_bb = llvm::BasicBlock::Create(mc_.ctx, "then", fn_);
          f.else_block = llvm::BasicBlock::Create(mc_.ctx, "else", fn_);
          b_.CreateCondBr(b_.CreateICmpNE(cond, b_.getInt32(0)), then_bb, f.else_block);
          b_.SetInsertPoint(then_bb);
          f.if_params.assign(stack_.end() - static_cast<ptrdiff_t>(params.size()), stack_.end());
        }
      }
      frames_.push_back(std::move(f));
      return true;
    }
    case Op::Else: {
      Frame& f = frames_.back();
      if (!unreachable_) {
        add_incoming(f.label_phis);
        b_.CreateBr(f.label);
      }
      b_.SetInsertPoint(f.else_block);
      f.else_block = nullptr;
      stack_.resize(f.height);
      for (llvm::Value* v : f.if_params) push(v);
      unreachable_ = false;
      dead_depth_ = 0;
      return true;
    }
    case Op::End: end_frame(); return true;

    case Op::Br: {
      add_incoming(label_phis(in.index));
      b_.CreateBr(label_block(in.index));
      set_unreachable();
      return true;
    }
    case Op::BrIf: {
      llvm::Value* cond = b_.CreateICmpNE(pop(), b_.getInt32(0));
      llvm::BasicBlock* cont = llvm::BasicBlock::Create(mc_.ctx, "br_if.cont", fn_);
      add_incoming(label_phis(in.index));
      b_.CreateCondBr(cond, label_block(in.index), cont);
      b_.SetInsertPoint(cont);
      return true;
    }
    // br_on_null leaves the reference on the stack when it does not branch; br_on_non_null
    // branches with it, and drops it when it does not.
    case Op::BrOnNull:
    case Op::BrOnNonNull: {
      llvm::Value* ref = pop();
      llvm::Value* is_null = b_.CreateIsNull(ref);
      llvm::BasicBlock* cont = llvm::BasicBlock::Create(mc_.ctx, "br_on_null.cont", fn_);
      if (in.op == Op::BrOnNull) {
        add_incoming(label_phis(in.index));
        b_.CreateCondBr(is_null, label_block(in.index), cont);
        b_.SetInsertPoint(cont);
        push(ref);
      } else {
        push(ref);
        add_incoming(label_phis(in.index));
        pop();
        b_.CreateCondBr(is_null, cont, label_block(in.index));
        b_.SetInsertPoint(cont);
      }
      return true;
    }
    case Op::BrTable: {
      llvm::Value* index = pop();
      llvm::SwitchInst* sw = b_.CreateSwitch(index, label_block(in.index),
                                             static_cast<unsigned>(targets.size()));
      // One PHI entry per edge, duplicates included, as LLVM requires.
      add_incoming(label_phis(in.index));
      for (size_t i = 0; i < targets.size(); ++i) {
        sw->addCase(b_.getInt32(static_cast<uint32_t>(i)), label_block(targets[i]));
        add_incoming(label_phis(targets[i]));
      }
      set_unreachable();
      return true;
    }
    case Op::Return: {
      add_incoming(frames_.front().label_phis);
      b_.CreateBr(frames_.front().label);
      set_unreachable();
      return true;
    }
    default: return fail("not a control instruction");
  }
}

}  // namespace atl::compiler

// Guard-page mode, made exact.
//
// LLVM assumes a load cannot trap: it deletes loads whose value is dead, narrows loads whose
// upper bytes are unused, sinks loads into the branch that uses them, and reorders accesses it
// can tell apart. Each of these loses or moves an out-of-bounds trap when the guard pages are
// the only check. So guard-page mode compiles every access with the same explicit check as
// bounds-checked mode (the check is the trap's semantics, whatever LLVM does to the access),
// optimises, and only then removes the checks the hardware makes redundant: a check is removed
// when the first thing after it with an observable effect is the access itself, at full width,
// ending at the byte the check tests. That access faults exactly when the check would have
// trapped (the 8 GiB reservation makes every address a wasm access can form either accessible
// or a guard page), and nothing in between can be observed. The access is made volatile so the
// code generator keeps it as it is. Checks whose access LLVM removed, narrowed or moved stay.
#include "compiler/guard_elision.h"

#include <llvm/ADT/SmallPtrSet.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/Operator.h>
#include <llvm/Transforms/Utils/Local.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "abi/abi.h"

namespace atl::compiler {
namespace {

// A value as (variable part, constant): x + c.
struct Affine {
  llvm::Value* var = nullptr;
  int64_t constant = 0;
};

Affine split_add(llvm::Value* v) {
  if (auto* c = llvm::dyn_cast<llvm::ConstantInt>(v); c && c->getBitWidth() <= 64) return {nullptr, c->getSExtValue()};
  Affine a{v, 0};
  while (auto* bo = llvm::dyn_cast<llvm::BinaryOperator>(a.var)) {
    auto* c = llvm::dyn_cast<llvm::ConstantInt>(bo->getOperand(1));
    if (!c || c->getBitWidth() > 64) break;
    if (bo->getOpcode() == llvm::Instruction::Add ||
        (bo->getOpcode() == llvm::Instruction::Or && llvm::cast<llvm::PossiblyDisjointInst>(bo)->isDisjoint())) {
      a.constant += c->getSExtValue();
      a.var = bo->getOperand(0);
      continue;
    }
    break;
  }
  return a;
}

// vmctx->field: a load through argument 0 (the VM context) at a constant offset.
bool is_vmctx_field(llvm::Value* v, llvm::Argument* vmctx, uint64_t offset) {
  auto* load = llvm::dyn_cast<llvm::LoadInst>(v);
  if (!load) return false;
  llvm::Value* p = load->getPointerOperand();
  int64_t off = 0;
  if (auto* gep = llvm::dyn_cast<llvm::GEPOperator>(p)) {
    llvm::APInt ap(64, 0);
    if (!gep->accumulateConstantOffset(load->getDataLayout(), ap)) return false;
    off = ap.getSExtValue();
    p = gep->getPointerOperand();
  }
  return p == vmctx && off == static_cast<int64_t>(offset);
}

// The memory's current size: its VM-context field, or phis of such loads (GVN merges the
// reloads after calls that may grow the memory; in loops the phis form cycles), every value
// that reaches it being such a load.
bool is_memory_size(llvm::Value* v, llvm::Argument* vmctx) {
  if (is_vmctx_field(v, vmctx, abi::kVmMemorySize)) return true;
  if (!llvm::isa<llvm::PHINode>(v)) return false;
  llvm::SmallPtrSet<llvm::PHINode*, 16> seen;
  llvm::SmallVector<llvm::PHINode*, 16> work{llvm::cast<llvm::PHINode>(v)};
  while (!work.empty()) {
    llvm::PHINode* phi = work.pop_back_val();
    if (!seen.insert(phi).second) continue;
    if (seen.size() > 64) return false;
    for (llvm::Value* in : phi->incoming_values()) {
      if (auto* p = llvm::dyn_cast<llvm::PHINode>(in)) {
        work.push_back(p);
      } else if (!is_vmctx_field(in, vmctx, abi::kVmMemorySize)) {
        return false;
      }
    }
  }
  return true;
}

// The value `v` has on the edge from `pred` into `bb`: a phi of `bb` gives its incoming value.
llvm::Value* on_edge(llvm::Value* v, const llvm::BasicBlock* bb, const llvm::BasicBlock* pred) {
  auto* phi = llvm::dyn_cast<llvm::PHINode>(v);
  if (!phi || !pred || phi->getParent() != bb) return v;
  const int k = phi->getBasicBlockIndex(pred);
  return k < 0 ? v : phi->getIncomingValue(static_cast<unsigned>(k));
}

// An access's address as memory_base + var + constant (var is null for a constant address). For
// an access in `bb` reached from `pred`, the block's phis are read on that edge.
bool split_address(llvm::Value* ptr, llvm::Argument* vmctx, Affine& out, const llvm::BasicBlock* bb = nullptr,
                   const llvm::BasicBlock* pred = nullptr) {
  int64_t constant = 0;
  llvm::Value* var = nullptr;
  ptr = on_edge(ptr, bb, pred);
  while (auto* gep = llvm::dyn_cast<llvm::GEPOperator>(ptr)) {
    if (!gep->getSourceElementType()->isIntegerTy(8) || gep->getNumIndices() != 1) return false;
    llvm::Value* idx = on_edge(gep->getOperand(1), bb, pred);
    if (auto* c = llvm::dyn_cast<llvm::ConstantInt>(idx)) {
      constant += c->getSExtValue();
    } else {
      if (var) return false;  // two variable parts: not the shape wasm accesses have
      Affine a = split_add(idx);
      if (llvm::Value* edge = on_edge(a.var, bb, pred); edge != a.var) {
        const Affine inner = split_add(edge);
        a = {inner.var, a.constant + inner.constant};
      }
      var = a.var;
      constant += a.constant;
    }
    ptr = on_edge(gep->getPointerOperand(), bb, pred);
  }
  if (!is_vmctx_field(ptr, vmctx, abi::kVmMemoryBase)) return false;
  out = {var, constant};
  return true;
}

bool is_oob_trap_block(const llvm::BasicBlock* bb) {
  if (!llvm::isa<llvm::UnreachableInst>(bb->getTerminator())) return false;
  for (const llvm::Instruction& i : *bb) {
    auto* call = llvm::dyn_cast<llvm::CallInst>(&i);
    if (!call || !call->getCalledFunction()) continue;
    if (call->getCalledFunction()->getName() != std::string(abi::kBuiltinPrefix) + "trap") continue;
    auto* code = llvm::dyn_cast<llvm::ConstantInt>(call->getArgOperand(1));
    return code && code->getZExtValue() == static_cast<uint64_t>(abi::TrapCode::MemoryOutOfBounds);
  }
  return false;
}

// The checked end (E in "trap iff E >u memory_size") of a bounds-check branch, if it is one.
bool checked_end(llvm::BranchInst* br, bool trap_on_true, llvm::Argument* vmctx, Affine& end) {
  auto* cmp = llvm::dyn_cast<llvm::ICmpInst>(br->getCondition());
  if (!cmp) return false;
  llvm::CmpInst::Predicate pred = cmp->getPredicate();
  if (!trap_on_true) pred = llvm::CmpInst::getInversePredicate(pred);
  // E >u size, or X >=u size (LLVM's form of X + 1 >u size, for one-byte accesses).
  llvm::Value* e;
  llvm::Value* size;
  int64_t extra = 0;
  switch (pred) {
    case llvm::CmpInst::ICMP_UGT: e = cmp->getOperand(0), size = cmp->getOperand(1); break;
    case llvm::CmpInst::ICMP_ULT: e = cmp->getOperand(1), size = cmp->getOperand(0); break;
    case llvm::CmpInst::ICMP_UGE: e = cmp->getOperand(0), size = cmp->getOperand(1), extra = 1; break;
    case llvm::CmpInst::ICMP_ULE: e = cmp->getOperand(1), size = cmp->getOperand(0), extra = 1; break;
    default: return false;
  }
  if (!is_memory_size(size, vmctx)) return false;
  end = split_add(e);
  end.constant += extra;
  return end.constant > 0;
}

// The access that repeats the check, if it comes before anything observable. The search
// follows unconditional branches, also into blocks where paths meet (the dispatch of a loop, the
// join after an if): there the access's address is read on the edge the search came by, so
// a phi of addresses repeats this check for this path (each other path keeps its own).
llvm::Instruction* repeating_access(llvm::BasicBlock* check, llvm::BasicBlock* ok, const Affine& end,
                                    llvm::Argument* vmctx, const llvm::DataLayout& dl) {
  llvm::BasicBlock* pred = check;
  int blocks = 0;
  for (llvm::BasicBlock* bb = ok; bb;) {
    for (llvm::Instruction& i : *bb) {
      if (llvm::isa<llvm::PHINode>(i) || llvm::isa<llvm::DbgInfoIntrinsic>(i)) continue;
      if (auto* br = llvm::dyn_cast<llvm::BranchInst>(&i)) {
        // Onwards through an unconditional branch, or past another bounds check: it can only
        // raise the same trap, with nothing observable between (LLVM hoists checks over loads).
        llvm::BasicBlock* next = nullptr;
        if (br->isUnconditional()) {
          next = br->getSuccessor(0);
        } else if (is_oob_trap_block(br->getSuccessor(0)) != is_oob_trap_block(br->getSuccessor(1))) {
          next = br->getSuccessor(is_oob_trap_block(br->getSuccessor(0)) ? 1 : 0);
        }
        if (next == ok || next == bb || ++blocks > 8) next = nullptr;  // cycles without effects
        pred = bb;
        bb = next;
        break;
      }
      llvm::Value* ptr = nullptr;
      llvm::Type* type = nullptr;
      if (auto* l = llvm::dyn_cast<llvm::LoadInst>(&i)) {
        if (l->isAtomic()) return nullptr;
        ptr = l->getPointerOperand(), type = l->getType();
      } else if (auto* s = llvm::dyn_cast<llvm::StoreInst>(&i)) {
        if (s->isAtomic()) return nullptr;
        ptr = s->getPointerOperand(), type = s->getValueOperand()->getType();
      }
      if (ptr) {
        Affine a;
        // LLVM's rewrites keep values: var + constant is the wasm effective address, below
        // 8 GiB, so the access starts inside the reservation and faults iff it ends past memory.
        if (split_address(ptr, vmctx, a, bb, pred) && a.var == end.var && a.constant >= 0 &&
            a.constant + static_cast<int64_t>(dl.getTypeStoreSize(type)) == end.constant) {
          return &i;
        }
        // Another load may fault first, but with the same trap and nothing observable between.
        if (llvm::isa<llvm::LoadInst>(i)) continue;
        return nullptr;
      }
      if (i.isTerminator() || i.mayHaveSideEffects() || i.mayReadOrWriteMemory()) return nullptr;
    }
  }
  return nullptr;
}

size_t g_candidates = 0;
size_t elide_in(llvm::Function& f) {
  llvm::Argument* vmctx = f.getArg(0);
  const llvm::DataLayout& dl = f.getDataLayout();
  struct Elision {
    llvm::BranchInst* br;
    llvm::BasicBlock* ok;
    llvm::Instruction* access;
  };
  std::vector<Elision> found;
  for (llvm::BasicBlock& bb : f) {
    auto* br = llvm::dyn_cast<llvm::BranchInst>(bb.getTerminator());
    if (!br || !br->isConditional()) continue;
    const bool t0 = is_oob_trap_block(br->getSuccessor(0)), t1 = is_oob_trap_block(br->getSuccessor(1));
    if (t0 == t1) continue;
    Affine end;
    if (!checked_end(br, t0, vmctx, end)) continue;
    ++g_candidates;
    llvm::BasicBlock* ok = br->getSuccessor(t0 ? 1 : 0);
    if (llvm::Instruction* access = repeating_access(&bb, ok, end, vmctx, dl)) found.push_back({br, ok, access});
  }
  for (const Elision& e : found) {
    if (auto* l = llvm::dyn_cast<llvm::LoadInst>(e.access)) l->setVolatile(true);
    if (auto* s = llvm::dyn_cast<llvm::StoreInst>(e.access)) s->setVolatile(true);
    llvm::Value* cond = e.br->getCondition();
    llvm::BasicBlock* bb = e.br->getParent();
    llvm::BasicBlock* trap = e.br->getSuccessor(0) == e.ok ? e.br->getSuccessor(1) : e.br->getSuccessor(0);
    trap->removePredecessor(bb);
    llvm::BranchInst::Create(e.ok, e.br->getIterator());
    e.br->eraseFromParent();
    llvm::RecursivelyDeleteTriviallyDeadInstructions(cond);
  }
  if (!found.empty()) llvm::removeUnreachableBlocks(f);
  return found.size();
}

}  // namespace

size_t elide_guarded_checks(llvm::Module& mod) {
  size_t n = 0;
  for (llvm::Function& f : mod) {
    if (f.isDeclaration() || !f.getName().starts_with(abi::kFuncSymbolPrefix)) continue;
    n += elide_in(f);
  }
  if (getenv("ATOLL_GUARD_STATS")) fprintf(stderr, "guard elision: %zu of %zu\n", n, g_candidates);
  return n;
}

}  // namespace atl::compiler

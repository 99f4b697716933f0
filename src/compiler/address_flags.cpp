// Why: a wasm address is `base + zext(i32 x + K)`, and wasm's i32.add wraps. Counting loops as
// clang emits them for wasm32 (an i32 counter from -n up to 0, addresses counter + K) wrap as
// unsigned numbers on every run, so IndVarSimplify can only widen the counter to i64 with masks
// (`(iv + K) & 0xffffffff`) that scalar evolution cannot see through: the loop vectorizer then
// finds no trip count, and the loop stays scalar (bench/kernels/reduce.c: 1.44x native). The
// same values do not overflow as signed numbers, and their sums are never negative, which the
// trip count proves; recording that (nsw, zext nneg) changes no result, and lets IndVars widen
// by sign extension into plain affine i64 addresses.
#include "compiler/address_flags.h"

#include <llvm/ADT/DenseMap.h>
#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/ScalarEvolution.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Operator.h>

#include <vector>

namespace atl::compiler {

namespace {

// An i32 add in loop `l` with an operand that varies in the loop and can be negative: the
// counting loops this is for. Where the varying operands are never negative (`a[j - 1]` with
// j >= 1) IndVars widens by zero extension without masks already, and adding facts there only
// changes how later passes pick induction variables (bench/kernels/lcs.c ran 10% slower).
bool adds_a_negative(llvm::ScalarEvolution& se, const llvm::Loop* l, const llvm::Value* v) {
  const auto* add = llvm::dyn_cast<llvm::BinaryOperator>(v);
  if (!add || add->getOpcode() != llvm::Instruction::Add) return false;
  for (const llvm::Value* op : add->operands()) {
    const llvm::SCEV* s = se.getSCEV(const_cast<llvm::Value*>(op));
    if (!se.isLoopInvariant(s, l) && !se.isKnownNonNegative(s)) return true;
  }
  return false;
}

// Innermost and straight-line (every conditional branch leaves the loop: its exit, or a bounds
// check's trap): the loops the vectorizer can take once their trip count is known. Elsewhere
// the facts buy nothing and can make loop strength reduction pick worse induction variables.
bool vectorizer_shaped(const llvm::Loop* l) {
  if (!l->isInnermost()) return false;
  for (const llvm::BasicBlock* bb : l->blocks()) {
    const auto* br = llvm::dyn_cast<llvm::BranchInst>(bb->getTerminator());
    if (!br) return false;  // switch, return, unreachable
    if (br->isConditional() && l->contains(br->getSuccessor(0)) && l->contains(br->getSuccessor(1))) return false;
  }
  return true;
}

}  // namespace

llvm::PreservedAnalyses AddressFlagsPass::run(llvm::Function& f, llvm::FunctionAnalysisManager& fam) {
  llvm::LoopInfo& li = fam.getResult<llvm::LoopAnalysis>(f);
  if (li.empty()) return llvm::PreservedAnalyses::all();
  llvm::ScalarEvolution& se = fam.getResult<llvm::ScalarEvolutionAnalysis>(f);
  bool changed = false;
  std::vector<llvm::ZExtInst*> to_sext;
  llvm::DenseMap<const llvm::Loop*, bool> shaped;  // once per loop: a loop may have many blocks
  for (llvm::BasicBlock& bb : f) {
    const llvm::Loop* l = li.getLoopFor(&bb);
    if (!l) continue;
    auto [it, fresh] = shaped.try_emplace(l, false);
    if (fresh) it->second = vectorizer_shaped(l);
    if (!it->second) continue;
    for (llvm::Instruction& i : bb) {
      if (auto* add = llvm::dyn_cast<llvm::BinaryOperator>(&i)) {
        if (add->getOpcode() != llvm::Instruction::Add || !add->getType()->isIntegerTy(32) || add->hasNoSignedWrap() ||
            !adds_a_negative(se, l, add)) {
          continue;
        }
        if (se.willNotOverflow(llvm::Instruction::Add, /*Signed=*/true, se.getSCEV(add->getOperand(0)),
                               se.getSCEV(add->getOperand(1)), add)) {
          add->setHasNoSignedWrap(true);
          changed = true;
        }
      } else if (auto* z = llvm::dyn_cast<llvm::ZExtInst>(&i)) {
        if (z->getSrcTy()->isIntegerTy(32) && adds_a_negative(se, l, z->getOperand(0)) &&
            se.isKnownNonNegative(se.getSCEV(z->getOperand(0)))) {
          to_sext.push_back(z);
        }
      }
    }
  }
  // IndVars picks the widening from the extensions it meets (it takes zext nneg for zext), so
  // the extension of a value that cannot be negative is written as the sign extension it equals.
  for (llvm::ZExtInst* z : to_sext) {
    auto* s = new llvm::SExtInst(z->getOperand(0), z->getType(), z->getName(), z->getIterator());
    s->setDebugLoc(z->getDebugLoc());
    z->replaceAllUsesWith(s);
    z->eraseFromParent();
    changed = true;
  }
  if (!changed) return llvm::PreservedAnalyses::all();
  // Flags only: the CFG and the loops are as they were; scalar evolution recomputes.
  llvm::PreservedAnalyses pa;
  pa.preserveSet<llvm::CFGAnalyses>();
  pa.preserve<llvm::LoopAnalysis>();
  return pa;
}

}  // namespace atl::compiler

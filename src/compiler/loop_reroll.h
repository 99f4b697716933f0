// Loops that clang unrolled for wasm32, rolled back up for the vectorizer (see loop_reroll.cpp).
#pragma once

#include <llvm/IR/PassManager.h>

namespace atl::compiler {

// Rolls an innermost, straight-line, store-free loop whose body is K copies of one computation on
// consecutive elements, each feeding integer reductions (sum, product, min, max, and, or, xor),
// back into one copy per iteration with a K-times smaller step. Runs before the loop vectorizer,
// which then sees the loop the C code had instead of a stride-K interleaved group.
class LoopRerollPass : public llvm::PassInfoMixin<LoopRerollPass> {
 public:
  llvm::PreservedAnalyses run(llvm::Function& f, llvm::FunctionAnalysisManager& fam);
};

}  // namespace atl::compiler

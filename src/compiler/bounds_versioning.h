// Loops whose every memory access is in bounds, proven once before the loop (see
// bounds_versioning.cpp).
#pragma once

#include <llvm/IR/PassManager.h>

namespace atl::compiler {

// Versions innermost loops on one range check: when every bounds check of the loop would pass
// on every iteration (each checked address is affine in the iteration, so its extreme values
// are at the first and last iteration), a copy without the checks runs; otherwise the original.
// The checks' early exits are what keep LLVM's loop vectorizer away from wasm loops.
class BoundsVersioningPass : public llvm::PassInfoMixin<BoundsVersioningPass> {
 public:
  llvm::PreservedAnalyses run(llvm::Function& f, llvm::FunctionAnalysisManager& fam);
};

}  // namespace atl::compiler

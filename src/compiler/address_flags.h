// Overflow facts about wasm's 32-bit address arithmetic, proven with scalar evolution (see
// address_flags.cpp).
#pragma once

#include <llvm/IR/PassManager.h>

namespace atl::compiler {

// In innermost straight-line loops, marks i32 adds of a possibly negative induction variable
// that cannot overflow as signed as `nsw`, and writes zero extensions of such sums that cannot
// be negative as sign extensions, where scalar evolution proves it from the loop's trip count.
// Runs before IndVarSimplify, which can then widen wasm's i32 induction variables to i64 by
// sign extension and keep addresses affine.
class AddressFlagsPass : public llvm::PassInfoMixin<AddressFlagsPass> {
 public:
  llvm::PreservedAnalyses run(llvm::Function& f, llvm::FunctionAnalysisManager& fam);
};

}  // namespace atl::compiler

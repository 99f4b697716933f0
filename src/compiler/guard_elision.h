// Guard-page mode without trusting LLVM with traps (see guard_elision.cpp).
#pragma once

#include <llvm/IR/Module.h>

namespace atl::compiler {

// Removes the bounds checks whose trap the guard pages raise at the same point: those followed,
// before any side effect, by the access they guard at its full width. Marks those accesses
// volatile so the code generator neither drops nor narrows them. Returns how many checks went.
size_t elide_guarded_checks(llvm::Module& mod);

}  // namespace atl::compiler

// Type equivalence and subtyping of value types within one module (WebAssembly 3.0 function
// references, without the GC proposal's declared subtypes):
//   - two type indices are the same type when they sit at the same position of equal recursion
//     groups (`rec`; a type outside one is a group of its own): groups of as many function types,
//     pairwise structurally equal and equally final, with references within the group compared
//     by position and references to earlier types by equivalence (iso-recursive equality);
//   - (ref null? $t) <: (ref null? func), nofunc <: every function heap type, noextern <: extern;
//   - a non-null reference is a subtype of the nullable one of the same heap type;
//   - Bottom (the validator's unknown operand) matches everything.
// Function types themselves have no subtypes but their equivalents.
#pragma once

#include <cstdint>
#include <vector>

#include "wasm/types.h"

namespace atl::wasm {

struct Module;

// Fills m.type_canon from m.types and the groups (references past a type's group must have been
// rejected).
void canonicalize_types(Module& m);

bool heap_matches(const Module& m, uint32_t actual, uint32_t expected);
// actual <: expected
bool matches(const Module& m, ValType actual, ValType expected);
// Subtyping of types whose type indices are process-wide canonical ids (runtime objects): equal
// ids are the same type, different ones unrelated.
bool matches_canonical(ValType actual, ValType expected);

// Equal up to equivalent type indices.
bool equivalent(const Module& m, ValType a, ValType b);
bool equivalent(const Module& m, const FuncType& a, const FuncType& b);

// The highest type index a value type refers to, or -1 when it refers to none.
int64_t max_type_index(ValType t);

}  // namespace atl::wasm

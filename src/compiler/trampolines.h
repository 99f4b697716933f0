// Per-type glue emitted into every artifact, so the runtime never needs a code generator:
//   atl_entry_<t>(vmctx, fn, slots): host -> wasm; arguments and results in 16-byte slots.
//   atl_host_<t>(host_ctx, params...): wasm -> host; spills arguments to slots and calls the
//   HostContext's callback, trapping with HostError if it reports failure.
#pragma once

#include "compiler/module_context.h"

namespace atl::compiler {

void emit_trampolines(ModuleContext& mc, uint32_t type_index);

}  // namespace atl::compiler

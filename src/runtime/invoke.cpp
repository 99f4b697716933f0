// Calling into guest code: the activation that catches traps, the switch to a guest stack, and
// the wasm backtrace of a trap.
#include <algorithm>
#include <memory>

#include "runtime/objects.h"
#include "runtime/fiber.h"
#include "runtime/stack.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define ATL_ASAN 1
#endif
#endif
#include "runtime/trap/trap_handler.h"

namespace atl::runtime {
namespace {

struct ThreadStack {
  std::unique_ptr<GuestStack> stack;
  size_t wasm_bytes = 0;
  size_t reserve_bytes = 0;
};
thread_local ThreadStack t_stack;
thread_local std::string t_host_error;  // why the last host function on this thread failed

// Out of line on purpose: a host function may suspend and resume on another thread, so the
// thread-local must be looked up after it returns, never through an address computed before.
}  // namespace
__attribute__((noinline)) void set_host_error(std::string message) { t_host_error = std::move(message); }
namespace {

struct PendingCall {
  const FunctionObject* f;
  uint64_t* slots;
};

// Runs on the guest stack, which ASan's stack bookkeeping does not know about, and calls
// generated code, which carries no UBSan function-type prefix: keep it uninstrumented (it only
// forwards to the entry trampoline).
__attribute__((no_sanitize("address", "function"))) void call_thunk(void* p) {
  auto* c = static_cast<PendingCall*>(p);
  c->f->entry(c->f->ref.vmctx, c->f->ref.code, c->slots);
}

void describe(const Error::Frame& f, const std::string& wasm_name, int depth, std::string& out) {
  char buf[64];
  out += "  #" + std::to_string(depth) + " wasm function " + std::to_string(f.func_index);
  if (!wasm_name.empty()) out += " <" + wasm_name + ">";
  if (f.wasm_offset != Error::kNoOffset) {
    std::snprintf(buf, sizeof buf, " @ 0x%llx", static_cast<unsigned long long>(f.wasm_offset));
  } else {
    std::snprintf(buf, sizeof buf, " +0x%llx", static_cast<unsigned long long>(f.native_offset));
  }
  out += buf;
  if (!f.function.empty() && f.function != wasm_name) out += " in " + f.function;
  if (!f.file.empty()) {
    out += " at " + f.file + ":" + std::to_string(f.line);
    if (f.column) out += ":" + std::to_string(f.column);
  }
  if (f.inlined) out += " (inlined)";
  out += "\n";
}

// One native frame: the wasm frames its code belongs to (more than one where LLVM inlined),
// each expanded into the guest's source frames where it has DWARF.
void expand(const LoadedModule& m, const LoadedModule::FuncRange& r, uintptr_t pc, std::vector<Error::Frame>& frames) {
  const uint64_t native = pc - r.start;
  std::vector<artifact::WasmFrameInfo> wasm = m.debug.wasm_frames(r.index, native);
  if (wasm.empty()) wasm.push_back({r.index, 0});
  for (size_t w = 0; w < wasm.size(); ++w) {
    Error::Frame f;
    f.func_index = wasm[w].func_index;
    f.native_offset = native;
    if (wasm[w].wasm_offset != 0) {
      f.wasm_offset = wasm[w].wasm_offset;
      const uint32_t body = m.debug.body_offset(f.func_index);
      if (body != artifact::kDebugNone && body <= f.wasm_offset) f.func_offset = f.wasm_offset - body;
    }
    f.inlined = w + 1 < wasm.size();
    f.function = m.module.func_display_name(f.func_index);
    std::vector<artifact::SourceFrameInfo> src;
    if (wasm[w].wasm_offset != 0) src = m.debug.source_frames(wasm[w].wasm_offset);
    if (src.empty()) {
      frames.push_back(std::move(f));
      continue;
    }
    for (size_t s = 0; s < src.size(); ++s) {
      Error::Frame g = f;
      if (!src[s].function.empty()) g.function = src[s].function;
      g.file = src[s].file;
      g.line = src[s].line;
      g.column = src[s].column;
      g.inlined = f.inlined || s + 1 < src.size();
      frames.push_back(std::move(g));
    }
  }
}

}  // namespace

// At most 64 native frames; each lookup is O(log modules + log functions + log ranges).
std::string wasm_backtrace(uintptr_t pc, uintptr_t fp, std::vector<Error::Frame>& frames) {
  std::string out;
  for (int depth = 0; depth < 64; ++depth) {
    const LoadedModule* found = module_at(pc);
    // Trampolines and host frames end the wasm part of the stack.
    const LoadedModule::FuncRange* f = found ? found->function_at(pc) : nullptr;
    if (!f) break;
    if (!f->wrapper) {  // a wrapper's frame is its body's caller side: one wasm frame, not two
      const size_t first = frames.size();
      expand(*found, *f, pc, frames);
      for (size_t k = first; k < frames.size(); ++k) {
        describe(frames[k], found->module.func_display_name(frames[k].func_index), static_cast<int>(k), out);
      }
    }
    if (fp == 0 || (fp & 7) != 0) break;
    const uintptr_t next_fp = *reinterpret_cast<uintptr_t*>(fp);
    pc = *reinterpret_cast<uintptr_t*>(fp + 8) - 1;
    if (next_fp <= fp) break;
    fp = next_fp;
  }
  return out;
}

// A trap jumps over guest and host frames, and ASan leaves their use-after-scope markers in
// place; the next call on the same stack would then be reported for touching them.
static void unpoison_abandoned_frames(bool switched_stack) {
#ifdef ATL_ASAN
  const Fiber* fiber = Fiber::current();
  const GuestStack* s = !switched_stack && fiber ? &fiber->stack() : t_stack.stack.get();
  if (!s) return;
  const uintptr_t high = switched_stack ? s->top() : reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (high > s->base()) __asan_unpoison_memory_region(reinterpret_cast<void*>(s->base()), high - s->base());
#else
  (void)switched_stack;
#endif
}

// Calls `f` under a new Activation on the current stack (the thread's guest stack, a fiber's, or
// the stack of a host function re-entering the guest).
Result<void> guarded_call(const FunctionObject& f, uint64_t* slots, bool switch_stack) {
  Activation act;
  push_activation(&act);
  PendingCall call{&f, slots};
  if (sigsetjmp(act.jump, 0) != 0) {
    pop_activation(&act);
    unpoison_abandoned_frames(switch_stack);
    std::string message = abi::trap_message(act.code);
    if (act.code == abi::TrapCode::HostError && !t_host_error.empty()) message += ": " + t_host_error;
    Error e = make_error(ErrorKind::Trap, std::move(message));
    e.trap_code = static_cast<uint32_t>(act.code);
    e.backtrace = wasm_backtrace(act.pc, act.fp, e.frames);
    return e;
  }
  if (switch_stack) {
    atl_call_on_stack(t_stack.stack->top(), call_thunk, &call);
  } else {
    call_thunk(&call);
  }
  pop_activation(&act);
  return {};
}

Result<void> invoke(StoreData& store, const FunctionObject& f, uint64_t* slots) {
  if (f.host && !f.entry) {
    return f.host->fn(nullptr, slots);
  }
  ensure_trap_handling();
  store.ran_guest_code = true;
  const bool outermost = current_activation() == nullptr;
  if (outermost) {
    if (!t_stack.stack || t_stack.wasm_bytes != store.max_wasm_stack ||
        t_stack.reserve_bytes != store.host_stack_reserve) {
      auto s = GuestStack::create(store.max_wasm_stack, store.host_stack_reserve);
      if (!s.ok()) return s.take_error();
      t_stack.stack = std::move(s.value());
      t_stack.wasm_bytes = store.max_wasm_stack;
      t_stack.reserve_bytes = store.host_stack_reserve;
    }
    store.limits.stack_limit = t_stack.stack->limit();
  }
  // Re-entry from a host function continues on the stack it runs on (guest or fiber).
  Result<void> r = guarded_call(f, slots, outermost);
  if (!r.ok()) return r;
  // A wasm exception nothing caught ends at the host (host frames are never unwound).
  return store.take_uncaught();
}

std::shared_ptr<HostFunctionData> make_host_function(wasm::FuncType type, HostFunction fn) {
  auto h = make_sharded<HostFunctionData>();
  h->type = std::move(type);
  h->type_id = canonical_type_id(h->type);
  h->fn = std::move(fn);
  h->ctx.data = h.get();
  h->ctx.caller = nullptr;
  h->ctx.callback = [](abi::HostContext* ctx, uint64_t* slots) -> uint32_t {
    auto* self = static_cast<HostFunctionData*>(ctx->data);
    // Generated code cannot unwind: an exception out of a host function (std::bad_alloc under
    // an address-space limit, say) becomes the guest's trap instead of std::terminate.
    try {
      Result<void> r = self->fn(static_cast<Instance*>(ctx->caller), slots);
      if (r.ok()) return 0;
      set_host_error(r.error().message);
    } catch (const std::exception& e) {
      set_host_error(std::string("host function threw: ") + e.what());
    } catch (...) {
      set_host_error("host function threw an exception");
    }
    return 1;
  };
  return h;
}

std::shared_ptr<FunctionObject> host_function_object(std::shared_ptr<HostFunctionData> h) {
  auto f = std::make_shared<FunctionObject>();
  f->type = h->type;
  f->host = std::move(h);
  return f;
}

}  // namespace atl::runtime

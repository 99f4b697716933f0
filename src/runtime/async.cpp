// Guest calls that can suspend: each runs on its own fiber; a host function suspends it with
// suspend_current(), and the embedder resumes it later, on any thread (one at a time).
#include "runtime/async.h"

#include "runtime/engine_state.h"
#include "runtime/trap/trap_handler.h"

namespace atl::runtime {

Result<void> guarded_call(const FunctionObject& f, uint64_t* slots, bool switch_stack);

namespace {
void async_body(void* p) {
  auto* s = static_cast<AsyncCallState*>(p);
  s->result = guarded_call(*s->f, s->slots.data(), false);
  if (s->result.ok()) s->result = s->store->take_uncaught();
}
}  // namespace

Result<std::shared_ptr<AsyncCallState>> start_async(StoreData& store, std::shared_ptr<FunctionObject> f,
                                                    std::vector<uint64_t> slots) {
  ensure_trap_handling();
  store.ran_guest_code = true;
  // Stores made by an engine take pooled stacks; others (the spec-test runner's) their own.
  auto stack = store.engine ? store.engine->fiber_stacks.acquire()
                            : GuestStack::create(store.max_wasm_stack, store.host_stack_reserve);
  if (!stack.ok()) return stack.take_error();
  auto s = std::make_shared<AsyncCallState>();
  s->store = &store;
  s->f = std::move(f);
  s->slots = std::move(slots);
  s->fiber = std::make_unique<Fiber>(std::move(stack.value()), async_body, s.get());
  return s;
}

bool AsyncCallState::resume() {
  // A store runs one guest stack at a time: its stack limit follows the running fiber.
  const uintptr_t saved_limit = store->limits.stack_limit;
  store->limits.stack_limit = fiber->stack().limit();
  const bool done = fiber->resume();
  store->limits.stack_limit = saved_limit;
  // The stack goes back to the pool now, while the store (and its engine) is surely alive: a
  // finished call may outlive its store.
  if (done && store->engine) store->engine->fiber_stacks.release(fiber->take_stack());
  return done;
}

AsyncCallState::~AsyncCallState() {
  // Dropped while suspended: suspend_current() reports the cancellation to the host function,
  // which returns it as an error, so every frame on the fiber unwinds normally.
  if (fiber && !fiber->finished() && started) {
    cancelled = true;
    while (!resume()) {
    }
  }
  // A call that never started just unmaps its stack (its store may be gone already).
}

Result<void> suspend_current(uint64_t value) {
  Fiber* f = Fiber::current();
  if (!f) return make_error(ErrorKind::Usage, "suspend is only possible inside an async call");
  auto* s = static_cast<AsyncCallState*>(f->arg());
  if (s->cancelled) return make_error(ErrorKind::Other, "the async call was cancelled");
  s->suspended_value = value;
  f->suspend();
  if (s->cancelled) return make_error(ErrorKind::Other, "the async call was cancelled");
  return {};
}

}  // namespace atl::runtime

// Guest stacks: guest code never runs on the host thread's stack. Each stack is an mmap'd region
// with a PROT_NONE guard page below it; generated code checks its stack pointer against a limit
// placed `host_reserve` bytes above the guard, so exhaustion is a deterministic trap and host
// functions called from the guest still have room to run.
//
//   low addresses                                                     high addresses
//   [ guard page ][ host reserve ][ ......... wasm frames grow down ......... ] <- top
//                 ^ base          ^ limit (VMContext::stack_limit)
#pragma once

#include <cstddef>
#include <cstdint>

#include "atoll/result.h"

namespace atl::runtime {

class GuestStack {
 public:
  static Result<GuestStack*> create(size_t wasm_stack_bytes, size_t host_reserve_bytes);
  ~GuestStack();
  GuestStack(const GuestStack&) = delete;
  GuestStack& operator=(const GuestStack&) = delete;

  uintptr_t top() const { return top_; }
  uintptr_t limit() const { return limit_; }

 private:
  GuestStack() = default;
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  uintptr_t top_ = 0;
  uintptr_t limit_ = 0;
};

// Calls fn(arg) with the stack pointer at `top` (16-byte aligned) and returns on the original
// stack.
extern "C" void atl_call_on_stack(uintptr_t top, void (*fn)(void*), void* arg);

}  // namespace atl::runtime

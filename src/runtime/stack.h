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
#include <memory>
#include <mutex>
#include <vector>

#include "atoll/result.h"

namespace atl::runtime {

class GuestStack {
 public:
  static Result<std::unique_ptr<GuestStack>> create(size_t wasm_stack_bytes, size_t host_reserve_bytes);
  ~GuestStack();
  GuestStack(const GuestStack&) = delete;
  GuestStack& operator=(const GuestStack&) = delete;

  uintptr_t base() const { return base_; }  // just above the guard page
  uintptr_t top() const { return top_; }
  uintptr_t limit() const { return limit_; }
  // Gives the pages below the top `keep` bytes back to the kernel (they read as zero again).
  void discard_below(size_t keep);

 private:
  friend class StackPool;
  GuestStack() = default;
  uint32_t unchecked_uses_ = 0;  // calls since discard_below last looked (StackPool)
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  uintptr_t base_ = 0;
  uintptr_t top_ = 0;
  uintptr_t limit_ = 0;
};

// Stacks for fibers, kept for reuse: an async call takes one and gives it back when it ends, so
// the mmap, guard mprotect and munmap (and their two mappings' worth of address-space lock
// traffic) happen once per stack rather than once per call. At most `max_cached` idle stacks
// are kept; more are unmapped.
//
// A returned stack keeps only its top kKeepResident bytes resident, but finding out whether a
// call went deeper costs a system call (mincore), which on a VM is a good part of a short
// call's cost. So release() looks only every kCheckEvery uses of a stack, and trim() (which an
// embedder calls now and then off the hot path: atoll serve's clock thread does, every 100 ms)
// looks at the idle stacks that were used since: a stack a deep call left resident is given
// back within kCheckEvery uses or one trim pass over the cache.
class StackPool {
 public:
  StackPool(size_t wasm_bytes, size_t reserve_bytes, size_t max_cached)
      : wasm_bytes_(wasm_bytes), reserve_bytes_(reserve_bytes), max_cached_(max_cached) {}
  Result<std::unique_ptr<GuestStack>> acquire();
  void release(std::unique_ptr<GuestStack> stack);
  size_t cached() const;
  // Fills the cache with up to `count` new stacks, their top `touch_bytes` faulted in.
  void prewarm(size_t count, size_t touch_bytes);
  // Gives back the deep pages of up to `max_stacks` idle stacks used since they were last
  // looked at; returns how many it looked at.
  size_t trim(size_t max_stacks);

  // What a typical call touches (a WASI program's libc and the host functions it calls use some
  // tens of KiB): discarding less than that costs a TLB shootdown across threads and refaults
  // on every call; 1,024 cached stacks keep at most 64 MiB resident.
  static constexpr size_t kKeepResident = 64 * 1024;
  static constexpr uint32_t kCheckEvery = 8;

 private:
  const size_t wasm_bytes_;
  const size_t reserve_bytes_;
  const size_t max_cached_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<GuestStack>> free_;
};

// Calls fn(arg) with the stack pointer at `top` (16-byte aligned) and returns on the original
// stack.
extern "C" void atl_call_on_stack(uintptr_t top, void (*fn)(void*), void* arg);

}  // namespace atl::runtime

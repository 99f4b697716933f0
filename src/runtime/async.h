// Async guest calls on fibers (see fiber.h and async.cpp).
#pragma once

#include <memory>
#include <vector>

#include "runtime/fiber.h"
#include "runtime/objects.h"

namespace atl::runtime {

struct AsyncCallState {
  StoreData* store = nullptr;
  std::shared_ptr<FunctionObject> f;
  std::vector<uint64_t> slots;
  std::unique_ptr<Fiber> fiber;
  Result<void> result;
  uint64_t suspended_value = 0;
  bool cancelled = false;
  bool started = false;

  bool resume();  // true when the call has finished (result is set)
  ~AsyncCallState();
};

Result<std::shared_ptr<AsyncCallState>> start_async(StoreData& store, std::shared_ptr<FunctionObject> f,
                                                    std::vector<uint64_t> slots);

// Called by a host function running inside an async call: hands control back to the embedder.
// Fails if not inside an async call, or when the call is being cancelled (the host function
// must then return the error).
Result<void> suspend_current(uint64_t value);

}  // namespace atl::runtime

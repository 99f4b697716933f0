// What an Engine's copies and its Stores share: the epoch counter, the memory pool and the pool
// of fiber stacks. Stores hold a secondary reference (support/sharded_refs.h), so creating and
// dropping stores on many threads never contends on one reference count.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "atoll/atoll.h"
#include "runtime/pool.h"
#include "runtime/stack.h"
#include "support/sharded_refs.h"

namespace atl::runtime {

struct EngineState {
  explicit EngineState(const Config& config);
  Config config;
  std::atomic<uint64_t> epoch{0};
  std::shared_ptr<MemoryPool> memory_pool;  // the primary reference; null without pooling
  std::string memory_pool_error;            // why the configured pool could not be made
  StackPool fiber_stacks;
  // Live instances and tables against Config::pool_instances / pool_tables; counted only when
  // a cap is set (the counters are shared by every thread).
  std::atomic<int64_t> live_instances{0};
  std::atomic<int64_t> live_tables{0};
  mutable ShardedRefs refs;
};

}  // namespace atl::runtime

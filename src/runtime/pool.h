// A pool of linear-memory slots, reserved once and reused without unmapping.
//
//   base                                                                  base + slots * stride
//   | slot 0                        | slot 1                        | ... | slot N-1            |
//   | [committed RW][ PROT_NONE ... | [committed RW][ PROT_NONE ... |     |                     |
//     ^ memory_base, grows right      stride = 8 GiB (guard pages) or the maximum memory size
//
// One mapping for the whole pool (one mmap, no munmap on the hot path): an instance takes a free
// slot, makes its initial pages read-write, and on release the pages it used are dropped with
// madvise(MADV_DONTNEED) (they read as zero again) and made inaccessible. The number of slots,
// and with it the address space and mapping budget, is fixed when the pool is created: each live
// slot adds at most two mappings (its read-write part and the rest), so a pool of N slots needs
// about 2N entries of vm.max_map_count (65,530 by default: about 30,000 live slots), and
// N * 8 GiB of address space in guard-page mode (x86-64 gives processes 128 TiB: at most about
// 15,000 guard-page slots).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "atoll/result.h"

namespace atl::runtime {

class MemoryPool {
 public:
  static Result<std::shared_ptr<MemoryPool>> create(uint32_t slots, uint64_t stride);
  ~MemoryPool();

  // A free slot's base address, or an error when every slot is in use.
  Result<uint8_t*> acquire();
  // Returns a slot; `used` is how many bytes from its base were ever made accessible.
  void release(uint8_t* base, uint64_t used);

  uint64_t stride() const { return stride_; }
  uint32_t capacity() const { return slots_; }
  uint32_t in_use() const;

 private:
  MemoryPool() = default;
  uint8_t* base_ = nullptr;
  uint64_t stride_ = 0;
  uint32_t slots_ = 0;
  mutable std::mutex mu_;
  std::vector<uint32_t> free_;
};

}  // namespace atl::runtime

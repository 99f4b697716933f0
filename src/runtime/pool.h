// A pool of linear-memory slots, reserved once and reused without unmapping.
//
//   chunk (one mmap of up to 64 slots; a pool is as many chunks as it needs)
//   | slot 0                             | slot 1                             | ...
//   | [image / RW][ PROT_NONE .......... ] [image / RW][ PROT_NONE ......... ]
//     ^ memory base, grows right           stride = 8 GiB (guard pages) or the maximum memory size
//
// Guard-page mode: [0, accessible) is read-write, the rest of the slot PROT_NONE, so any i32
// address plus offset faults outside the memory. Explicit-bounds mode: generated code checks
// every access, so the whole chunk is read-write from the start and no slot ever changes its
// protection (one mapping per chunk, however many slots are live).
//
// The hot path stays off the address-space lock's write side: a slot remembers what it holds
// (its copy-on-write memory image, if any, and how many bytes are accessible), and is handed
// preferably to the next instance of the same module, which then needs no mmap or mprotect at
// all. Releasing a slot zeroes in place the pages that are resident (mincore) when they are at
// most Config::memory_pool_keep_resident bytes and there is no image: no page faults next time,
// no TLB shootdown, but those pages stay resident. Otherwise madvise(MADV_DONTNEED) drops the
// private pages (anonymous ones read as zero again, image pages as the image). A memory that
// nothing wrote is not reset at all.
//
// Budget: each slot in use costs up to three mappings in guard-page mode (read-write part, image,
// PROT_NONE rest), two with an image in explicit mode, none otherwise; vm.max_map_count defaults
// to 65,530. Guard-page slots cost 8 GiB of address space each: x86-64 gives a process 128 TiB,
// so at most about 15,000 (the pool refuses more than 120 TiB). See docs/POOLING.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "atoll/result.h"
#include "support/sharded_refs.h"

namespace atl::runtime {

class MemoryImage;

class MemoryPool {
 public:
  struct Options {
    uint32_t slots = 0;
    uint64_t stride = 0;            // bytes per slot, a multiple of 64 KiB
    bool guard_pages = true;        // false: explicit bounds checks, slots always read-write
    uint64_t keep_resident = 0;     // zero up to this many resident bytes instead of madvise
  };
  static Result<std::shared_ptr<MemoryPool>> create(const Options& options);
  MemoryPool() = default;  // use create()
  ~MemoryPool();

  struct Lease {
    uint32_t slot;
    uint8_t* base;
  };
  // A free slot holding `image` (null: none) with [0, initial_bytes) accessible and everything
  // else reading as zero; an error when every slot is in use.
  Result<Lease> acquire(const std::shared_ptr<const MemoryImage>& image, uint64_t initial_bytes);
  // Returns a slot; `used` is how many bytes from its base were ever made accessible, `reset`
  // false when nothing can have written them.
  void release(uint32_t slot, uint64_t used, bool reset = true);
  // Makes [from, to) of a leased slot accessible (memory.grow).
  bool grow(uint32_t slot, uint64_t from, uint64_t to);

  uint64_t stride() const { return options_.stride; }
  uint32_t capacity() const { return options_.slots; }
  bool guard_pages() const { return options_.guard_pages; }
  uint32_t in_use() const;

  mutable ShardedRefs refs;  // memories hold secondary references (see sharded_refs.h)

 private:
  struct alignas(128) Slot {  // one per cache-line pair: neighbours are used by other threads
    uint8_t* base = nullptr;
    std::shared_ptr<const MemoryImage> image;  // mapped at base + image->offset()
    uint64_t accessible = 0;                   // guard-page mode: read-write bytes from base
    bool unknown = false;                      // a protection change failed: remap before use
  };
  bool prepare(Slot& s, const std::shared_ptr<const MemoryImage>& image, uint64_t initial);
  bool unmap_image(Slot& s);

  // Free slots are kept in shards, each behind its own lock, so threads releasing and taking
  // slots do not queue on one mutex: a thread uses its own shard first (see sharded_refs.h for
  // the thread-to-shard mapping) and looks at the others only when its own has nothing.
  struct alignas(128) FreeList {
    std::mutex mu;
    std::vector<uint32_t> plain;  // free slots without an image
    std::unordered_map<const MemoryImage*, std::vector<uint32_t>> by_image;
  };
  static constexpr uint32_t kFreeShards = 8;
  static uint32_t pop(std::vector<uint32_t>& list);
  uint32_t take_from(FreeList& f, const MemoryImage* image, int pass);

  Options options_;
  std::vector<std::pair<void*, uint64_t>> chunks_;
  std::vector<Slot> slots_;
  std::mutex reset_mu_;  // serialises madvise (see release())
  mutable FreeList free_[kFreeShards];
};

}  // namespace atl::runtime

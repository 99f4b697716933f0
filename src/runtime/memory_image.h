// Copy-on-write memory images: a module's data segments rendered once into a memfd, which every
// instance maps privately over the start of its linear memory. Instantiation then costs one
// mapping (none at all when a pooled slot still holds this image), however large the data, and
// resetting a slot with madvise(MADV_DONTNEED) brings back the image's bytes, not zeros.
//
// Used only when it cannot change what the spec lets anyone observe: the memory is defined by
// the module (not imported), every active data segment has a constant offset and fits the
// initial size (so none can trap), and the data spans at least kMinImageBytes (below that a copy
// is cheaper than a mapping, and each image mapping costs an entry of vm.max_map_count).
#pragma once

#include <cstdint>
#include <memory>

#include "atoll/result.h"
#include "wasm/module.h"

namespace atl::runtime {

class MemoryImage {
 public:
  static constexpr uint64_t kMinImageBytes = 64 * 1024;

  // The image of `m`'s data segments, or null when the module should copy them instead
  // (see above) or the image cannot be made (no memfd: copying still works).
  static std::shared_ptr<const MemoryImage> build(const wasm::Module& m);
  ~MemoryImage();

  // Maps the image read-write and private at its place in a memory starting at `memory_base`.
  Result<void> map_into(uint8_t* memory_base) const;

  uint64_t offset() const { return offset_; }  // page-aligned start within the memory
  uint64_t size() const { return size_; }      // page-aligned length
  uint64_t end() const { return offset_ + size_; }

 private:
  MemoryImage() = default;
  int fd_ = -1;
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
};

}  // namespace atl::runtime

// Merges relocatable x86-64 ELF objects into one (see elf_merge.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "artifact/elf.h"

namespace atl::artifact {

struct ExtraSection {
  std::string name;
  std::vector<uint8_t> bytes;
};

// One object from several, with `extra` non-allocated sections added and LLVM's .debug_* dropped.
Result<std::vector<uint8_t>> merge_objects(const std::vector<std::vector<uint8_t>>& objects,
                                           const std::vector<ExtraSection>& extra = {});

}  // namespace atl::artifact

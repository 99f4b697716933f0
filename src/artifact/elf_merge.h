// Merges relocatable x86-64 ELF objects into one (see elf_merge.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "artifact/elf.h"

namespace atl::artifact {

Result<std::vector<uint8_t>> merge_objects(const std::vector<std::vector<uint8_t>>& objects);

}  // namespace atl::artifact

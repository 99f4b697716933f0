// A strict reader for the ELF64 x86-64 relocatable objects atoll artifacts are. Every offset,
// size and index is checked against the file before use: a truncated or corrupt artifact is an
// error, never an out-of-bounds read.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "atoll/result.h"

namespace atl::artifact {

struct ElfSection {
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t align = 1;
  uint32_t link = 0;
  uint32_t info = 0;
};

struct ElfSymbol {
  std::string name;
  uint16_t section = 0;  // section index; 0 = undefined
  uint64_t value = 0;    // offset within the section
  uint64_t size = 0;
  uint8_t type = 0;
  uint8_t bind = 0;
};

struct ElfRelocation {
  uint64_t offset = 0;  // within the target section
  uint32_t type = 0;
  uint32_t symbol = 0;
  int64_t addend = 0;
};

class ElfFile {
 public:
  static Result<ElfFile> parse(std::span<const uint8_t> bytes);

  const std::vector<ElfSection>& sections() const { return sections_; }
  const std::vector<ElfSymbol>& symbols() const { return symbols_; }
  // Index of the section named `name`, or -1.
  int find_section(std::string_view name) const;
  std::span<const uint8_t> contents(const ElfSection& s) const {
    return s.type == 8 /*SHT_NOBITS*/ ? std::span<const uint8_t>() : bytes_.subspan(s.offset, s.size);
  }
  // Relocations that apply to section `target`.
  Result<std::vector<ElfRelocation>> relocations_for(size_t target) const;

 private:
  std::span<const uint8_t> bytes_;
  std::vector<ElfSection> sections_;
  std::vector<ElfSymbol> symbols_;
};

}  // namespace atl::artifact

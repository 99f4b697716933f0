// Loads an artifact's machine code into executable memory without LLVM or the dynamic linker:
// allocatable ELF sections are laid out in one mapping (code first, then read-only data), calls
// to runtime builtins and the few libc routines LLVM may emit go through stubs placed next to the
// code, relocations are applied, and the pages are made read+execute / read-only. The code range
// is registered with the trap handler for as long as the image lives. The code pages hold no
// absolute address (stubs jump through the GOT), so they can be a file shared between processes.
//
//   [ .text ... | stubs ][ .rodata ... | GOT ]
//   ^ base   (R+X)       ^ page-aligned (R)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "artifact/elf.h"
#include "atoll/result.h"

namespace atl::runtime {

class CodeImage {
 public:
  // `shared_code_file`: where the relocated code pages are kept as a file, so that processes
  // loading the same artifact share them (empty: an anonymous copy per process).
  static Result<CodeImage*> load(const artifact::ElfFile& elf, const std::string& shared_code_file = {});
  ~CodeImage();
  CodeImage(const CodeImage&) = delete;
  CodeImage& operator=(const CodeImage&) = delete;

  // Address of a defined symbol, or nullptr.
  void* symbol(const std::string& name) const;
  uintptr_t code_start() const { return reinterpret_cast<uintptr_t>(base_); }
  uintptr_t code_end() const { return code_end_; }
  bool shared() const { return shared_; }  // the code pages are a mapping of shared_code_file
  struct Symbol {
    uintptr_t address;
    uint64_t size;
  };
  const std::unordered_map<std::string, Symbol>& symbols() const { return symbols_; }
  // The stub through which the code calls each runtime function, with that function's name
  // (for disassembly listings).
  struct Stub {
    uintptr_t address;
    std::string name;
  };
  const std::vector<Stub>& stubs() const { return stubs_; }

 private:
  CodeImage() = default;
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  uintptr_t code_end_ = 0;
  bool shared_ = false;
  std::unordered_map<std::string, Symbol> symbols_;
  std::vector<Stub> stubs_;
};

// Runtime functions generated code may call, by symbol name.
void* resolve_runtime_symbol(const std::string& name);

}  // namespace atl::runtime

// The artifact format: what `atoll compile` writes and the runtime loads.
//
// An artifact is a standard ELF64 x86-64 relocatable object (objdump -d disassembles it) holding:
//   .text, .rodata...   machine code for every defined function (symbols atl_func_<i>[_<name>]),
//                       entry trampolines (atl_entry_<t>) and host adapters (atl_host_<t>)
//   .atoll.meta         MetaHeader below: magic, format version, compiler fingerprint, bounds
//                       mode, required CPU features, file size and checksum
//   .atoll.module       the module's metadata as a WebAssembly binary with every function body
//                       reduced to `end` and only the "name" custom section kept: types,
//                       imports, exports, globals, tables, memories, segments, start, names
//
// The checksum (over the whole file, its own field zeroed) detects truncation and corruption.
// It does not make an artifact safe to load from an untrusted source: artifacts are native code,
// and loading one is trusting it, as with any shared library.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "artifact/elf.h"
#include "atoll/result.h"
#include "wasm/module.h"

namespace atl::artifact {

constexpr const char* kMetaSection = ".atoll.meta";
constexpr const char* kModuleSection = ".atoll.module";

struct MetaHeader {
  char magic[8];           // "ATOLLART"
  uint32_t version;        // abi::kArtifactVersion
  uint32_t bounds_mode;    // compiler::BoundsMode
  uint64_t file_size;      // patched by seal()
  uint64_t checksum;       // patched by seal()
  uint64_t cpu_features;   // CpuFeature bits the code needs
  char fingerprint[96];    // compiler build and options, NUL-padded
  char target_cpu[32];
  uint32_t instrumentation;  // kEpochChecks | kFuelMetering
  uint32_t reserved;
};
static_assert(sizeof(MetaHeader) == 176);
constexpr uint32_t kEpochChecks = 1;
constexpr uint32_t kFuelMetering = 2;
static_assert(offsetof(MetaHeader, checksum) == 24);

// x86-64 features generated code may rely on (a subset of what LLVM can use).
enum CpuFeature : uint64_t {
  kSSE3 = 1 << 0,
  kSSSE3 = 1 << 1,
  kSSE41 = 1 << 2,
  kSSE42 = 1 << 3,
  kPOPCNT = 1 << 4,
  kAVX = 1 << 5,
  kAVX2 = 1 << 6,
  kBMI1 = 1 << 7,
  kBMI2 = 1 << 8,
  kFMA = 1 << 9,
  kLZCNT = 1 << 10,
  kAVX512F = 1 << 11,
  kAVX512BW = 1 << 12,
  kAVX512DQ = 1 << 13,
  kAVX512VL = 1 << 14,
};
// The features of a named x86-64 level ("x86-64", "x86-64-v2", "-v3", "-v4"); 0 if unknown.
uint64_t features_of_level(const std::string& cpu);
// Features this machine has (cpuid).
uint64_t host_cpu_features();
std::string feature_names(uint64_t features);

// The module descriptor stored in .atoll.module.
std::vector<uint8_t> module_descriptor(const wasm::Module& m);

// The artifact checksum; the 8 bytes at `zeroed_at` (8-aligned: the header's own checksum field)
// count as zero, so a file can be verified in place.
uint64_t checksum(std::span<const uint8_t> bytes, uint64_t zeroed_at = UINT64_MAX);

// Fills in file_size and checksum of the .atoll.meta section of a freshly emitted object.
Result<void> seal(std::vector<uint8_t>& elf);

// A verified artifact: ELF structure, header, version, checksum, CPU features, and the decoded
// module descriptor. `bytes` must outlive it.
struct ArtifactView {
  ElfFile elf;
  MetaHeader meta;
  wasm::Module module;
};
Result<ArtifactView> open(std::span<const uint8_t> bytes, uint64_t available_cpu_features);

}  // namespace atl::artifact

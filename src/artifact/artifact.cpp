#include "artifact/artifact.h"

#include <cstring>
#include <utility>

#include "abi/abi.h"
#include "support/host_cpu.h"
#include "wasm/decoder.h"

namespace atl::artifact {
namespace {

void put_uleb(std::vector<uint8_t>& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
}

Error artifact_error(const std::string& what) { return make_error(ErrorKind::Other, what); }

}  // namespace

uint64_t features_of_level(const std::string& cpu) {
  const uint64_t v2 = kSSE3 | kSSSE3 | kSSE41 | kSSE42 | kPOPCNT;
  const uint64_t v3 = v2 | kAVX | kAVX2 | kBMI1 | kBMI2 | kFMA | kLZCNT;
  const uint64_t v4 = v3 | kAVX512F | kAVX512BW | kAVX512DQ | kAVX512VL;
  if (cpu == "x86-64") return 0;
  if (cpu == "x86-64-v2") return v2;
  if (cpu == "x86-64-v3") return v3;
  if (cpu == "x86-64-v4") return v4;
  return 0;
}

namespace {
uint64_t query_cpu_features() {
  static constexpr std::pair<X86Feature, uint64_t> kBits[] = {
      {X86Feature::SSE3, kSSE3},         {X86Feature::SSSE3, kSSSE3},       {X86Feature::SSE41, kSSE41},
      {X86Feature::SSE42, kSSE42},       {X86Feature::POPCNT, kPOPCNT},     {X86Feature::AVX, kAVX},
      {X86Feature::FMA, kFMA},           {X86Feature::AVX2, kAVX2},         {X86Feature::BMI1, kBMI1},
      {X86Feature::BMI2, kBMI2},         {X86Feature::AVX512F, kAVX512F},   {X86Feature::AVX512BW, kAVX512BW},
      {X86Feature::AVX512DQ, kAVX512DQ}, {X86Feature::AVX512VL, kAVX512VL}, {X86Feature::LZCNT, kLZCNT},
  };
  uint64_t f = 0;
  for (const auto& [feature, bit] : kBits) {
    if (host_has(feature)) f |= bit;
  }
  return f;
}
}  // namespace

uint64_t host_cpu_features() {
  static const uint64_t features = query_cpu_features();
  return features;
}

std::string feature_names(uint64_t features) {
  static const char* const kNames[] = {"sse3", "ssse3",   "sse4.1",   "sse4.2",   "popcnt",
                                       "avx",  "avx2",    "bmi1",     "bmi2",     "fma",
                                       "lzcnt", "avx512f", "avx512bw", "avx512dq", "avx512vl"};
  std::string out;
  for (unsigned i = 0; i < sizeof(kNames) / sizeof(kNames[0]); ++i) {
    if (features & (uint64_t{1} << i)) {
      if (!out.empty()) out += ' ';
      out += kNames[i];
    }
  }
  return out;
}

std::vector<uint8_t> module_descriptor(const wasm::Module& m) {
  std::vector<uint8_t> out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  for (const wasm::SectionInfo& s : m.sections) {
    if (s.id == 0 && s.name != "name") continue;
    out.push_back(s.id);
    if (s.id == 10) {
      // Bodies are compiled; keep only `size=2, no locals, end` so the index space stays.
      std::vector<uint8_t> code;
      put_uleb(code, m.bodies.size());
      for (size_t i = 0; i < m.bodies.size(); ++i) code.insert(code.end(), {0x02, 0x00, 0x0b});
      put_uleb(out, code.size());
      out.insert(out.end(), code.begin(), code.end());
      continue;
    }
    put_uleb(out, s.size);
    out.insert(out.end(), m.bytes.begin() + static_cast<ptrdiff_t>(s.offset),
               m.bytes.begin() + static_cast<ptrdiff_t>(s.offset + s.size));
  }
  return out;
}

uint64_t checksum(std::span<const uint8_t> bytes, uint64_t zeroed_at) {
  // 64-bit multiply-xorshift over 8-byte words; fast, and any change or truncation shows.
  uint64_t h = 0x9e3779b97f4a7c15ull ^ bytes.size();
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w = 0;
    if (i != zeroed_at) std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  for (; i < bytes.size(); ++i) h = (h ^ bytes[i]) * 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 29;
  return h;
}

static Result<uint64_t> meta_offset(std::span<const uint8_t> bytes, const ElfFile& elf) {
  const int idx = elf.find_section(kMetaSection);
  if (idx < 0) return artifact_error("not an atoll artifact (no " + std::string(kMetaSection) + " section)");
  const ElfSection& s = elf.sections()[idx];
  if (s.size < sizeof(MetaHeader) || s.offset + sizeof(MetaHeader) > bytes.size()) {
    return artifact_error("corrupt artifact: metadata header truncated");
  }
  return s.offset;
}

Result<void> seal(std::vector<uint8_t>& bytes) {
  auto elf = ElfFile::parse(bytes);
  if (!elf.ok()) return elf.take_error();
  auto off = meta_offset(bytes, *elf);
  if (!off.ok()) return off.take_error();
  MetaHeader h;
  std::memcpy(&h, bytes.data() + *off, sizeof h);
  h.file_size = bytes.size();
  h.checksum = 0;
  std::memcpy(bytes.data() + *off, &h, sizeof h);
  h.checksum = checksum(bytes);
  std::memcpy(bytes.data() + *off, &h, sizeof h);
  return {};
}

Result<ArtifactView> open(std::span<const uint8_t> bytes, uint64_t available_cpu_features) {
  auto elf = ElfFile::parse(bytes);
  if (!elf.ok()) return elf.take_error();
  auto off = meta_offset(bytes, *elf);
  if (!off.ok()) return off.take_error();
  MetaHeader h;
  std::memcpy(&h, bytes.data() + *off, sizeof h);
  if (std::memcmp(h.magic, "ATOLLART", 8) != 0) return artifact_error("not an atoll artifact (bad magic)");
  if (h.version != abi::kArtifactVersion) {
    return artifact_error("artifact format version " + std::to_string(h.version) +
                          " is not supported (this atoll reads version " +
                          std::to_string(abi::kArtifactVersion) + "); recompile the module");
  }
  if (h.file_size != bytes.size()) {
    return artifact_error("corrupt artifact: size is " + std::to_string(bytes.size()) +
                          " bytes, expected " + std::to_string(h.file_size) + " (truncated?)");
  }
  const uint64_t field = *off + offsetof(MetaHeader, checksum);
  uint64_t actual;
  if (field % 8 == 0) {
    actual = checksum(bytes, field);  // in place: no copy of the artifact
  } else {
    std::vector<uint8_t> copy(bytes.begin(), bytes.end());
    std::memset(copy.data() + field, 0, 8);
    actual = checksum(copy);
  }
  if (actual != h.checksum) return artifact_error("corrupt artifact: checksum mismatch");
  const uint64_t missing = h.cpu_features & ~available_cpu_features;
  if (missing) {
    return artifact_error("artifact needs CPU features this machine lacks: " + feature_names(missing) +
                          " (compiled for " + std::string(h.target_cpu, strnlen(h.target_cpu, sizeof h.target_cpu)) + ")");
  }
  const int mod_idx = elf->find_section(kModuleSection);
  if (mod_idx < 0) return artifact_error("corrupt artifact: no module descriptor");
  std::span<const uint8_t> desc = elf->contents(elf->sections()[mod_idx]);
  wasm::DecodeOutcome decoded =
      wasm::decode_module(std::vector<uint8_t>(desc.begin(), desc.end()), {.validate = false, .features = WasmFeatures::all()});  // judged when compiled
  // Everything but the (stub) function bodies is validated: the runtime indexes tables, memories,
  // globals, functions and segments by what the descriptor says.
  if (decoded.malformed) {
    return artifact_error("corrupt artifact: module descriptor: " + decoded.malformed->to_string());
  }
  if (decoded.invalid) {
    return artifact_error("corrupt artifact: module descriptor: " + decoded.invalid->to_string());
  }
  if (h.bounds_mode > 1) return artifact_error("corrupt artifact: unknown bounds mode " + std::to_string(h.bounds_mode));
  if (h.instrumentation & ~(kEpochChecks | kFuelMetering)) {
    return artifact_error("corrupt artifact: unknown instrumentation flags");
  }
  return ArtifactView{std::move(elf.value()), h, std::move(decoded.module)};
}

}  // namespace atl::artifact

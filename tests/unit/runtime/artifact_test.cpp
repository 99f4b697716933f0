#include <gtest/gtest.h>

#include <elf.h>

#include <cstring>
#include <fstream>

#include "artifact/artifact.h"
#include "atoll/atoll.h"
#include "support/process.h"
#include "../wat.h"

namespace atl {
namespace {

std::vector<uint8_t> sample_artifact(Config config = {}) {
  Engine engine(config);
  auto a = compile(engine, test::wat("(module (func $answer (export \"answer\") (result i32) (i32.const 42)))"));
  EXPECT_TRUE(a.ok()) << a.error().to_string();
  return a.ok() ? std::move(a.value()) : std::vector<uint8_t>{};
}

std::string load_error(std::vector<uint8_t> bytes) {
  Engine engine;
  auto m = Module::from_artifact(engine, std::move(bytes));
  return m.ok() ? "" : m.error().message;
}

size_t meta_offset(const std::vector<uint8_t>& bytes) {
  auto elf = artifact::ElfFile::parse(bytes);
  const int idx = elf->find_section(artifact::kMetaSection);
  return elf->sections()[idx].offset;
}

TEST(Artifact, LoadsAndRuns) {
  Engine engine;
  auto m = Module::from_artifact(engine, sample_artifact());
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  Store store(engine);
  Linker linker(store);
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(*(*inst->func<int32_t()>("answer"))(), 42);
}

TEST(Module, ImportsAndExportsCarryTheirTypes) {
  Engine engine;
  auto m = compile_module(engine, test::wat(R"((module
    (import "env" "f" (func (param i32) (result i64)))
    (import "env" "t" (table 2 funcref))
    (import "env" "g" (global (mut f32)))
    (import "env" "m" (memory 1 3))
    (func (export "h") (param f64 f64) (result i32) (i32.const 0))
    (global (export "c") i64 (i64.const 1))
    (table (export "tab") 4 8 externref)
    (export "mem" (memory 0))
    (export "f2" (func 0))))"));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  const auto imports = m->imports();
  ASSERT_EQ(imports.size(), 4u);
  EXPECT_EQ(imports[0].type.to_string(), "func [i32] -> [i64]");
  EXPECT_EQ(imports[1].type.table, (TableType{ValType::FuncRef, Limits{2, std::nullopt}}));
  EXPECT_EQ(imports[2].type.global, (GlobalType{ValType::F32, true}));
  EXPECT_EQ(imports[3].type.memory, (MemoryType{Limits{1, 3}}));
  EXPECT_EQ(imports[3].type.to_string(), "memory 1..3");
  std::vector<std::string> exports;
  for (const ExportType& e : m->exports()) exports.push_back(e.name + ": " + e.type.to_string());
  EXPECT_EQ(exports, (std::vector<std::string>{"h: func [f64 f64] -> [i32]", "c: global i64", "tab: table externref 4..8",
                                               "mem: memory 1..3", "f2: func [i32] -> [i64]"}));
}

TEST(Module, ValidateNamesWhatIsWrongWithoutCompiling) {
  Engine engine;
  EXPECT_TRUE(Module::validate(engine, test::wat("(module (func (result i32) (i32.const 1)))")).ok());
  // (module (func (result i32) (i64.const 1))): wat2wasm would refuse to write it.
  const std::vector<uint8_t> mistyped = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00,
                                         0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x01, 0x0b};
  auto bad = Module::validate(engine, mistyped);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(bad.error().func, 0u);
  EXPECT_NE(bad.error().offset, Error::kNoOffset);
  const std::vector<uint8_t> junk = {0x00, 0x61, 0x73, 0x6d, 0x02};
  auto malformed = Module::validate(engine, junk);
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().kind, ErrorKind::Malformed);
}

TEST(Artifact, RefusesTruncatedCorruptAndForeignFiles) {
  std::vector<uint8_t> a = sample_artifact();
  ASSERT_FALSE(a.empty());
  std::vector<uint8_t> truncated(a.begin(), a.end() - 100);
  EXPECT_NE(load_error(truncated).find("corrupt artifact"), std::string::npos) << load_error(truncated);
  std::vector<uint8_t> half(a.begin(), a.begin() + static_cast<ptrdiff_t>(a.size() / 2));
  EXPECT_FALSE(load_error(half).empty());
  std::vector<uint8_t> flipped = a;
  flipped[flipped.size() / 3] ^= 0x40;
  EXPECT_FALSE(load_error(flipped).empty());
  std::vector<uint8_t> foreign = a;
  foreign[18] = 0xb7;  // e_machine = AArch64
  EXPECT_NE(load_error(foreign).find("another target"), std::string::npos);
  EXPECT_NE(load_error({1, 2, 3}).find("not an atoll artifact"), std::string::npos);
  EXPECT_NE(load_error({}).find("not an atoll artifact"), std::string::npos);
}

TEST(Artifact, ChecksumCatchesAnyChangedByte) {
  std::vector<uint8_t> a = sample_artifact();
  const size_t meta = meta_offset(a);
  for (size_t i = 0; i < a.size(); i += 97) {
    if (i >= meta + offsetof(artifact::MetaHeader, checksum) &&
        i < meta + offsetof(artifact::MetaHeader, checksum) + 8) {
      continue;
    }
    std::vector<uint8_t> b = a;
    b[i] ^= 1;
    EXPECT_FALSE(load_error(b).empty()) << "changed byte " << i << " went unnoticed";
  }
}

TEST(Artifact, RefusesOtherFormatVersions) {
  std::vector<uint8_t> a = sample_artifact();
  const size_t meta = meta_offset(a);
  uint32_t version = 99;
  std::memcpy(a.data() + meta + offsetof(artifact::MetaHeader, version), &version, 4);
  ASSERT_TRUE(artifact::seal(a).ok());  // a well-formed file of another version
  EXPECT_NE(load_error(a).find("format version 99 is not supported"), std::string::npos) << load_error(a);
}

TEST(Artifact, RefusesCodeForMissingCpuFeatures) {
  std::vector<uint8_t> a = sample_artifact();  // x86-64-v2: needs SSE4.2, POPCNT, ...
  auto view = artifact::open(a, /*available_cpu_features=*/artifact::kSSE3);
  ASSERT_FALSE(view.ok());
  EXPECT_NE(view.error().message.find("needs CPU features this machine lacks: ssse3 sse4.1 sse4.2 popcnt"),
            std::string::npos)
      << view.error().message;
  EXPECT_TRUE(artifact::open(a, artifact::host_cpu_features()).ok());
}

TEST(Artifact, IsAStandardElfObjectThatObjdumpReads) {
  std::vector<uint8_t> a = sample_artifact();
  auto dir = TempDir::create("atoll-artifact-");
  ASSERT_TRUE(dir.ok());
  const std::string path = dir->path() + "/answer.atoll";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(a.data()), static_cast<std::streamsize>(a.size()));
  std::string out;
  auto rc = run_process({"objdump", "-d", path}, out);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, 0) << out;
  EXPECT_NE(out.find("<atl_func_0_answer>:"), std::string::npos) << out;
  EXPECT_NE(out.find("mov    $0x2a,%eax"), std::string::npos) << out;
}

}  // namespace
}  // namespace atl

namespace atl {
namespace {

// Hostile artifacts (issue 10, finding 6): structurally consistent, checksum made right, wrong
// inside. Each must be refused with an error, never crash the loader.
Elf64_Shdr* section_header(std::vector<uint8_t>& bytes, size_t index) {
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  return reinterpret_cast<Elf64_Shdr*>(bytes.data() + eh.e_shoff + index * sizeof(Elf64_Shdr));
}

TEST(HostileArtifact, StringTableWithoutContentsIsRefused) {
  std::vector<uint8_t> a = sample_artifact();
  Elf64_Ehdr eh;
  std::memcpy(&eh, a.data(), sizeof eh);
  Elf64_Shdr* strtab = section_header(a, eh.e_shstrndx);
  strtab->sh_type = SHT_NOBITS;  // its offset is no longer checked against the file
  strtab->sh_offset = 0x7fffffff;
  (void)artifact::seal(a);  // fails too: the section names are gone
  EXPECT_NE(load_error(a).find("corrupt artifact"), std::string::npos) << load_error(a);
}

TEST(HostileArtifact, InvalidModuleDescriptorIsRefused) {
  // A data segment for memory 0 in a module without memory: decodes, but is invalid.
  Engine engine;
  auto a = compile(engine, test::wat("(module (memory 1) (data (i32.const 0) \"x\"))"));
  ASSERT_TRUE(a.ok());
  auto elf = artifact::ElfFile::parse(*a);
  const artifact::ElfSection& desc = elf->sections()[elf->find_section(artifact::kModuleSection)];
  // Find the memory section (id 5, size 3: count 1, flags 0, min 1) and turn it into a custom one.
  bool patched = false;
  for (uint64_t i = desc.offset; i + 4 < desc.offset + desc.size; ++i) {
    if ((*a)[i] == 5 && (*a)[i + 1] == 3 && (*a)[i + 2] == 1 && (*a)[i + 3] == 0 && (*a)[i + 4] == 1) {
      (*a)[i] = 0;      // custom section...
      (*a)[i + 2] = 2;  // ...named by the next two bytes
      patched = true;
      break;
    }
  }
  ASSERT_TRUE(patched);
  ASSERT_TRUE(artifact::seal(*a).ok());
  EXPECT_NE(load_error(*a).find("module descriptor"), std::string::npos) << load_error(*a);
}

TEST(HostileArtifact, FunctionSymbolOutsideCodeIsRefused) {
  std::vector<uint8_t> a = sample_artifact();
  auto elf = artifact::ElfFile::parse(a);
  const int data = elf->find_section(artifact::kMetaSection);
  ASSERT_GE(data, 0);
  // Point atl_func_0's symbol at the metadata section.
  Elf64_Ehdr eh;
  std::memcpy(&eh, a.data(), sizeof eh);
  bool moved = false;
  for (size_t i = 0; i < eh.e_shnum && !moved; ++i) {
    Elf64_Shdr* sh = section_header(a, i);
    if (sh->sh_type != SHT_SYMTAB) continue;
    const Elf64_Shdr* names = section_header(a, sh->sh_link);
    for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh->sh_size; off += sizeof(Elf64_Sym)) {
      auto* sym = reinterpret_cast<Elf64_Sym*>(a.data() + sh->sh_offset + off);
      const char* name = reinterpret_cast<const char*>(a.data() + names->sh_offset + sym->st_name);
      if (std::strncmp(name, "atl_func_0", 10) == 0) {
        sym->st_shndx = static_cast<uint16_t>(data);
        sym->st_value = 0;
        sym->st_size = 0;
        moved = true;
        break;
      }
    }
  }
  ASSERT_TRUE(moved);
  ASSERT_TRUE(artifact::seal(a).ok());
  EXPECT_NE(load_error(a).find("not in executable code"), std::string::npos) << load_error(a);
}

}  // namespace
}  // namespace atl

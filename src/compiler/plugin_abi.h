// The C ABI between the CLI and the compiler plugin (libatoll-compiler.so), so a process that
// only runs artifacts never loads LLVM. Bump kPluginAbiVersion on any change.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {

struct atl_plugin_options {
  int32_t opt_level;
  int32_t bounds;  // compiler::BoundsMode
  const char* target_cpu;
  uint32_t threads;
  uint64_t chunk_bytes;
  uint32_t epoch_interruption;
  uint32_t consume_fuel;
  uint64_t features;  // atl::WasmFeatures::bits()
};

struct atl_plugin_result {
  uint8_t* artifact;  // malloc'ed; free with atl_plugin_free
  size_t artifact_size;
  int32_t error_kind;  // atl::ErrorKind when artifact is null
  uint64_t error_offset;
  uint32_t error_func;
  char* error_message;  // malloc'ed
};

// Returns kPluginAbiVersion.
uint32_t atl_plugin_abi_version(void);
void atl_plugin_compile(const uint8_t* wasm, size_t size, const atl_plugin_options* options,
                        atl_plugin_result* result);
void atl_plugin_free(void* p);

// One disassembled instruction: its address, length in bytes and text (valid during the call).
typedef void (*atl_plugin_instruction_fn)(void* user, uint64_t address, uint32_t size, const char* text);
// Disassembles x86-64 `code` taken to be at `address`, calling `emit` per instruction. Returns 0,
// or an error message (malloc'ed; free with atl_plugin_free).
char* atl_plugin_disassemble(const uint8_t* code, size_t size, uint64_t address, atl_plugin_instruction_fn emit,
                             void* user);

}  // extern "C"

namespace atl::compiler {
constexpr uint32_t kPluginAbiVersion = 4;
constexpr const char* kPluginFileName = "libatoll-compiler.so";
}  // namespace atl::compiler

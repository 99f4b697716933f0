// The compiler as a plugin: the C entry points of plugin_abi.h over compiler::compile().
#include <cstdlib>
#include <cstring>

#include "compiler/compiler.h"
#include "compiler/disassemble.h"
#include "compiler/plugin_abi.h"
#include "wasm/decoder.h"

extern "C" {

__attribute__((visibility("default"))) uint32_t atl_plugin_abi_version(void) {
  return atl::compiler::kPluginAbiVersion;
}

__attribute__((visibility("default"))) void atl_plugin_compile(const uint8_t* wasm, size_t size,
                                                              const atl_plugin_options* options,
                                                              atl_plugin_result* result) {
  std::memset(result, 0, sizeof *result);
  auto fail = [&](const atl::Error& e) {
    result->error_kind = static_cast<int32_t>(e.kind);
    result->error_offset = e.offset;
    result->error_func = e.func;
    result->error_message = strdup(e.message.c_str());
  };
  auto module = atl::wasm::decode_and_validate(std::span<const uint8_t>(wasm, size),
                                               atl::WasmFeatures::from_bits(options->features));
  if (!module.ok()) return fail(module.error());
  atl::compiler::CompileOptions co;
  co.opt_level = options->opt_level;
  co.bounds = static_cast<atl::compiler::BoundsMode>(options->bounds);
  co.target_cpu = options->target_cpu ? options->target_cpu : "x86-64-v2";
  co.threads = options->threads;
  co.chunk_bytes = options->chunk_bytes;
  co.epoch_interruption = options->epoch_interruption != 0;
  co.consume_fuel = options->consume_fuel != 0;
  auto artifact = atl::compiler::compile(*module, co);
  if (!artifact.ok()) return fail(artifact.error());
  result->artifact = static_cast<uint8_t*>(std::malloc(artifact->size()));
  if (!result->artifact) return fail(atl::make_error(atl::ErrorKind::Other, "out of memory"));
  std::memcpy(result->artifact, artifact->data(), artifact->size());
  result->artifact_size = artifact->size();
}

__attribute__((visibility("default"))) void atl_plugin_free(void* p) { std::free(p); }

__attribute__((visibility("default"))) char* atl_plugin_disassemble(const uint8_t* code, size_t size,
                                                                   uint64_t address, atl_plugin_instruction_fn emit,
                                                                   void* user) {
  auto done = atl::compiler::disassemble(std::span<const uint8_t>(code, size), address,
                                         [&](uint64_t at, uint32_t n, const std::string& text) {
                                           emit(user, at, n, text.c_str());
                                         });
  return done.ok() ? nullptr : strdup(done.error().message.c_str());
}

}  // extern "C"

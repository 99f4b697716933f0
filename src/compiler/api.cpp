// atl::compile() of the public API: the compiler behind an Engine's configuration.
#include "atoll/atoll.h"
#include "compiler/compiler.h"
#include "wasm/decoder.h"

namespace atl {

Result<std::vector<uint8_t>> compile(const Engine& engine, std::span<const uint8_t> wasm_bytes) {
  auto module = wasm::decode_and_validate(wasm_bytes, engine.config().features);
  if (!module.ok()) return module.take_error();
  compiler::CompileOptions options;
  options.opt_level = engine.config().opt_level;
  options.bounds = engine.config().bounds == BoundsChecks::Explicit ? compiler::BoundsMode::Explicit
                                                                    : compiler::BoundsMode::GuardPages;
  options.target_cpu = engine.config().target_cpu;
  options.threads = engine.config().compile_threads;
  options.chunk_bytes = engine.config().compile_chunk_bytes;
  options.epoch_interruption = engine.config().epoch_interruption;
  options.consume_fuel = engine.config().consume_fuel;
  return compiler::compile(*module, options);
}

}  // namespace atl

// The module decoder: WebAssembly 2.0 binary (and the 3.0 features of WasmFeatures) -> Module, validating as it goes.
//
// Decoding and validation run in one pass over the bytes (function bodies are decoded and
// type-checked instruction by instruction). The spec orders them, though: a module that is both
// malformed and invalid is malformed. So the first validation error is remembered while decoding
// continues, and it is reported only if the whole binary decodes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "atoll/features.h"
#include "atoll/result.h"
#include "wasm/module.h"

namespace atl::wasm {

struct DecodeOptions {
  bool validate = true;  // false: structure only (used by tools that show invalid modules)
  WasmFeatures features;  // proposals beyond 2.0 the module may use
};

struct DecodeOutcome {
  Module module;
  std::optional<Error> malformed;  // set: `module` is partial
  std::optional<Error> invalid;    // set: `module` is complete but fails validation
};

// Full control: both error kinds and the (possibly partial) module.
DecodeOutcome decode_module(std::vector<uint8_t> bytes, const DecodeOptions& options = {});

// The common case: a valid module or the error that rejects it.
Result<Module> decode_and_validate(std::vector<uint8_t> bytes, const WasmFeatures& features = {});
Result<Module> decode_and_validate(std::span<const uint8_t> bytes, const WasmFeatures& features = {});

// Implementation limit beyond the spec's (the JS API's limit): bounds the memory a hostile body
// can make the validator allocate for its local types.
constexpr uint32_t kMaxLocals = 50000;

}  // namespace atl::wasm

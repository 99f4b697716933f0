// atl::compile() in a worker process under a time and memory budget (see Config::compile_timeout_ms).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "atoll/atoll.h"

namespace atl {
Result<std::vector<uint8_t>> compile_isolated(const Config& config, std::span<const uint8_t> wasm,
                                              const std::string& worker_path, const std::string& plugin_path);
}  // namespace atl

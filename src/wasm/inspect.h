// Human-readable summary of a decoded module, the content of `atoll inspect`.
#pragma once

#include <iosfwd>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "wasm/module.h"

namespace atl::wasm {

void print_module(const Module& m, const std::string& file_name, std::ostream& out);

std::string const_expr_to_string(const ConstExpr& c);

// The same content as one JSON object (the "module" member of `atoll inspect --json`).
nlohmann::ordered_json module_json(const Module& m);

}  // namespace atl::wasm

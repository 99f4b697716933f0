// The compiled-code cache behind `atoll run app.wasm`: artifacts keyed by a 128-bit hash of the
// module bytes together with the compiler identity and the settings that change generated code.
//
// Entries are written to a temporary file and renamed into place, so concurrent runs filling the
// same entry are safe (the last rename wins; both are complete). A corrupt, truncated or stale
// entry fails the artifact checks on load and is recompiled, never executed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "atoll/result.h"

namespace atl::cache {

// $XDG_CACHE_HOME/atoll, else $HOME/.cache/atoll.
Result<std::string> default_directory();

// File name (inside the directory) for a module compiled with the given settings.
std::string entry_name(std::span<const uint8_t> wasm, const std::string& settings);

// Reads an entry, or nullopt if there is none.
std::optional<std::vector<uint8_t>> read(const std::string& dir, const std::string& name);

// Writes an entry atomically (temporary file + rename), creating the directory if needed.
Result<void> write(const std::string& dir, const std::string& name, std::span<const uint8_t> bytes);

// Removes every entry (and leftover temporary files); returns how many files were removed.
Result<size_t> clean(const std::string& dir);

}  // namespace atl::cache

// UTF-8 validation as the WebAssembly binary format requires for names: no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
#pragma once

#include <cstddef>
#include <cstdint>

namespace atl {

bool is_valid_utf8(const uint8_t* data, size_t size);

}  // namespace atl

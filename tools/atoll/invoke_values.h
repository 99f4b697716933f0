// Values of `atoll run --invoke`: arguments typed by the export's signature, results printed so
// that no two different values look alike.
#pragma once

#include <string>

#include "atoll/atoll.h"

namespace atl::cli {

// i32/i64: decimal or 0x hex, signed or unsigned spelling ("-1" and "4294967295" are the same
// i32), never octal ("010" is ten). f32/f64: decimal or hex floats, inf, nan, nan:0xPAYLOAD.
// v128: 0x and up to 32 hex digits. funcref/externref: null.
Result<Val> parse_value(const std::string& text, ValType type);

// i32/i64: signed decimal, and for a negative value also its bits in hex, which say its width:
// "-1 (0xffffffff)". f32/f64: the shortest decimal that reads back as the same value; NaNs with
// a payload other than the canonical one show it ("nan:0x200000"); -0 keeps its sign.
std::string format_value(const Val& v);

}  // namespace atl::cli

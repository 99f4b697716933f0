// Parsing the quantities people type on a command line: integers (decimal or 0x hex, never
// octal), byte sizes with binary suffixes, durations, and yes/no switches. Every error names the
// text that was refused and what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "atoll/result.h"

namespace atl::units {

// A whole number: decimal, or hexadecimal after 0x/0X, optionally negative, with '_' allowed
// between digits. A leading zero is decimal ("010" is ten). Results are the two's-complement
// bits of the value; `bits` (32 or 64) bounds it to [-2^(bits-1), 2^bits - 1], so both the
// signed and the unsigned spelling of a value are accepted.
Result<uint64_t> parse_integer(std::string_view text, unsigned bits);

// A non-negative count with no sign and no suffix, up to `max`.
Result<uint64_t> parse_count(std::string_view text, uint64_t max = UINT64_MAX);

// Bytes: a count with an optional suffix K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB (all binary:
// 1K = 1024) or B.
Result<uint64_t> parse_bytes(std::string_view text);

// A duration in nanoseconds: a number (decimals allowed) with a unit ns, us, ms, s, m or h; a
// bare number is seconds, as in Wasmtime ("2" is two seconds). Up to a year.
Result<uint64_t> parse_duration_ns(std::string_view text);

// A switch's value: empty (the switch alone), y/yes/true/on/1 or n/no/false/off/0.
Result<bool> parse_switch(std::string_view text);

// A duration for messages: "250ms", "2s", "1.5s", "300us".
std::string format_duration_ns(uint64_t ns);

}  // namespace atl::units

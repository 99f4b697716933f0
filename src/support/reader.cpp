#include "support/reader.h"

namespace atl {

// LEB128 rules from the binary format: at most ceil(bits/7) bytes ("integer representation too
// long"), and the unused bits of the last byte must be zero for unsigned values, or a sign
// extension of the top used bit for signed values ("integer too large").
uint64_t Reader::leb_unsigned(unsigned bits) {
  const unsigned max_bytes = (bits + 6) / 7;
  const uint64_t begin = offset();
  uint64_t result = 0;
  for (unsigned i = 0; i < max_bytes; ++i) {
    if (p_ >= end_) {
      fail("unexpected end", offset());
      return 0;
    }
    const uint8_t byte = *p_++;
    const unsigned shift = 7 * i;
    if (i == max_bytes - 1) {
      const unsigned used = bits - shift;  // value bits that live in this byte
      if (byte & 0x80) {
        fail("integer representation too long", begin);
        return 0;
      }
      if (used < 7 && (byte >> used) != 0) {
        fail("integer too large", begin);
        return 0;
      }
    }
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return result;
  }
  return result;  // unreachable: the last byte either ends or fails
}

int64_t Reader::leb_signed(unsigned bits) {
  const unsigned max_bytes = (bits + 6) / 7;
  const uint64_t begin = offset();
  uint64_t result = 0;
  for (unsigned i = 0; i < max_bytes; ++i) {
    if (p_ >= end_) {
      fail("unexpected end", offset());
      return 0;
    }
    const uint8_t byte = *p_++;
    const unsigned shift = 7 * i;
    if (i == max_bytes - 1) {
      if (byte & 0x80) {
        fail("integer representation too long", begin);
        return 0;
      }
      const unsigned used = bits - shift;  // includes the sign bit
      if (used < 7) {
        // Bits [used-1, 6] must all equal the sign bit.
        const uint8_t top = static_cast<uint8_t>(byte & 0x7f) >> (used - 1);
        const uint8_t all = static_cast<uint8_t>(0x7f >> (used - 1));
        if (top != 0 && top != all) {
          fail("integer too large", begin);
          return 0;
        }
      }
    }
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      const unsigned total = shift + 7;
      if (total < 64 && (byte & 0x40)) result |= ~uint64_t{0} << total;
      return static_cast<int64_t>(result);
    }
  }
  return static_cast<int64_t>(result);
}

}  // namespace atl

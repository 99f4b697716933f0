// Bounds-checked little-endian byte reader with LEB128, used by every decoding stage.
//
// Design: the reader is "sticky-failing". The first error (unexpected end, overlong or
// overflowing LEB128) is recorded with its absolute offset, the cursor jumps to the end, and every
// later read returns zero. Callers therefore check ok() at natural boundaries (after an item, at
// loop heads) instead of after each byte, which keeps the hot decode loop branch-light. Any loop
// driven by a count read from the input must check ok() per iteration or bound the count by
// remaining() first, so a failed reader can never spin.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace atl {

class Reader {
 public:
  Reader() = default;
  // `base` is the absolute offset of `begin` in the whole input, for error messages.
  Reader(const uint8_t* begin, const uint8_t* end, uint64_t base = 0)
      : start_(begin), p_(begin), end_(end), base_(base) {}

  bool ok() const { return error_.empty(); }
  bool at_end() const { return p_ >= end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  uint64_t offset() const { return base_ + static_cast<uint64_t>(p_ - start_); }
  const uint8_t* pos() const { return p_; }
  const uint8_t* end() const { return end_; }

  const std::string& error() const { return error_; }
  uint64_t error_offset() const { return error_offset_; }

  // Records an error at `at` (absolute offset) unless one is recorded already.
  void fail(std::string_view message, uint64_t at) {
    if (!error_.empty()) return;
    error_ = message;
    error_offset_ = at;
    p_ = end_;
  }
  void fail(std::string_view message) { fail(message, offset()); }

  uint8_t u8() {
    if (p_ >= end_) {
      fail("unexpected end");
      return 0;
    }
    return *p_++;
  }
  uint8_t peek_u8() const { return p_ < end_ ? *p_ : 0; }

  uint32_t fixed_u32() {
    uint32_t v = 0;
    if (remaining() < 4) {
      fail("unexpected end");
      return 0;
    }
    std::memcpy(&v, p_, 4);
    p_ += 4;
    return v;
  }
  uint64_t fixed_u64() {
    uint64_t v = 0;
    if (remaining() < 8) {
      fail("unexpected end");
      return 0;
    }
    std::memcpy(&v, p_, 8);
    p_ += 8;
    return v;
  }
  bool bytes(size_t n, const uint8_t** out) {
    if (remaining() < n) {
      fail("unexpected end");
      *out = p_;
      return false;
    }
    *out = p_;
    p_ += n;
    return true;
  }
  void skip(size_t n) {
    if (remaining() < n) {
      fail("unexpected end");
      return;
    }
    p_ += n;
  }

  uint32_t u32() {
    if (p_ < end_ && *p_ < 0x80) return *p_++;  // fast path: one byte
    return static_cast<uint32_t>(leb_unsigned(32));
  }
  uint64_t u64() { return leb_unsigned(64); }
  int32_t s32() {
    if (p_ < end_ && *p_ < 0x40) return *p_++;  // fast path: small positive
    return static_cast<int32_t>(leb_signed(32));
  }
  int64_t s64() { return leb_signed(64); }
  // The 33-bit signed integer used for block types.
  int64_t s33() { return leb_signed(33); }

 private:
  uint64_t leb_unsigned(unsigned bits);
  int64_t leb_signed(unsigned bits);

  const uint8_t* start_ = nullptr;
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  uint64_t base_ = 0;
  std::string error_;
  uint64_t error_offset_ = 0;
};

}  // namespace atl

#include "support/reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace atl {
namespace {

struct Leb {
  std::vector<uint8_t> bytes;
  Reader reader() const { return Reader(bytes.data(), bytes.data() + bytes.size(), 100); }
};

TEST(Leb128, UnsignedValues) {
  EXPECT_EQ((Leb{{0x00}}.reader().u32()), 0u);
  EXPECT_EQ((Leb{{0x7f}}.reader().u32()), 127u);
  EXPECT_EQ((Leb{{0x80, 0x01}}.reader().u32()), 128u);
  EXPECT_EQ((Leb{{0xe5, 0x8e, 0x26}}.reader().u32()), 624485u);
  EXPECT_EQ((Leb{{0xff, 0xff, 0xff, 0xff, 0x0f}}.reader().u32()), 0xffffffffu);
  EXPECT_EQ((Leb{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}}.reader().u64()),
            ~uint64_t{0});
}

TEST(Leb128, OverlongButInRangeIsAccepted) {
  // Redundant zero continuation bytes are allowed up to the maximum length.
  Leb r_bytes{{0x80, 0x80, 0x80, 0x80, 0x00}};
  Reader r = r_bytes.reader();
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_TRUE(r.ok());
}

TEST(Leb128, TooLong) {
  Leb r_bytes{{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}};
  Reader r = r_bytes.reader();
  r.u32();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "integer representation too long");
  EXPECT_EQ(r.error_offset(), 100u);
}

TEST(Leb128, UnusedBitsMustBeZero) {
  Leb r_bytes{{0xff, 0xff, 0xff, 0xff, 0x1f}};
  Reader r = r_bytes.reader();  // bit 32 set
  r.u32();
  EXPECT_EQ(r.error(), "integer too large");
  Leb r64_bytes{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}};
  Reader r64 = r64_bytes.reader();
  r64.u64();
  EXPECT_EQ(r64.error(), "integer too large");
}

TEST(Leb128, Truncated) {
  Leb r_bytes{{0x80, 0x80}};
  Reader r = r_bytes.reader();
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_EQ(r.error(), "unexpected end");
  EXPECT_EQ(r.error_offset(), 102u);
  // Sticky: later reads return zero and keep the first error.
  EXPECT_EQ(r.u8(), 0u);
  EXPECT_EQ(r.error_offset(), 102u);
}

TEST(Leb128, SignedValues) {
  EXPECT_EQ((Leb{{0x7f}}.reader().s32()), -1);
  EXPECT_EQ((Leb{{0x3f}}.reader().s32()), 63);
  EXPECT_EQ((Leb{{0x40}}.reader().s32()), -64);
  EXPECT_EQ((Leb{{0xc0, 0xbb, 0x78}}.reader().s32()), -123456);
  EXPECT_EQ((Leb{{0x80, 0x80, 0x80, 0x80, 0x78}}.reader().s32()), INT32_MIN);
  EXPECT_EQ((Leb{{0xff, 0xff, 0xff, 0xff, 0x07}}.reader().s32()), INT32_MAX);
  EXPECT_EQ((Leb{{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}}.reader().s64()),
            INT64_MIN);
}

TEST(Leb128, SignedUnusedBitsMustExtendTheSign) {
  Leb pos_bytes{{0xff, 0xff, 0xff, 0xff, 0x0f}};
  Reader pos = pos_bytes.reader();  // sign bit 0, bit 35 set
  pos.s32();
  EXPECT_EQ(pos.error(), "integer too large");
  Leb neg_bytes{{0x80, 0x80, 0x80, 0x80, 0x70}};
  Reader neg = neg_bytes.reader();  // sign bit 1, bit 35 clear
  neg.s32();
  EXPECT_EQ(neg.error(), "integer too large");
  Leb s64_bytes{{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x41}};
  Reader s64 = s64_bytes.reader();
  s64.s64();
  EXPECT_EQ(s64.error(), "integer too large");
}

TEST(Leb128, S33ForBlockTypes) {
  EXPECT_EQ((Leb{{0xff, 0xff, 0xff, 0xff, 0x0f}}.reader().s33()), 0xffffffffll);
  EXPECT_EQ((Leb{{0x40}}.reader().s33()), -64);
  Leb r_bytes{{0xff, 0xff, 0xff, 0xff, 0x1f}};
  Reader r = r_bytes.reader();  // bit 33 set with sign 0
  r.s33();
  EXPECT_EQ(r.error(), "integer too large");
}

TEST(Reader, FixedWidthAndBounds) {
  Leb l{{0x01, 0x02, 0x03, 0x04, 0x05}};
  Reader r = l.reader();
  EXPECT_EQ(r.fixed_u32(), 0x04030201u);
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_EQ(r.fixed_u32(), 0u);
  EXPECT_EQ(r.error(), "unexpected end");
}

}  // namespace
}  // namespace atl

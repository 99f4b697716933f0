#include "support/units.h"

#include <gtest/gtest.h>

namespace atl::units {
namespace {

uint64_t integer(const char* text, unsigned bits) {
  auto v = parse_integer(text, bits);
  EXPECT_TRUE(v.ok()) << text << ": " << v.error().message;
  return v.ok() ? *v : 0xdeadbeef;
}

TEST(Units, IntegersAreDecimalOrHexNeverOctal) {
  EXPECT_EQ(integer("010", 32), 10u);
  EXPECT_EQ(integer("0", 32), 0u);
  EXPECT_EQ(integer("0x10", 32), 16u);
  EXPECT_EQ(integer("0XfF", 32), 255u);
  EXPECT_EQ(integer("1_000_000", 32), 1'000'000u);
  EXPECT_EQ(integer("+7", 32), 7u);
  EXPECT_FALSE(parse_integer("0o10", 32).ok());
  EXPECT_FALSE(parse_integer("08x", 32).ok());
  EXPECT_FALSE(parse_integer("", 32).ok());
  EXPECT_FALSE(parse_integer("-", 32).ok());
  EXPECT_FALSE(parse_integer("0x", 32).ok());
  EXPECT_FALSE(parse_integer("1__0", 32).ok());
  EXPECT_FALSE(parse_integer("_1", 32).ok());
  EXPECT_FALSE(parse_integer("1 ", 32).ok());
}

TEST(Units, IntegersTakeSignedAndUnsignedSpellings) {
  EXPECT_EQ(integer("-1", 32), 0xffffffffu);
  EXPECT_EQ(integer("4294967295", 32), 0xffffffffu);
  EXPECT_EQ(integer("-2147483648", 32), 0x80000000u);
  EXPECT_EQ(integer("-0x80000000", 32), 0x80000000u);
  EXPECT_FALSE(parse_integer("4294967296", 32).ok());
  EXPECT_FALSE(parse_integer("-2147483649", 32).ok());
  EXPECT_EQ(integer("-1", 64), UINT64_MAX);
  EXPECT_EQ(integer("18446744073709551615", 64), UINT64_MAX);
  EXPECT_EQ(integer("-9223372036854775808", 64), uint64_t{1} << 63);
  EXPECT_FALSE(parse_integer("18446744073709551616", 64).ok());
  EXPECT_FALSE(parse_integer("-9223372036854775809", 64).ok());
  auto e = parse_integer("4294967296", 32);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("out of range for a 32-bit integer"), std::string::npos);
}

TEST(Units, Bytes) {
  EXPECT_EQ(*parse_bytes("65536"), 65536u);
  EXPECT_EQ(*parse_bytes("64KiB"), 65536u);
  EXPECT_EQ(*parse_bytes("64k"), 65536u);
  EXPECT_EQ(*parse_bytes("1MiB"), 1u << 20);
  EXPECT_EQ(*parse_bytes("2G"), uint64_t{2} << 30);
  EXPECT_EQ(*parse_bytes("10B"), 10u);
  EXPECT_EQ(*parse_bytes("0x1000"), 4096u);
  EXPECT_FALSE(parse_bytes("1.5M").ok());
  EXPECT_FALSE(parse_bytes("12 MiB").ok());
  EXPECT_FALSE(parse_bytes("3furlongs").ok());
  EXPECT_FALSE(parse_bytes("-1").ok());
  EXPECT_FALSE(parse_bytes("").ok());
  EXPECT_FALSE(parse_bytes("99999999999T").ok());
}

TEST(Units, Durations) {
  EXPECT_EQ(*parse_duration_ns("2"), 2'000'000'000u);
  EXPECT_EQ(*parse_duration_ns("1.5s"), 1'500'000'000u);
  EXPECT_EQ(*parse_duration_ns("250ms"), 250'000'000u);
  EXPECT_EQ(*parse_duration_ns("10us"), 10'000u);
  EXPECT_EQ(*parse_duration_ns("7ns"), 7u);
  EXPECT_EQ(*parse_duration_ns("2m"), 120'000'000'000u);
  EXPECT_EQ(*parse_duration_ns("1h"), 3'600'000'000'000u);
  EXPECT_FALSE(parse_duration_ns("").ok());
  EXPECT_FALSE(parse_duration_ns("ms").ok());
  EXPECT_FALSE(parse_duration_ns("1.2.3s").ok());
  EXPECT_FALSE(parse_duration_ns("5 s").ok());
  EXPECT_FALSE(parse_duration_ns("-1s").ok());
  EXPECT_FALSE(parse_duration_ns("5d").ok());
  EXPECT_FALSE(parse_duration_ns("100000h").ok());
  EXPECT_EQ(format_duration_ns(250'000'000), "250ms");
  EXPECT_EQ(format_duration_ns(2'000'000'000), "2s");
  EXPECT_EQ(format_duration_ns(1'500'000'000), "1.5s");
  EXPECT_EQ(format_duration_ns(300'000), "300us");
}

TEST(Units, Switches) {
  EXPECT_TRUE(*parse_switch(""));
  EXPECT_TRUE(*parse_switch("y"));
  EXPECT_TRUE(*parse_switch("YES"));
  EXPECT_FALSE(*parse_switch("n"));
  EXPECT_FALSE(*parse_switch("false"));
  EXPECT_FALSE(parse_switch("maybe").ok());
}

TEST(Units, Counts) {
  EXPECT_EQ(*parse_count("1000"), 1000u);
  EXPECT_EQ(*parse_count("0x20"), 32u);
  EXPECT_FALSE(parse_count("-3").ok());
  EXPECT_FALSE(parse_count("11", 10).ok());
}

}  // namespace
}  // namespace atl::units

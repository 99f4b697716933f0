#include "support/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace atl {
namespace {

bool valid(const std::string& s) {
  return is_valid_utf8(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(Utf8, AcceptsWellFormed) {
  EXPECT_TRUE(valid(""));
  EXPECT_TRUE(valid("plain ascii"));
  EXPECT_TRUE(valid("\xc3\xa9"));          // U+00E9
  EXPECT_TRUE(valid("\xe2\x82\xac"));      // U+20AC
  EXPECT_TRUE(valid("\xf0\x9f\x8c\xb4"));  // U+1F334
  EXPECT_TRUE(valid("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_TRUE(valid(std::string("\0", 1)));
}

TEST(Utf8, RejectsIllFormed) {
  EXPECT_FALSE(valid("\x80"));              // lone continuation
  EXPECT_FALSE(valid("\xc3"));              // truncated
  EXPECT_FALSE(valid("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(valid("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(valid("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(valid("\xf8\x88\x80\x80\x80"));
  EXPECT_FALSE(valid("\xe2\x28\xa1"));      // bad continuation
}

}  // namespace
}  // namespace atl

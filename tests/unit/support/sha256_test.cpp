#include "support/sha256.h"

#include <gtest/gtest.h>

namespace atl {
namespace {

std::string sha(const std::string& s, Sha256::Impl impl = Sha256::Impl::Best) {
  Sha256 h(impl);
  h.update(s);
  return to_hex(h.finish());
}

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(Sha256, KnownAnswers) {  // FIPS 180-4 examples, with the SHA extensions (if any) and without
  for (Sha256::Impl impl : {Sha256::Impl::Best, Sha256::Impl::Portable}) {
    EXPECT_EQ(sha("", impl), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha("abc", impl), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", impl),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha(std::string(1000000, 'a'), impl),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

// The hardware path against the portable one on every length up to a few blocks, and on
// bytes that are not all the same.
TEST(Sha256, HardwareAndPortableAgree) {
  if (!Sha256::hardware_available()) GTEST_SKIP() << "this CPU has no SHA extensions";
  std::string text;
  uint32_t x = 12345;
  for (int i = 0; i < 1000; ++i) {
    x = x * 1103515245u + 12345u;
    text += static_cast<char>(x >> 24);
  }
  for (size_t n = 0; n <= text.size(); ++n) {
    ASSERT_EQ(sha(text.substr(0, n), Sha256::Impl::Best), sha(text.substr(0, n), Sha256::Impl::Portable)) << n;
  }
}

TEST(Sha256, SplitUpdatesEqualOneUpdate) {
  const std::string text(1000, 'x');
  for (size_t cut : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 999u}) {
    Sha256 h;
    h.update(text.substr(0, cut));
    h.update(text.substr(cut));
    EXPECT_EQ(to_hex(h.finish()), sha(text)) << cut;
  }
}

TEST(HmacSha256, Rfc4231) {
  const std::vector<uint8_t> key1(20, 0x0b);
  EXPECT_EQ(to_hex(hmac_sha256(key1, bytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(to_hex(hmac_sha256(bytes("Jefe"), bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::vector<uint8_t> long_key(131, 0xaa);  // longer than a block: hashed first
  EXPECT_EQ(to_hex(hmac_sha256(long_key, bytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, PartsAreHashedAsTheirConcatenation) {
  const std::vector<uint8_t> key(20, 0x0b), hi = bytes("Hi "), there = bytes("There"), none;
  EXPECT_EQ(to_hex(hmac_sha256(key, {hi, none, there})),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_NE(hmac_sha256(key, {hi, there, hi}), hmac_sha256(key, {hi, there}));
}

TEST(Digests, EqualityIsExact) {
  Digest256 a{}, b{};
  EXPECT_TRUE(digests_equal(a, b));
  b[31] = 1;
  EXPECT_FALSE(digests_equal(a, b));
}

}  // namespace
}  // namespace atl

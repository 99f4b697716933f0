// SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104): the compile cache names entries by a
// collision-resistant hash of what they were compiled from, and authenticates them with a key.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

namespace atl {

using Digest256 = std::array<uint8_t, 32>;

class Sha256 {
 public:
  // Best: the x86 SHA extensions when the CPU has them (about 20x the portable code; a warm
  // `atoll run` hashes the whole module for its cache key), else portable C++.
  enum class Impl { Best, Portable };
  explicit Sha256(Impl impl = Impl::Best);
  static bool hardware_available();
  void update(std::span<const uint8_t> bytes);
  void update(const std::string& s) {
    update({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  }
  Digest256 finish();

 private:
  void blocks(const uint8_t* p, size_t count);
  bool hardware_;
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

Digest256 hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> message);
// The HMAC of the concatenation of `parts`, without building it.
Digest256 hmac_sha256(std::span<const uint8_t> key, std::initializer_list<std::span<const uint8_t>> parts);

// Compares in time independent of where the digests differ.
bool digests_equal(const Digest256& a, const Digest256& b);

std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace atl

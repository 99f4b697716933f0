#include "cache/cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "support/process.h"

namespace atl::cache {
namespace {

// Two independent 64-bit FNV-1a style hashes: 128 bits make accidental collisions a non-issue.
void hash128(std::span<const uint8_t> bytes, uint64_t& a, uint64_t& b) {
  for (uint8_t c : bytes) {
    a = (a ^ c) * 0x100000001b3ull;
    b = (b ^ c) * 0x9e3779b97f4a7c15ull;
    b ^= b >> 29;
  }
}

}  // namespace

Result<std::string> default_directory() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/atoll";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/atoll";
  return make_error(ErrorKind::Usage, "no cache directory: set XDG_CACHE_HOME or HOME, or use --no-cache");
}

std::string entry_name(std::span<const uint8_t> wasm, const std::string& settings) {
  uint64_t a = 0xcbf29ce484222325ull, b = 0x84222325cbf29ce4ull;
  hash128(wasm, a, b);
  const uint64_t n = wasm.size();
  hash128({reinterpret_cast<const uint8_t*>(&n), sizeof n}, a, b);
  hash128({reinterpret_cast<const uint8_t*>(settings.data()), settings.size()}, a, b);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%016llx%016llx.atoll", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return buf;
}

std::optional<std::vector<uint8_t>> read(const std::string& dir, const std::string& name) {
  auto bytes = read_file(dir + "/" + name);
  if (!bytes.ok()) return std::nullopt;
  return std::move(bytes.value());
}

Result<void> write(const std::string& dir, const std::string& name, std::span<const uint8_t> bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::Io, "cannot create the cache directory " + dir + ": " + ec.message());
  auto r = write_file_atomically(dir + "/" + name, bytes);
  if (!r.ok()) return make_error(ErrorKind::Io, "cannot write to the cache: " + r.error().message);
  return {};
}

Result<size_t> clean(const std::string& dir) {
  std::error_code ec;
  size_t removed = 0;
  if (!std::filesystem::exists(dir, ec)) return removed;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    const bool ours = file.size() > 6 && (file.compare(file.size() - 6, 6, ".atoll") == 0 ||
                                          file.find(".atoll.") != std::string::npos);
    if (ours && entry.is_regular_file(ec) && std::filesystem::remove(entry.path(), ec)) ++removed;
  }
  if (ec) return make_error(ErrorKind::Io, "cannot clean the cache " + dir + ": " + ec.message());
  return removed;
}

}  // namespace atl::cache

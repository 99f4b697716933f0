#include "cache/cache.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "support/process.h"

namespace atl::cache {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kTagBytes = 32;

Error fail(const std::string& what) { return make_error(ErrorKind::Io, what); }

// The directory must be a directory (not a symlink to one), ours, and writable only by us:
// anyone else who can write it can plant native code.
Result<void> check_directory(const std::string& dir) {
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) return fail("cannot use the cache " + dir + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return fail("cannot use the cache " + dir + ": not a directory (or a symlink)");
  if (st.st_uid != geteuid()) return fail("cannot use the cache " + dir + ": owned by another user");
  if (st.st_mode & (S_IWGRP | S_IWOTH)) return fail("cannot use the cache " + dir + ": writable by group or others");
  return {};
}

Result<std::vector<uint8_t>> read_key(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail("cannot open the cache key " + path + ": " + std::strerror(errno));
  struct stat st;
  std::vector<uint8_t> key(kKeyBytes);
  const bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
                  (st.st_mode & 0777) == 0600 && st.st_size == static_cast<off_t>(kKeyBytes) &&
                  read(fd, key.data(), kKeyBytes) == static_cast<ssize_t>(kKeyBytes);
  close(fd);
  if (!ok) return fail("the cache key " + path + " is not a 32-byte file of this user with mode 0600");
  return key;
}

Result<std::vector<uint8_t>> create_key(const std::string& path) {
  std::vector<uint8_t> key(kKeyBytes);
  if (getrandom(key.data(), key.size(), 0) != static_cast<ssize_t>(key.size())) {
    return fail(std::string("no random bytes for the cache key: ") + std::strerror(errno));
  }
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot create the cache key " + path + ": " + std::strerror(errno));
  const bool ok = fchmod(fd, 0600) == 0 && write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
  if (close(fd) != 0 || !ok) {
    unlink(path.c_str());
    return fail("cannot write the cache key " + path);
  }
  return key;
}

// The canonical form of `path` even if its last components do not exist yet: the longest
// existing prefix resolved by realpath, the rest appended.
std::string canonical_maybe_missing(const std::string& path) {
  std::filesystem::path p = std::filesystem::absolute(path).lexically_normal();
  std::filesystem::path rest;
  while (!p.empty()) {
    char buf[PATH_MAX];
    if (realpath(p.c_str(), buf)) {
      return rest.empty() ? std::string(buf) : (std::filesystem::path(buf) / rest).lexically_normal().string();
    }
    if (p == p.root_path()) break;
    rest = p.filename() / rest;
    p = p.parent_path();
  }
  return path;
}

bool is_within(const std::string& inner, const std::string& outer) {
  if (outer == "/") return true;
  return inner == outer || (inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
                            inner[outer.size()] == '/');
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// True if `dir` or one of its ancestors is the file `st` (the same inode, however it is reached).
bool has_ancestor(const std::string& dir, const struct stat& st) {
  std::filesystem::path p(dir);
  while (true) {
    struct stat s;
    if (stat(p.c_str(), &s) == 0 && same_file(s, st)) return true;
    if (p == p.root_path() || p.empty()) return false;
    p = p.parent_path();
  }
}

}  // namespace

Result<std::string> default_directory() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/atoll";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/atoll";
  return make_error(ErrorKind::Usage, "no cache directory: set XDG_CACHE_HOME or HOME, or use --no-cache");
}

std::string entry_name(std::span<const uint8_t> wasm, const std::string& settings) {
  Sha256 h;
  const uint64_t n = wasm.size();
  h.update({reinterpret_cast<const uint8_t*>(&n), sizeof n});
  h.update(wasm);
  h.update(settings);
  const Digest256 d = h.finish();
  return to_hex(d) + ".atoll";
}

Result<Cache> Cache::open(const std::string& dir) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail("cannot create the cache directory " + dir + ": " + std::strerror(errno));
  }
  if (auto ok = check_directory(dir); !ok.ok()) return ok.take_error();
  const std::string key_path = dir + "/key";
  auto key = read_key(key_path);
  if (!key.ok() && access(key_path.c_str(), F_OK) != 0) {
    key = create_key(key_path);
    if (!key.ok() && errno == EEXIST) key = read_key(key_path);  // another run created it first
  }
  if (!key.ok()) return key.take_error();
  return Cache(dir, std::move(key.value()));
}

Digest256 Cache::tag(const std::string& name, std::span<const uint8_t> artifact) const {
  // name, a zero byte, then the artifact (the name is a hex digest: it has no zero bytes)
  static constexpr uint8_t kSeparator = 0;
  return hmac_sha256(key_, {{reinterpret_cast<const uint8_t*>(name.data()), name.size()}, {&kSeparator, 1}, artifact});
}

std::optional<std::vector<uint8_t>> Cache::read(const std::string& name) const {
  auto bytes = read_file(dir_ + "/" + name);
  if (!bytes.ok() || bytes->size() < kTagBytes) return std::nullopt;
  std::vector<uint8_t> data = std::move(bytes.value());
  Digest256 stored;
  std::memcpy(stored.data(), data.data() + data.size() - kTagBytes, kTagBytes);
  data.resize(data.size() - kTagBytes);
  if (!digests_equal(stored, tag(name, data))) return std::nullopt;
  return data;
}

Result<void> Cache::write(const std::string& name, std::span<const uint8_t> artifact) const {
  std::vector<uint8_t> data(artifact.begin(), artifact.end());
  const Digest256 t = tag(name, artifact);
  data.insert(data.end(), t.begin(), t.end());
  auto r = write_file_atomically(dir_ + "/" + name, data, 0600);
  if (!r.ok()) return fail("cannot write to the cache: " + r.error().message);
  return {};
}

Result<size_t> clean(const std::string& dir) {
  std::error_code ec;
  size_t removed = 0;
  if (!std::filesystem::exists(dir, ec)) return removed;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    // Entries, their shared code files (NAME.atoll.code), leftover temporary files, and the key
    // (a fresh one is made on the next use); entries are what is counted.
    const bool is_entry = file.size() > 6 && file.compare(file.size() - 6, 6, ".atoll") == 0;
    const bool ours = file == "key" || is_entry || file.find(".atoll.") != std::string::npos;
    if (ours && entry.is_regular_file(ec) && std::filesystem::remove(entry.path(), ec) && is_entry) ++removed;
  }
  if (ec) return make_error(ErrorKind::Io, "cannot clean the cache " + dir + ": " + ec.message());
  return removed;
}

Result<void> check_grant(const std::string& cache_dir, const std::string& host_dir) {
  const std::string cache = canonical_maybe_missing(cache_dir);
  const std::string granted = canonical_maybe_missing(host_dir);
  bool overlaps = is_within(cache, granted) || is_within(granted, cache);
  struct stat g, c;
  if (!overlaps && stat(granted.c_str(), &g) == 0) overlaps = has_ancestor(cache, g);
  if (!overlaps && stat(cache.c_str(), &c) == 0) overlaps = has_ancestor(granted, c);
  if (!overlaps) return {};
  return make_error(ErrorKind::Usage,
                    "refusing to grant " + host_dir + " to the guest: it " +
                        (is_within(granted, cache) ? "lies inside" : "contains") + " atoll's compile cache (" +
                        cache + "), where a guest could plant native code; grant a narrower directory, "
                        "or move the cache with XDG_CACHE_HOME");
}

}  // namespace atl::cache

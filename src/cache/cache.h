// The compiled-code cache behind `atoll run app.wasm`. Threat model (docs/SECURITY.md): an entry
// is native code that runs unchecked, so the cache must never run code someone else chose.
//
// - Entries are named by SHA-256 of the module bytes and the compiler settings (no collisions
//   to craft) and carry an HMAC-SHA256 over name and content, keyed by 32 random bytes in
//   `<dir>/key`; an entry that fails the check is recompiled and replaced, never executed.
// - The directory is created 0700 and used only if it is a real directory owned by this user
//   and writable by no one else; the key file must be ours, regular and 0600.
// - A guest is never granted a directory that contains the cache or lies inside it
//   (check_grant, by path and by inode so bind mounts are caught).
//
// Entries are written to a temporary file and renamed into place, so concurrent runs filling the
// same entry are safe (the last rename wins; both are complete).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "atoll/result.h"
#include "support/sha256.h"

namespace atl::cache {

// $XDG_CACHE_HOME/atoll, else $HOME/.cache/atoll.
Result<std::string> default_directory();

// File name (inside the directory) for a module compiled with the given settings.
std::string entry_name(std::span<const uint8_t> wasm, const std::string& settings);

class Cache {
 public:
  // Creates the directory and key if needed; fails if either is not safely ours.
  static Result<Cache> open(const std::string& dir);

  // The artifact stored under `name`, or nullopt if there is none or it fails authentication.
  std::optional<std::vector<uint8_t>> read(const std::string& name) const;
  Result<void> write(const std::string& name, std::span<const uint8_t> artifact) const;
  const std::string& directory() const { return dir_; }

 private:
  Cache(std::string dir, std::vector<uint8_t> key) : dir_(std::move(dir)), key_(std::move(key)) {}
  Digest256 tag(const std::string& name, std::span<const uint8_t> artifact) const;
  std::string dir_;
  std::vector<uint8_t> key_;
};

// Removes every entry, its shared code file and leftover temporary files; returns how many
// entries were removed.
Result<size_t> clean(const std::string& dir);

// Refuses to let a guest be granted `host_dir` when it contains the cache directory (or the
// place it would be created) or lies inside it: the guest could plant entries or read the key.
Result<void> check_grant(const std::string& cache_dir, const std::string& host_dir);

}  // namespace atl::cache

// Running a helper program (wast2json, for instance) without a shell, capturing its output.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "atoll/result.h"

namespace atl {

// Runs argv[0] (looked up in PATH) with the arguments, waits for it, and returns its exit
// status; stdout and stderr together are appended to `output`.
Result<int> run_process(const std::vector<std::string>& argv, std::string& output);

// A fresh private directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  static Result<TempDir> create(const char* prefix);
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The CPUs this process may run on (its affinity mask, as set by taskset, a cpuset cgroup or a
// container runtime), at least 1: the default number of worker and compile threads.
unsigned usable_cpus();

// Reads a whole file; the error names the file and the reason.
Result<std::vector<uint8_t>> read_file(const std::string& path);

// Writes through a temporary file in the same directory and a rename, so readers never see a
// partial file and a failed write (a full disk, say) leaves nothing behind under `path`.
Result<void> write_file_atomically(const std::string& path, std::span<const uint8_t> bytes,
                                   unsigned mode = 0644);

}  // namespace atl

// Reload on file change (ServerConfig::watch): waits, with inotify, until the config file or a
// module changes. Directories are watched rather than the files, since deploy tools and editors
// replace a file by renaming another over it, which a watch on the old inode would miss.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "atoll/result.h"

namespace atl::server {

class FileWatcher {
 public:
  static Result<std::unique_ptr<FileWatcher>> create(const std::vector<std::string>& files);
  // Watches `files` from now on instead of the files given before. A change made while nobody
  // was in wait() is not lost: the next wait() sees it.
  Result<void> set_files(const std::vector<std::string>& files);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Blocks until one of the files was written, replaced, created or removed and then nothing
  // more happened to them for `settle_ms` (a copy in several writes reloads once): true; or
  // until stop(): false.
  bool wait(unsigned settle_ms);
  void stop();  // any thread

 private:
  FileWatcher() = default;
  int inotify_ = -1;
  int wake_ = -1;  // eventfd for stop()
  std::vector<std::pair<int, std::string>> dirs_;  // watch descriptor, directory
  std::vector<std::pair<std::string, std::string>> files_;  // directory, file name
  bool is_watched(int wd, const char* name) const;
};

}  // namespace atl::server

#include "server/watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace atl::server {

Result<std::unique_ptr<FileWatcher>> FileWatcher::create(const std::vector<std::string>& files) {
  std::unique_ptr<FileWatcher> w(new FileWatcher());
  w->inotify_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  w->wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (w->inotify_ < 0 || w->wake_ < 0) {
    return make_error(ErrorKind::Io, std::string("cannot watch files: ") + std::strerror(errno));
  }
  if (auto watched = w->set_files(files); !watched.ok()) return watched.take_error();
  return w;
}

Result<void> FileWatcher::set_files(const std::vector<std::string>& files) {
  files_.clear();
  for (const std::string& f : files) {
    const std::filesystem::path p = std::filesystem::absolute(f);
    const std::string dir = p.parent_path().string();
    files_.emplace_back(dir, p.filename().string());
    bool known = false;
    for (const auto& [wd, d] : dirs_) known |= d == dir;
    if (known) continue;
    const int wd = inotify_add_watch(inotify_, dir.c_str(),
                                     IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE);
    if (wd < 0) return make_error(ErrorKind::Io, "cannot watch " + dir + ": " + std::strerror(errno));
    dirs_.emplace_back(wd, dir);
  }
  return {};
}

FileWatcher::~FileWatcher() {
  if (inotify_ >= 0) close(inotify_);
  if (wake_ >= 0) close(wake_);
}

void FileWatcher::stop() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_, &one, sizeof one);
}

bool FileWatcher::is_watched(int wd, const char* name) const {
  for (const auto& [d, dir] : dirs_) {
    if (d != wd) continue;
    for (const auto& [fdir, fname] : files_) {
      if (fdir == dir && fname == name) return true;
    }
  }
  return false;
}

bool FileWatcher::wait(unsigned settle_ms) {
  bool changed = false;
  for (;;) {
    pollfd fds[2] = {{inotify_, POLLIN, 0}, {wake_, POLLIN, 0}};
    // Before a change: wait as long as it takes; after one: until it has settled.
    const int ready = poll(fds, 2, changed ? static_cast<int>(settle_ms) : -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (fds[1].revents & POLLIN)) return false;
    if (ready == 0) return true;  // settled
    alignas(inotify_event) char buf[4096];
    const ssize_t n = read(inotify_, buf, sizeof buf);
    for (ssize_t off = 0; off < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
      // Kubernetes updates ConfigMap and Secret volumes by swapping the "..data" symlink the
      // files point through: that is a change of every file in the directory.
      if (e->len > 0 && (is_watched(e->wd, e->name) || std::strcmp(e->name, "..data") == 0)) changed = true;
      off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
}

}  // namespace atl::server

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "wasi/context.h"

namespace atl::wasi {

int open_beneath(int dirfd, const std::string& path, int flags, unsigned mode) {
  if (path.empty()) return -ENOENT;
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  // A mode only with O_CREAT or O_TMPFILE (whose bits include O_DIRECTORY: test all of them).
  how.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0;
  // Beneath the directory, and never through /proc-style magic links.
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    const long fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EINTR || errno == EAGAIN) continue;
    return errno == EXDEV ? -EXDEV : -errno;
  }
}

}  // namespace atl::wasi

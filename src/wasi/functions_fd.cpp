// fd_* functions: reading, writing, seeking, metadata, directories, renumbering.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "wasi/functions.h"

namespace atl::wasi {
namespace {

constexpr uint16_t kFdflagAppend = 1, kFdflagDsync = 2, kFdflagNonblock = 4, kFdflagRsync = 8, kFdflagSync = 16;

uint16_t host_err() { return errno_from_host(errno); }

}  // namespace

uint16_t guest_iovecs(Call& c, uint32_t ptr, uint32_t count, std::vector<iovec>& out) {
  if (count > 1024) return kInval;
  if (!c.in(ptr, uint64_t{count} * 8)) return kFault;
  out.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t buf, len;
    c.load(ptr + i * 8, buf);
    c.load(ptr + i * 8 + 4, len);
    if (!c.in(buf, len)) return kFault;
    out[i] = iovec{c.mem.data() + buf, len};
  }
  return kSuccess;
}

namespace {

// In-memory stdio: reads from the context's stdin bytes, writes to its sinks. Returns the bytes
// moved, or UINT64_MAX when a sink refuses the write.
uint64_t memory_stream_io(Context& ctx, const Fd& fd, const std::vector<iovec>& iov) {
  uint64_t moved = 0;
  for (const iovec& v : iov) {
    if (fd.memory_stream == 0) {
      const size_t n = std::min(v.iov_len, ctx.stdin_data.size() - ctx.stdin_pos);
      std::memcpy(v.iov_base, ctx.stdin_data.data() + ctx.stdin_pos, n);
      ctx.stdin_pos += n;
      moved += n;
      if (n < v.iov_len) break;
    } else {
      const auto& sink = ctx.sinks[fd.memory_stream];
      if (!sink || !sink({static_cast<const uint8_t*>(v.iov_base), v.iov_len})) return UINT64_MAX;
      moved += v.iov_len;
    }
  }
  return moved;
}

// fd_read, fd_write, fd_pread, fd_pwrite: (fd, iovs, iovs_len, [offset], result pointer).
template <class Io>
uint16_t vectored(Context& ctx, Call& c, uint64_t needed, int result_arg, Io io) {
  Fd* fd = ctx.get(c.u32(0));
  if (uint16_t e = need_rights(fd, needed)) return e;
  std::vector<iovec> iov;
  if (uint16_t e = guest_iovecs(c, c.u32(1), c.u32(2), iov)) return e;
  if (!c.in(c.u32(result_arg), 4)) return kFault;
  if (fd->memory_stream >= 0) {
    const uint64_t n = memory_stream_io(ctx, *fd, iov);
    if (n == UINT64_MAX) return kFbig;
    c.store<uint32_t>(c.u32(result_arg), static_cast<uint32_t>(n));
    return kSuccess;
  }
  const ssize_t n = io(fd->host, iov.data(), static_cast<int>(iov.size()));
  if (n < 0) return host_err();
  c.store<uint32_t>(c.u32(result_arg), static_cast<uint32_t>(n));
  return kSuccess;
}

uint16_t fd_write(Context& ctx, Call& c) { return vectored(ctx, c, rights::kFdWrite, 3, writev); }
uint16_t fd_read(Context& ctx, Call& c) { return vectored(ctx, c, rights::kFdRead, 3, readv); }
uint16_t fd_pwrite(Context& ctx, Call& c) {
  const off_t at = static_cast<off_t>(c.u64(3));
  if (c.u64(3) > INT64_MAX) return kInval;
  return vectored(ctx, c, rights::kFdWrite | rights::kFdSeek, 4,
                  [at](int f, const iovec* v, int n) { return pwritev(f, v, n, at); });
}
uint16_t fd_pread(Context& ctx, Call& c) {
  const off_t at = static_cast<off_t>(c.u64(3));
  if (c.u64(3) > INT64_MAX) return kInval;
  return vectored(ctx, c, rights::kFdRead | rights::kFdSeek, 4,
                  [at](int f, const iovec* v, int n) { return preadv(f, v, n, at); });
}

uint16_t fd_seek(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  const uint32_t whence = c.u32(2);
  // Asking where we are needs only the tell right.
  const bool tell = whence == 1 && c.u64(1) == 0;
  if (uint16_t e = need_rights(fd, tell ? rights::kFdTell : rights::kFdSeek)) return e;
  if (whence > 2) return kInval;
  if (!c.in(c.u32(3), 8)) return kFault;
  static const int kWhence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  const off_t r = lseek(fd->host, static_cast<off_t>(c.u64(1)), kWhence[whence]);
  if (r < 0) return host_err();
  c.store<uint64_t>(c.u32(3), static_cast<uint64_t>(r));
  return kSuccess;
}

uint16_t fd_tell(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (uint16_t e = need_rights(fd, rights::kFdTell)) return e;
  if (!c.in(c.u32(1), 8)) return kFault;
  const off_t r = lseek(fd->host, 0, SEEK_CUR);
  if (r < 0) return host_err();
  c.store<uint64_t>(c.u32(1), static_cast<uint64_t>(r));
  return kSuccess;
}

uint16_t fd_close(Context& ctx, Call& c) {
  auto it = ctx.fds.find(c.u32(0));
  if (it == ctx.fds.end()) return kBadf;
  if (it->second.owned) close(it->second.host);
  ctx.fds.erase(it);
  return kSuccess;
}

uint16_t fd_fdstat_get(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (!fd) return kBadf;
  const uint32_t p = c.u32(1);
  if (!c.in(p, 24)) return kFault;
  uint16_t flags = fd->shared_flags;
  if (fd->owned) {
    const int fl = fcntl(fd->host, F_GETFL);
    if (fl < 0) return host_err();
    flags = 0;
    if (fl & O_APPEND) flags |= kFdflagAppend;
    if (fl & O_NONBLOCK) flags |= kFdflagNonblock;
    if ((fl & O_SYNC) == O_SYNC) flags |= kFdflagSync;
    else if (fl & O_DSYNC) flags |= kFdflagDsync;
  }
  std::memset(c.mem.data() + p, 0, 24);
  c.store<uint8_t>(p, fd->type);
  c.store<uint16_t>(p + 2, flags);
  c.store<uint64_t>(p + 8, fd->rights_base);
  c.store<uint64_t>(p + 16, fd->rights_inheriting);
  return kSuccess;
}

uint16_t fd_fdstat_set_flags(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (uint16_t e = need_rights(fd, rights::kFdFdstatSetFlags)) return e;
  const uint32_t flags = c.u32(1);
  if (flags & (kFdflagDsync | kFdflagRsync | kFdflagSync)) return kNotsup;  // Linux cannot change these
  if (flags > 0xffff) return kInval;
  // The host's stdio is the host's: O_NONBLOCK or O_APPEND set there would outlive the guest
  // and change how the embedder's own I/O behaves.
  if (!fd->owned) {
    fd->shared_flags = static_cast<uint16_t>(flags);
    return kSuccess;
  }
  int fl = fcntl(fd->host, F_GETFL);
  if (fl < 0) return host_err();
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (flags & kFdflagAppend) fl |= O_APPEND;
  if (flags & kFdflagNonblock) fl |= O_NONBLOCK;
  return fcntl(fd->host, F_SETFL, fl) < 0 ? host_err() : kSuccess;
}

// Rights can only be taken away.
uint16_t fd_fdstat_set_rights(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (!fd) return kBadf;
  const uint64_t base = c.u64(1), inheriting = c.u64(2);
  if ((base & ~fd->rights_base) || (inheriting & ~fd->rights_inheriting)) return kNotcapable;
  fd->rights_base = base;
  fd->rights_inheriting = inheriting;
  return kSuccess;
}

uint16_t fd_filestat_get(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (uint16_t e = need_rights(fd, rights::kFdFilestatGet)) return e;
  struct stat st;
  if (fd->memory_stream >= 0) {  // a character device with nothing else to say
    std::memset(&st, 0, sizeof st);
    st.st_mode = S_IFCHR;
    return write_filestat(c, c.u32(1), st);
  }
  if (fstat(fd->host, &st) != 0) return host_err();
  return write_filestat(c, c.u32(1), st);
}

uint16_t fd_filestat_set_size(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (uint16_t e = need_rights(fd, rights::kFdFilestatSetSize)) return e;
  if (c.u64(1) > INT64_MAX) return kInval;
  return ftruncate(fd->host, static_cast<off_t>(c.u64(1))) != 0 ? host_err() : kSuccess;
}

}  // namespace

// Shared by fd_filestat_set_times and path_filestat_set_times.
uint16_t timespecs(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]) {
  constexpr uint32_t kAtim = 1, kAtimNow = 2, kMtim = 4, kMtimNow = 8;
  if ((fst & kAtim && fst & kAtimNow) || (fst & kMtim && fst & kMtimNow) || fst > 15) return kInval;
  ts[0].tv_sec = static_cast<time_t>(atim / 1000000000);
  ts[0].tv_nsec = static_cast<long>(atim % 1000000000);
  ts[1].tv_sec = static_cast<time_t>(mtim / 1000000000);
  ts[1].tv_nsec = static_cast<long>(mtim % 1000000000);
  if (fst & kAtimNow) ts[0].tv_nsec = UTIME_NOW;
  if (!(fst & (kAtim | kAtimNow))) ts[0].tv_nsec = UTIME_OMIT;
  if (fst & kMtimNow) ts[1].tv_nsec = UTIME_NOW;
  if (!(fst & (kMtim | kMtimNow))) ts[1].tv_nsec = UTIME_OMIT;
  return kSuccess;
}

namespace {

uint16_t fd_filestat_set_times(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (uint16_t e = need_rights(fd, rights::kFdFilestatSetTimes)) return e;
  struct timespec ts[2];
  if (uint16_t e = timespecs(c.u64(1), c.u64(2), c.u32(3), ts)) return e;
  return futimens(fd->host, ts) != 0 ? host_err() : kSuccess;
}

uint16_t fd_advise(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (uint16_t e = need_rights(fd, rights::kFdAdvise)) return e;
  static const int kAdvice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  if (c.u32(3) > 5) return kInval;
  const int r = posix_fadvise(fd->host, static_cast<off_t>(c.u64(1)), static_cast<off_t>(c.u64(2)), kAdvice[c.u32(3)]);
  return r ? errno_from_host(r) : kSuccess;
}

uint16_t fd_allocate(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (uint16_t e = need_rights(fd, rights::kFdAllocate)) return e;
  if (c.u64(1) > INT64_MAX || c.u64(2) > INT64_MAX) return kInval;
  const int r = posix_fallocate(fd->host, static_cast<off_t>(c.u64(1)), static_cast<off_t>(c.u64(2)));
  return r ? errno_from_host(r) : kSuccess;
}

uint16_t fd_datasync(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (uint16_t e = need_rights(fd, rights::kFdDatasync)) return e;
  return fdatasync(fd->host) != 0 ? host_err() : kSuccess;
}

uint16_t fd_sync(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (uint16_t e = need_rights(fd, rights::kFdSync)) return e;
  return fsync(fd->host) != 0 ? host_err() : kSuccess;
}

uint16_t fd_prestat_get(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (!fd || !fd->preopen) return kBadf;
  if (!c.in(c.u32(1), 8)) return kFault;
  c.store<uint32_t>(c.u32(1), 0);  // tag: directory
  c.store<uint32_t>(c.u32(1) + 4, static_cast<uint32_t>(fd->guest_path.size()));
  return kSuccess;
}

uint16_t fd_prestat_dir_name(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (!fd || !fd->preopen) return kBadf;
  const uint32_t len = c.u32(2);
  if (len < fd->guest_path.size()) return kNametoolong;
  if (!c.in(c.u32(1), fd->guest_path.size())) return kFault;
  std::memcpy(c.mem.data() + c.u32(1), fd->guest_path.data(), fd->guest_path.size());
  return kSuccess;
}

uint16_t fd_renumber(Context& ctx, Call& c) {
  const uint32_t from = c.u32(0), to = c.u32(1);
  auto f = ctx.fds.find(from);
  auto t = ctx.fds.find(to);
  if (f == ctx.fds.end() || t == ctx.fds.end()) return kBadf;
  if (from == to) return kSuccess;
  if (t->second.owned) close(t->second.host);
  t->second = std::move(f->second);
  ctx.fds.erase(f);
  return kSuccess;
}

// Directory entries from `cookie` (an index into the listing), as many as fit; the last one
// may be cut short, which tells the guest to call again with a bigger buffer.
uint16_t fd_readdir(Context& ctx, Call& c) {
  Fd* fd = ctx.get(c.u32(0));
  if (!fd) return kBadf;
  if (fd->type != kDirectory) return kNotdir;
  if (uint16_t e = need_rights(fd, rights::kFdReaddir)) return e;
  const uint32_t buf = c.u32(1), buf_len = c.u32(2), used_ptr = c.u32(4);
  const uint64_t cookie = c.u64(3);
  if (!c.in(buf, buf_len) || !c.in(used_ptr, 4)) return kFault;
  const int dup_fd = openat(fd->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) return host_err();
  DIR* dir = fdopendir(dup_fd);
  if (!dir) {
    close(dup_fd);
    return host_err();
  }
  uint32_t used = 0;
  uint64_t index = 0;
  errno = 0;
  while (struct dirent* e = readdir(dir)) {
    if (index++ < cookie) continue;
    const uint32_t namlen = static_cast<uint32_t>(strlen(e->d_name));
    uint8_t header[24] = {};
    const uint64_t next = index;
    const uint64_t ino = e->d_ino;
    uint8_t type = kUnknown;
    switch (e->d_type) {
      case DT_REG: type = kRegularFile; break;
      case DT_DIR: type = kDirectory; break;
      case DT_LNK: type = kSymlink; break;
      case DT_CHR: type = kCharDevice; break;
      case DT_BLK: type = kBlockDevice; break;
      case DT_SOCK: type = kSocketStream; break;
      default: break;
    }
    std::memcpy(header, &next, 8);
    std::memcpy(header + 8, &ino, 8);
    std::memcpy(header + 16, &namlen, 4);
    header[20] = type;
    const uint32_t room = buf_len - used;
    const uint32_t h = room < 24 ? room : 24;
    std::memcpy(c.mem.data() + buf + used, header, h);
    used += h;
    const uint32_t n = buf_len - used < namlen ? buf_len - used : namlen;
    std::memcpy(c.mem.data() + buf + used, e->d_name, n);
    used += n;
    if (used >= buf_len) break;
  }
  const int err = errno;
  closedir(dir);
  if (err) return errno_from_host(err);
  c.store<uint32_t>(used_ptr, used);
  return kSuccess;
}

}  // namespace

uint16_t write_filestat(Call& c, uint32_t p, const struct stat& st) {
  if (!c.in(p, 64)) return kFault;
  std::memset(c.mem.data() + p, 0, 64);
  c.store<uint64_t>(p, st.st_dev);
  c.store<uint64_t>(p + 8, st.st_ino);
  c.store<uint8_t>(p + 16, filetype_from_mode(st.st_mode));
  c.store<uint64_t>(p + 24, st.st_nlink);
  c.store<uint64_t>(p + 32, static_cast<uint64_t>(st.st_size));
  auto ns = [](const struct timespec& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
  };
  c.store<uint64_t>(p + 40, ns(st.st_atim));
  c.store<uint64_t>(p + 48, ns(st.st_mtim));
  c.store<uint64_t>(p + 56, ns(st.st_ctim));
  return kSuccess;
}

const FunctionDef kFdFunctions[] = {
    {"fd_write", "iiii", true, fd_write},
    {"fd_read", "iiii", true, fd_read},
    {"fd_pwrite", "iiiIi", true, fd_pwrite},
    {"fd_pread", "iiiIi", true, fd_pread},
    {"fd_seek", "iIii", true, fd_seek},
    {"fd_tell", "ii", true, fd_tell},
    {"fd_close", "i", true, fd_close},
    {"fd_fdstat_get", "ii", true, fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", true, fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", true, fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", true, fd_filestat_get},
    {"fd_filestat_set_size", "iI", true, fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", true, fd_filestat_set_times},
    {"fd_advise", "iIIi", true, fd_advise},
    {"fd_allocate", "iII", true, fd_allocate},
    {"fd_datasync", "i", true, fd_datasync},
    {"fd_sync", "i", true, fd_sync},
    {"fd_prestat_get", "ii", true, fd_prestat_get},
    {"fd_prestat_dir_name", "iii", true, fd_prestat_dir_name},
    {"fd_renumber", "ii", true, fd_renumber},
    {"fd_readdir", "iiiIi", true, fd_readdir},
};
const size_t kNumFdFunctions = sizeof(kFdFunctions) / sizeof(kFdFunctions[0]);

}  // namespace atl::wasi

// Finding 4: rights per descriptor, as Wasmtime and the WASI test suite have them: what each
// descriptor reports, that rights only narrow, that they are enforced, and the errno for an
// operation on the wrong kind of descriptor.
#include "check.h"

#define R(x) __WASI_RIGHTS_##x

static __wasi_fdstat_t fdstat(__wasi_fd_t fd) {
  __wasi_fdstat_t st;
  memset(&st, 0, sizeof st);
  __wasi_fd_fdstat_get(fd, &st);
  return st;
}

int main(void) {
  // The preopen: directory rights, everything inheritable; nothing a directory cannot do.
  __wasi_fdstat_t d = fdstat(DIR);
  const __wasi_rights_t dir_needed = R(PATH_CREATE_DIRECTORY) | R(PATH_CREATE_FILE) | R(PATH_LINK_SOURCE) |
                                     R(PATH_LINK_TARGET) | R(PATH_OPEN) | R(FD_READDIR) | R(PATH_READLINK) |
                                     R(PATH_RENAME_SOURCE) | R(PATH_RENAME_TARGET) | R(PATH_SYMLINK) |
                                     R(PATH_REMOVE_DIRECTORY) | R(PATH_UNLINK_FILE) | R(PATH_FILESTAT_GET) |
                                     R(PATH_FILESTAT_SET_TIMES) | R(FD_FILESTAT_GET) | R(FD_FILESTAT_SET_TIMES);
  CHECK("preopen has the directory rights", (d.fs_rights_base & dir_needed) == dir_needed);
  CHECK("preopen has no file rights",
        (d.fs_rights_base & (R(FD_READ) | R(FD_WRITE) | R(FD_SEEK) | R(FD_TELL) | R(FD_FILESTAT_SET_SIZE))) == 0);
  CHECK("preopen passes on file rights",
        (d.fs_rights_inheriting & (R(FD_READ) | R(FD_WRITE) | R(FD_SEEK) | R(FD_FILESTAT_SET_SIZE))) ==
            (R(FD_READ) | R(FD_WRITE) | R(FD_SEEK) | R(FD_FILESTAT_SET_SIZE)));

  // Wrong kind of descriptor: EBADF (Wasmtime), readdir on a file ENOTDIR.
  uint8_t buf[64];
  __wasi_iovec_t iov = {buf, sizeof buf};
  __wasi_ciovec_t ciov = {buf, 4};
  __wasi_size_t n;
  __wasi_filesize_t pos;
  CHECK("fd_read on a directory is EBADF", __wasi_fd_read(DIR, &iov, 1, &n) == __WASI_ERRNO_BADF);
  CHECK("fd_pread on a directory is EBADF", __wasi_fd_pread(DIR, &iov, 1, 0, &n) == __WASI_ERRNO_BADF);
  CHECK("fd_write on a directory is EBADF", __wasi_fd_write(DIR, &ciov, 1, &n) == __WASI_ERRNO_BADF);
  CHECK("fd_seek on a directory is EBADF", __wasi_fd_seek(DIR, 0, __WASI_WHENCE_CUR, &pos) == __WASI_ERRNO_BADF);
  CHECK("fd_tell on a directory is EBADF", __wasi_fd_tell(DIR, &pos) == __WASI_ERRNO_BADF);
  CHECK("fd_filestat_set_size on a directory is EBADF", __wasi_fd_filestat_set_size(DIR, 0) == __WASI_ERRNO_BADF);
  CHECK("fd_fdstat_set_flags on a directory is EBADF",
        __wasi_fd_fdstat_set_flags(DIR, __WASI_FDFLAGS_NONBLOCK) == __WASI_ERRNO_BADF);
  CHECK("fd_sync on a directory is EBADF", __wasi_fd_sync(DIR) == __WASI_ERRNO_BADF);
  CHECK("fd_allocate on a directory is EBADF", __wasi_fd_allocate(DIR, 0, 1) == __WASI_ERRNO_BADF);

  // Opening: a directory with write rights is EISDIR; O_DIRECTORY on a file is ENOTDIR.
  __wasi_fd_t fd;
  CHECK("open a directory read/write is EISDIR",
        __wasi_path_open(DIR, 0, ".", __WASI_OFLAGS_DIRECTORY, R(FD_READ) | R(FD_WRITE), 0, 0, &fd) == __WASI_ERRNO_ISDIR);
  CHECK("open a directory for writing is EISDIR", __wasi_path_open(DIR, 0, "sub", 0, R(FD_WRITE), 0, 0, &fd) == __WASI_ERRNO_ISDIR);
  CHECK("open a directory with read rights", __wasi_path_open(DIR, 0, "sub", __WASI_OFLAGS_DIRECTORY, R(FD_READ), 0, 0, &fd) == 0);
  __wasi_fdstat_t sd = fdstat(fd);
  CHECK("... it has directory rights, not read", (sd.fs_rights_base & R(FD_READ)) == 0 &&
                                                     (sd.fs_rights_base & R(PATH_OPEN)) && sd.fs_filetype == __WASI_FILETYPE_DIRECTORY);
  CHECK("fd_readdir works there", __wasi_fd_readdir(fd, buf, sizeof buf, 0, &n) == 0);
  __wasi_fd_close(fd);
  CHECK("O_DIRECTORY on a file is ENOTDIR",
        __wasi_path_open(DIR, 0, "file", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd) == __WASI_ERRNO_NOTDIR);

  // A file opened read-only: read yes, write no.
  CHECK("open read-only", __wasi_path_open(DIR, 0, "file", 0, R(FD_READ), 0, 0, &fd) == 0);
  __wasi_fdstat_t f = fdstat(fd);
  CHECK("... has read, seek, tell", (f.fs_rights_base & (R(FD_READ) | R(FD_SEEK) | R(FD_TELL))) == (R(FD_READ) | R(FD_SEEK) | R(FD_TELL)));
  CHECK("... has no write, no readdir", (f.fs_rights_base & (R(FD_WRITE) | R(FD_READDIR))) == 0 && f.fs_rights_inheriting == 0);
  const __wasi_errno_t w = __wasi_fd_write(fd, &ciov, 1, &n);
  CHECK("... fd_write is refused", w == __WASI_ERRNO_BADF || w == __WASI_ERRNO_NOTCAPABLE || w == __WASI_ERRNO_PERM);
  CHECK("fd_readdir on a file is ENOTDIR", __wasi_fd_readdir(fd, buf, sizeof buf, 0, &n) == __WASI_ERRNO_NOTDIR);
  CHECK("path_open relative to a file is ENOTDIR", __wasi_path_open(fd, 0, "x", 0, 0, 0, 0, &fd) == __WASI_ERRNO_NOTDIR);
  __wasi_fd_close(fd);

  // Narrowing: allowed, enforced (ENOTCAPABLE), never widened back.
  CHECK("open read/write", __wasi_path_open(DIR, 0, "file", 0, R(FD_READ) | R(FD_WRITE) | R(FD_SEEK), 0, 0, &fd) == 0);
  f = fdstat(fd);
  CHECK("drop read and write", __wasi_fd_fdstat_set_rights(fd, f.fs_rights_base & ~(R(FD_READ) | R(FD_WRITE)), 0) == 0);
  CHECK("... reported", (fdstat(fd).fs_rights_base & (R(FD_READ) | R(FD_WRITE))) == 0 && (fdstat(fd).fs_rights_base & R(FD_SEEK)));
  CHECK("... fd_read is ENOTCAPABLE", __wasi_fd_read(fd, &iov, 1, &n) == __WASI_ERRNO_NOTCAPABLE);
  CHECK("... fd_write is ENOTCAPABLE", __wasi_fd_write(fd, &ciov, 1, &n) == __WASI_ERRNO_NOTCAPABLE);
  CHECK("... seek still works", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos) == 0);
  CHECK("... widening is ENOTCAPABLE", __wasi_fd_fdstat_set_rights(fd, f.fs_rights_base, 0) == __WASI_ERRNO_NOTCAPABLE);
  CHECK("... inheriting cannot grow either", __wasi_fd_fdstat_set_rights(fd, 0, R(FD_READ)) == __WASI_ERRNO_NOTCAPABLE);
  __wasi_fd_close(fd);

  // A directory's rights govern path operations; its inheriting rights what it opens.
  CHECK("open sub as a directory", __wasi_path_open(DIR, 0, "sub", __WASI_OFLAGS_DIRECTORY, 0, __WASI_RIGHTS_FD_READ, 0, &fd) == 0);
  __wasi_fdstat_t s = fdstat(fd);
  CHECK("drop path_create_file and inheritable write",
        __wasi_fd_fdstat_set_rights(fd, s.fs_rights_base & ~R(PATH_CREATE_FILE), s.fs_rights_inheriting & ~R(FD_WRITE)) == 0);
  __wasi_fd_t g;
  CHECK("... creating a file there is ENOTCAPABLE",
        __wasi_path_open(fd, 0, "new", __WASI_OFLAGS_CREAT, 0, 0, 0, &g) == __WASI_ERRNO_NOTCAPABLE);
  CHECK("... files opened there lack write", __wasi_path_open(fd, 0, "inner", 0, R(FD_WRITE), 0, 0, &g) == 0 &&
                                                 (fdstat(g).fs_rights_base & R(FD_WRITE)) == 0 &&
                                                 __wasi_fd_write(g, &ciov, 1, &n) == __WASI_ERRNO_NOTCAPABLE);
  __wasi_fd_close(g);
  CHECK("drop path_filestat_set_size: O_TRUNC is refused",
        __wasi_fd_fdstat_set_rights(fd, fdstat(fd).fs_rights_base & ~R(PATH_FILESTAT_SET_SIZE), fdstat(fd).fs_rights_inheriting) == 0 &&
            __wasi_path_open(fd, 0, "inner", __WASI_OFLAGS_TRUNC, 0, 0, 0, &g) == __WASI_ERRNO_NOTCAPABLE);
  CHECK("drop path_unlink_file: unlink is refused",
        __wasi_fd_fdstat_set_rights(fd, fdstat(fd).fs_rights_base & ~R(PATH_UNLINK_FILE), fdstat(fd).fs_rights_inheriting) == 0 &&
            __wasi_path_unlink_file(fd, "inner") == __WASI_ERRNO_NOTCAPABLE);
  __wasi_fd_close(fd);

  // stdio: stdout writes, stdin does not.
  CHECK("stdout has write, not read", (fdstat(1).fs_rights_base & R(FD_WRITE)) && !(fdstat(1).fs_rights_base & R(FD_READ)));
  CHECK("stdin has read, not write", (fdstat(0).fs_rights_base & R(FD_READ)) && !(fdstat(0).fs_rights_base & R(FD_WRITE)));
  fflush(stdout);
  return failures ? 1 : 0;
}

// Every wasi_snapshot_preview1 function, called directly and checked. Run with arguments
// "one two", environment A=1 and B=two, a preopen (fd 3) named /sandbox containing nothing,
// and stdin from a file holding "input\n". Prints "ok <function>" per check and exits via
// proc_exit(42) when all pass (1 otherwise).
#include "check.h"

// proc_raise is in preview1 but no longer in wasi-libc's headers.
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) uint16_t raw_proc_raise(uint32_t sig);

static const __wasi_rights_t kAll = ~(__wasi_rights_t)0;

static __wasi_fd_t open_file(const char* path, __wasi_oflags_t oflags, __wasi_fdflags_t fdflags) {
  __wasi_fd_t fd = (__wasi_fd_t)-1;
  if (__wasi_path_open(DIR, 0, path, oflags, kAll, kAll, fdflags, &fd) != 0) return (__wasi_fd_t)-1;
  return fd;
}

static size_t write_str(__wasi_fd_t fd, const char* s) {
  __wasi_ciovec_t iov = {(const uint8_t*)s, strlen(s)};
  __wasi_size_t n = 0;
  return __wasi_fd_write(fd, &iov, 1, &n) == 0 ? n : 0;
}

int main(void) {
  // args and environ
  __wasi_size_t argc, argv_size, envc, env_size;
  CHECK("args_sizes_get", __wasi_args_sizes_get(&argc, &argv_size) == 0 && argc == 3);
  char* argv[8];
  char argbuf[256];
  CHECK("args_get", argv_size <= sizeof argbuf && __wasi_args_get((uint8_t**)argv, (uint8_t*)argbuf) == 0 &&
                        strcmp(argv[1], "one") == 0 && strcmp(argv[2], "two") == 0);
  CHECK("environ_sizes_get", __wasi_environ_sizes_get(&envc, &env_size) == 0 && envc == 2);
  char* envp[8];
  char envbuf[256];
  CHECK("environ_get", env_size <= sizeof envbuf && __wasi_environ_get((uint8_t**)envp, (uint8_t*)envbuf) == 0 &&
                           strcmp(envp[0], "A=1") == 0 && strcmp(envp[1], "B=two") == 0);

  // clocks and random
  __wasi_timestamp_t res, t1, t2, cpu;
  CHECK("clock_res_get", __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res) == 0 && res > 0 &&
                             __wasi_clock_res_get(99, &res) == __WASI_ERRNO_INVAL);
  CHECK("clock_time_get", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1) == 0 &&
                              __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t2) == 0 && t2 >= t1 &&
                              __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t1) == 0 &&
                              t1 > 1600000000ull * 1000000000ull &&
                              __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &cpu) == 0 &&
                              __wasi_clock_time_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, 1, &cpu) == 0);
  uint8_t rnd[64] = {0};
  int nonzero = 0;
  CHECK("random_get", __wasi_random_get(rnd, sizeof rnd) == 0 && (nonzero = rnd[0] | rnd[1] | rnd[2] | rnd[3]) != 0);
  CHECK("sched_yield", __wasi_sched_yield() == 0);
  CHECK("proc_raise", raw_proc_raise(15 /* TERM */) == __WASI_ERRNO_NOSYS);

  // prestat
  __wasi_prestat_t pre;
  char name[32] = {0};
  CHECK("fd_prestat_get", __wasi_fd_prestat_get(DIR, &pre) == 0 && pre.tag == __WASI_PREOPENTYPE_DIR &&
                              pre.u.dir.pr_name_len == 8 && __wasi_fd_prestat_get(0, &pre) == __WASI_ERRNO_BADF);
  CHECK("fd_prestat_dir_name", __wasi_fd_prestat_dir_name(DIR, (uint8_t*)name, 8) == 0 && memcmp(name, "/sandbox", 8) == 0);

  // files
  __wasi_fd_t f = open_file("data.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0);
  CHECK("path_open", f != (__wasi_fd_t)-1 && open_file("missing", 0, 0) == (__wasi_fd_t)-1);
  CHECK("fd_write", write_str(f, "hello, sandbox\n") == 15);
  __wasi_filesize_t pos = 0;
  CHECK("fd_tell", __wasi_fd_tell(f, &pos) == 0 && pos == 15);
  CHECK("fd_seek", __wasi_fd_seek(f, 7, __WASI_WHENCE_SET, &pos) == 0 && pos == 7 &&
                       __wasi_fd_seek(f, -2, __WASI_WHENCE_END, &pos) == 0 && pos == 13 &&
                       __wasi_fd_seek(f, 0, 9, &pos) == __WASI_ERRNO_INVAL);
  char buf[64] = {0};
  __wasi_iovec_t riov = {(uint8_t*)buf, sizeof buf};
  __wasi_size_t n = 0;
  __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos);
  CHECK("fd_read", __wasi_fd_read(f, &riov, 1, &n) == 0 && n == 15 && memcmp(buf, "hello, sandbox\n", 15) == 0);
  __wasi_ciovec_t wiov = {(const uint8_t*)"HELLO", 5};
  CHECK("fd_pwrite", __wasi_fd_pwrite(f, &wiov, 1, 0, &n) == 0 && n == 5);
  memset(buf, 0, sizeof buf);
  __wasi_iovec_t piov = {(uint8_t*)buf, 5};
  CHECK("fd_pread", __wasi_fd_pread(f, &piov, 1, 0, &n) == 0 && n == 5 && memcmp(buf, "HELLO", 5) == 0);
  __wasi_fdstat_t fst;
  CHECK("fd_fdstat_get", __wasi_fd_fdstat_get(f, &fst) == 0 && fst.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
  CHECK("fd_fdstat_set_flags", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND) == 0 &&
                                   __wasi_fd_fdstat_get(f, &fst) == 0 && (fst.fs_flags & __WASI_FDFLAGS_APPEND));
  CHECK("fd_fdstat_set_rights", __wasi_fd_fdstat_get(f, &fst) == 0 &&
                                    __wasi_fd_fdstat_set_rights(f, fst.fs_rights_base & ~__WASI_RIGHTS_FD_ADVISE, 0) == 0 &&
                                    __wasi_fd_fdstat_set_rights(f, fst.fs_rights_base, 0) == __WASI_ERRNO_NOTCAPABLE &&
                                    __wasi_fd_advise(f, 0, 5, __WASI_ADVICE_NORMAL) == __WASI_ERRNO_NOTCAPABLE &&
                                    __wasi_fd_fdstat_set_rights(f, fst.fs_rights_base | __WASI_RIGHTS_FD_ADVISE, 0) ==
                                        __WASI_ERRNO_NOTCAPABLE);
  __wasi_filestat_t st;
  CHECK("fd_filestat_get", __wasi_fd_filestat_get(f, &st) == 0 && st.size == 15 && st.filetype == __WASI_FILETYPE_REGULAR_FILE);
  CHECK("fd_filestat_set_size", __wasi_fd_filestat_set_size(f, 5) == 0 && __wasi_fd_filestat_get(f, &st) == 0 && st.size == 5);
  CHECK("fd_filestat_set_times", __wasi_fd_filestat_set_times(f, 0, 1000000000ull * 1234567, __WASI_FSTFLAGS_MTIM) == 0 &&
                                     __wasi_fd_filestat_get(f, &st) == 0 && st.mtim == 1000000000ull * 1234567 &&
                                     __wasi_fd_filestat_set_times(f, 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW) == __WASI_ERRNO_INVAL);
  CHECK("fd_advise (right given away)", __wasi_fd_advise(f, 0, 5, __WASI_ADVICE_SEQUENTIAL) == __WASI_ERRNO_NOTCAPABLE);
  CHECK("fd_allocate", __wasi_fd_allocate(f, 0, 4096) == 0 && __wasi_fd_filestat_get(f, &st) == 0 && st.size == 4096);
  CHECK("fd_datasync", __wasi_fd_datasync(f) == 0);
  CHECK("fd_sync", __wasi_fd_sync(f) == 0);
  __wasi_fd_t g = open_file("data.txt", 0, 0);
  CHECK("fd_renumber", g != (__wasi_fd_t)-1 && __wasi_fd_renumber(g, f) == 0 &&
                           __wasi_fd_filestat_get(g, &st) == __WASI_ERRNO_BADF && __wasi_fd_filestat_get(f, &st) == 0);
  CHECK("fd_close", __wasi_fd_close(f) == 0 && __wasi_fd_close(f) == __WASI_ERRNO_BADF);

  // stdin, stdout
  memset(buf, 0, sizeof buf);
  __wasi_iovec_t in = {(uint8_t*)buf, sizeof buf};
  CHECK("fd_read (stdin)", __wasi_fd_read(0, &in, 1, &n) == 0 && n == 6 && memcmp(buf, "input\n", 6) == 0);

  // paths
  CHECK("path_create_directory", __wasi_path_create_directory(DIR, "d") == 0 &&
                                     __wasi_path_create_directory(DIR, "d") == __WASI_ERRNO_EXIST);
  CHECK("path_filestat_get", __wasi_path_filestat_get(DIR, 0, "d", &st) == 0 && st.filetype == __WASI_FILETYPE_DIRECTORY &&
                                 __wasi_path_filestat_get(DIR, 0, "nope", &st) == __WASI_ERRNO_NOENT);
  CHECK("path_filestat_set_times", __wasi_path_filestat_set_times(DIR, 0, "data.txt", 0, 1000000000ull * 42, __WASI_FSTFLAGS_MTIM) == 0 &&
                                       __wasi_path_filestat_get(DIR, 0, "data.txt", &st) == 0 && st.mtim == 1000000000ull * 42);
  CHECK("path_rename", __wasi_path_rename(DIR, "data.txt", DIR, "d/moved.txt") == 0 &&
                           __wasi_path_filestat_get(DIR, 0, "data.txt", &st) == __WASI_ERRNO_NOENT);
  CHECK("path_link", __wasi_path_link(DIR, 0, "d/moved.txt", DIR, "hard.txt") == 0 &&
                         __wasi_path_filestat_get(DIR, 0, "hard.txt", &st) == 0 && st.nlink == 2);
  CHECK("path_symlink", __wasi_path_symlink("d/moved.txt", DIR, "soft") == 0 &&
                            __wasi_path_filestat_get(DIR, 0, "soft", &st) == 0 && st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK &&
                            __wasi_path_filestat_get(DIR, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "soft", &st) == 0 &&
                            st.filetype == __WASI_FILETYPE_REGULAR_FILE);
  CHECK("path_readlink", __wasi_path_readlink(DIR, "soft", (uint8_t*)buf, sizeof buf, &n) == 0 && n == 11 &&
                             memcmp(buf, "d/moved.txt", 11) == 0);
  __wasi_fd_t dfd = (__wasi_fd_t)-1;
  CHECK("path_open (directory)", __wasi_path_open(DIR, 0, "d", __WASI_OFLAGS_DIRECTORY, kAll, kAll, 0, &dfd) == __WASI_ERRNO_ISDIR &&
                                     __wasi_path_open(DIR, 0, "d", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, kAll, 0, &dfd) == 0);
  uint8_t dirbuf[512];
  __wasi_size_t used = 0;
  int found = 0;
  if (__wasi_fd_readdir(dfd, dirbuf, sizeof dirbuf, 0, &used) == 0) {
    for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
      __wasi_dirent_t e;
      memcpy(&e, dirbuf + off, sizeof e);
      off += sizeof e;
      if (e.d_namlen == 9 && memcmp(dirbuf + off, "moved.txt", 9) == 0 && e.d_type == __WASI_FILETYPE_REGULAR_FILE) found = 1;
      off += e.d_namlen;
    }
  }
  CHECK("fd_readdir", found);
  __wasi_fd_close(dfd);
  CHECK("path_unlink_file", __wasi_path_unlink_file(DIR, "soft") == 0 && __wasi_path_unlink_file(DIR, "hard.txt") == 0 &&
                                __wasi_path_unlink_file(DIR, "d/moved.txt") == 0 &&
                                __wasi_path_unlink_file(DIR, "d") == __WASI_ERRNO_ISDIR);
  CHECK("path_remove_directory", __wasi_path_remove_directory(DIR, "d") == 0 &&
                                     __wasi_path_remove_directory(DIR, "d") == __WASI_ERRNO_NOENT);

  // poll_oneoff: a 10 ms relative timer
  __wasi_subscription_t sub;
  memset(&sub, 0, sizeof sub);
  sub.userdata = 77;
  sub.u.tag = __WASI_EVENTTYPE_CLOCK;
  sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  sub.u.u.clock.timeout = 10 * 1000000;
  __wasi_event_t ev;
  __wasi_size_t nev = 0;
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
  CHECK("poll_oneoff", __wasi_poll_oneoff(&sub, &ev, 1, &nev) == 0 && nev == 1 && ev.userdata == 77 &&
                           ev.type == __WASI_EVENTTYPE_CLOCK && __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t2) == 0 &&
                           t2 - t1 >= 10 * 1000000);

  // sockets: no socket is preopened, so each call reports the descriptor is not one
  __wasi_fd_t sfd;
  __wasi_size_t len;
  __wasi_roflags_t roflags;
  CHECK("sock_accept", __wasi_sock_accept(DIR, 0, &sfd) == __WASI_ERRNO_NOTSOCK);
  CHECK("sock_recv", __wasi_sock_recv(DIR, &riov, 1, 0, &len, &roflags) == __WASI_ERRNO_NOTSOCK);
  CHECK("sock_send", __wasi_sock_send(DIR, &wiov, 1, 0, &len) == __WASI_ERRNO_NOTSOCK);
  CHECK("sock_shutdown", __wasi_sock_shutdown(DIR, __WASI_SDFLAGS_WR) == __WASI_ERRNO_NOTSOCK);

  fflush(stdout);
  __wasi_proc_exit(failures ? 1 : 42);
}

// A guest TCP server on a preopened listening socket: accepts one connection, reads a line,
// answers it upper-cased, shuts the connection down, and checks poll_oneoff on a socket.
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

int main(void) {
  // The socket follows the preopened directories: find it by its type.
  __wasi_fd_t listener = 0;
  for (__wasi_fd_t fd = 3; fd < 64; ++fd) {
    __wasi_fdstat_t st;
    if (__wasi_fd_fdstat_get(fd, &st) == 0 && st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM) {
      listener = fd;
      break;
    }
  }
  if (!listener) return 10;
  printf("listening on fd %u\n", listener);
  fflush(stdout);
  // Wait for the client with poll_oneoff on the listening socket (readable = a connection).
  __wasi_subscription_t sub;
  memset(&sub, 0, sizeof sub);
  sub.userdata = 5;
  sub.u.tag = __WASI_EVENTTYPE_FD_READ;
  sub.u.u.fd_read.file_descriptor = listener;
  __wasi_event_t ev;
  __wasi_size_t nev = 0;
  if (__wasi_poll_oneoff(&sub, &ev, 1, &nev) != 0 || nev != 1 || ev.userdata != 5 || ev.error) return 11;
  __wasi_fd_t conn;
  if (__wasi_sock_accept(listener, 0, &conn) != 0) return 12;
  char buf[128];
  size_t got = 0;
  while (got < sizeof buf && (got == 0 || buf[got - 1] != '\n')) {
    __wasi_iovec_t iov = {(uint8_t*)buf + got, sizeof buf - got};
    __wasi_size_t n = 0;
    __wasi_roflags_t flags;
    if (__wasi_sock_recv(conn, &iov, 1, 0, &n, &flags) != 0 || n == 0) return 13;
    got += n;
  }
  for (size_t i = 0; i < got; ++i) buf[i] = (char)toupper((unsigned char)buf[i]);
  __wasi_ciovec_t out = {(const uint8_t*)buf, got};
  __wasi_size_t sent = 0;
  if (__wasi_sock_send(conn, &out, 1, 0, &sent) != 0 || sent != got) return 14;
  if (__wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR) != 0) return 15;
  (void)!__wasi_fd_close(conn);
  printf("echoed %zu bytes\n", got);
  return 0;
}

#include "server/listeners.h"

#include "server/systemd.h"

#include <sys/socket.h>
#include <systemd/sd-daemon.h>  // SD_LISTEN_FDS_START

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace atl::server {

Result<InheritedSockets> inherited_sockets() {
  char** names = nullptr;
  const int n = systemd::listen_fds_with_names(&names);
  InheritedSockets out;
  std::string problem;
  if (n < 0) problem = std::string("cannot read the sockets passed by systemd: ") + std::strerror(-n) +
                         (n == -ENOSYS ? " (libsystemd.so.0 is not installed)" : "");
  for (int i = 0; i < n; ++i) {
    const int fd = SD_LISTEN_FDS_START + i;
    const std::string name = names && names[i] ? names[i] : "";
    if (problem.empty()) {
      if (systemd::is_socket(fd, AF_INET, SOCK_STREAM, 1) <= 0 && systemd::is_socket(fd, AF_INET6, SOCK_STREAM, 1) <= 0) {
        problem = "socket " + std::to_string(i) + " (" + name + ") passed by systemd is not a listening TCP socket";
      } else if (int& slot = name == "admin" ? out.admin : out.http; slot >= 0) {
        problem = "systemd passed more than one " + std::string(name == "admin" ? "admin" : "HTTP") +
                  " socket; atoll serve takes one HTTP socket and one named \"admin\"";
      } else {
        slot = fd;
      }
    }
    if (names) std::free(names[i]);
  }
  std::free(names);
  if (!problem.empty()) return make_error(ErrorKind::Usage, problem);
  if (out.http < 0 && out.admin >= 0) return make_error(ErrorKind::Usage, "systemd passed an admin socket but no HTTP socket");
  return out;
}

}  // namespace atl::server

// Listening sockets handed over by systemd (socket activation, sd_listen_fds(3)): with
// `atoll.socket` (dist/systemd/) the socket outlives the process, so a restart queues
// connections in the kernel instead of refusing them. The socket named "admin"
// (FileDescriptorName=admin) serves /metrics, /healthz and /readyz; the other one serves HTTP.
#pragma once

#include "atoll/result.h"

namespace atl::server {

struct InheritedSockets {
  int http = -1;   // -1: not socket-activated; bind the configured address
  int admin = -1;  // -1: none passed; bind admin_addr if one is configured
};

// The sockets passed to this process (LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES, which are then
// removed from the environment). An error when they are not listening TCP sockets, or more
// than one HTTP and one admin socket.
Result<InheritedSockets> inherited_sockets();

}  // namespace atl::server

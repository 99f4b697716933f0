// atoll serve: one WAGI handler module for every path (see src/server).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <thread>

#include "commands.h"
#include "server/server.h"

namespace atl::cli {

int serve(const ServeFlags& flags) {
  server::ServerConfig config;
  config.addr = flags.addr;
  config.workers = flags.workers;
  config.max_instances = flags.max_instances;
  config.log_requests = !flags.quiet;
  config.header_timeout_ms = flags.header_timeout_ms;
  server::RouteConfig route;
  route.path = "/...";
  route.module = flags.module;
  route.env = flags.env;
  route.scratch = flags.scratch;
  for (const std::string& d : flags.dirs) {
    const size_t sep = d.find("::");
    route.dirs.push_back(sep == std::string::npos ? wasi::Preopen{d, d} : wasi::Preopen{d.substr(0, sep), d.substr(sep + 2)});
  }
  route.deadline_ms = flags.deadline_ms;
  route.max_request_body = flags.max_request_body;
  route.max_response = flags.max_response;
  route.max_memory_bytes = flags.max_memory_mib << 20;
  config.routes.push_back(route);

  // SIGINT and SIGTERM end the server; every thread started below inherits the blocked mask,
  // so only the waiter sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = server::Server::create(config);
  if (!server.ok()) {
    std::fprintf(stderr, "atoll: %s\n", server.error().to_string().c_str());
    return 1;
  }
  std::fprintf(stderr, "atoll: serving %s on http://%s:%u/\n", flags.module.c_str(),
               config.addr.substr(0, config.addr.rfind(':')).c_str(), (*server)->port());
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    (*server)->stop();
  });
  (*server)->run();
  pthread_kill(waiter.native_handle(), SIGTERM);  // if run() ended by itself
  waiter.join();
  return 0;
}

}  // namespace atl::cli

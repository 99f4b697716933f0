// atoll-compile-worker: compiles one module for atl::compile() under a budget (isolated.cpp).
// Reads the module on stdin, the settings from argv (worker_protocol.h), limits its own address
// space, and answers on stdout. Its only job is to be killable.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "atoll/atoll.h"
#include "compiler_loader/worker_protocol.h"

namespace {

bool write_all(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n) {
    const ssize_t w = write(1, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace atl;
  if (argc != compile_worker::kArgc) {
    std::fprintf(stderr, "atoll-compile-worker: started by atoll only\n");
    return 2;
  }
  Config c;
  c.opt_level = std::atoi(argv[1]);
  c.bounds = std::string(argv[2]) == "1" ? BoundsChecks::Explicit : BoundsChecks::GuardPages;
  c.target_cpu = argv[3];
  c.compile_threads = static_cast<uint32_t>(std::strtoul(argv[4], nullptr, 10));
  c.compile_chunk_bytes = std::strtoull(argv[5], nullptr, 10);
  c.epoch_interruption = std::string(argv[6]) == "1";
  c.consume_fuel = std::string(argv[7]) == "1";
  c.features = WasmFeatures::from_bits(std::strtoull(argv[9], nullptr, 10));
  // Under AddressSanitizer the shadow memory alone exceeds any sensible limit: the sanitizer
  // build checks everything else, without the address-space cap.
#if !(defined(__SANITIZE_ADDRESS__) || (defined(__has_feature) && __has_feature(address_sanitizer)))
  if (const uint64_t limit = std::strtoull(argv[8], nullptr, 10)) {
    const rlimit rl{limit, limit};
    setrlimit(RLIMIT_AS, &rl);
  }
#endif
  std::vector<uint8_t> wasm;
  uint8_t buf[65536];
  for (ssize_t n; (n = read(0, buf, sizeof buf)) > 0;) wasm.insert(wasm.end(), buf, buf + n);
  Engine engine(c);  // the budget fields stay zero: compile in this process
  auto r = compile(engine, wasm);
  if (r.ok()) {
    const uint64_t size = r->size();
    return write_all(&compile_worker::kReplyArtifact, 1) && write_all(&size, 8) && write_all(r->data(), size) ? 0 : 1;
  }
  const Error& e = r.error();
  const int32_t kind = static_cast<int32_t>(e.kind);
  const uint64_t offset = e.offset;
  const uint32_t func = e.func, n = static_cast<uint32_t>(e.message.size());
  return write_all(&compile_worker::kReplyError, 1) && write_all(&kind, 4) && write_all(&offset, 8) &&
                 write_all(&func, 4) && write_all(&n, 4) && write_all(e.message.data(), n)
             ? 0
             : 1;
}

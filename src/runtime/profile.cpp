#include "runtime/profile.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "abi/abi.h"
#include "runtime/code_image.h"

namespace atl::runtime {

namespace {

std::mutex g_profile_mu;

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // the clock of `perf record -k mono`
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

void write_perf_map(const LoadedModule& m) {
  const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return;
  for (const auto& [name, sym] : m.code->symbols()) {
    if (sym.size == 0) continue;
    std::fprintf(f, "%lx %lx %s\n", static_cast<unsigned long>(sym.address), static_cast<unsigned long>(sym.size),
                 profile_label(m, name).c_str());
  }
  std::fclose(f);
}

// The jitdump file (perf's tools/perf/Documentation/jitdump-specification.txt): a header, then
// one JIT_CODE_LOAD record per function. perf finds the file through the process's mapping of
// it, so it stays mapped (executable, as perf requires) for the life of the process.
class JitDump {
 public:
  static JitDump* get() {
    static JitDump* d = open();  // leaked on purpose: records may be written until exit
    return d;
  }

  void code_load(const std::string& label, uintptr_t address, uint64_t size) {
    const uint32_t record_size = static_cast<uint32_t>(16 + 40 + label.size() + 1 + size);
    std::vector<uint8_t> r;
    r.reserve(record_size);
    put32(r, kCodeLoad);
    put32(r, record_size);
    put64(r, monotonic_ns());
    put32(r, static_cast<uint32_t>(getpid()));
    put32(r, static_cast<uint32_t>(syscall(SYS_gettid)));
    put64(r, address);  // vma
    put64(r, address);  // code_addr
    put64(r, size);
    put64(r, next_index_++);
    r.insert(r.end(), label.begin(), label.end());
    r.push_back(0);
    const auto* code = reinterpret_cast<const uint8_t*>(address);
    r.insert(r.end(), code, code + size);
    write_all(r);
  }

 private:
  static constexpr uint32_t kMagic = 0x4A695444;  // "JiTD"
  static constexpr uint32_t kCodeLoad = 0;
  static constexpr uint32_t kMachineX86_64 = 62;

  static JitDump* open() {
    const char* dir = std::getenv("ATOLL_JITDUMP_DIR");
    const std::string path = std::string(dir && *dir ? dir : ".") + "/jit-" + std::to_string(getpid()) + ".dump";
    const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0) {
      std::fprintf(stderr, "atoll: warning: cannot create %s: %s (no jitdump)\n", path.c_str(), std::strerror(errno));
      return nullptr;
    }
    const long page = sysconf(_SC_PAGESIZE);
    void* marker = mmap(nullptr, static_cast<size_t>(page), PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    if (marker == MAP_FAILED) {
      ::close(fd);
      return nullptr;
    }
    auto* d = new JitDump(fd);
    std::vector<uint8_t> h;
    put32(h, kMagic);
    put32(h, 1);   // version
    put32(h, 40);  // header size
    put32(h, kMachineX86_64);
    put32(h, 0);
    put32(h, static_cast<uint32_t>(getpid()));
    put64(h, monotonic_ns());
    put64(h, 0);  // flags
    d->write_all(h);
    return d;
  }
  explicit JitDump(int fd) : fd_(fd) {}

  static void put32(std::vector<uint8_t>& v, uint32_t x) {
    const auto* p = reinterpret_cast<const uint8_t*>(&x);
    v.insert(v.end(), p, p + 4);
  }
  static void put64(std::vector<uint8_t>& v, uint64_t x) {
    const auto* p = reinterpret_cast<const uint8_t*>(&x);
    v.insert(v.end(), p, p + 8);
  }
  void write_all(const std::vector<uint8_t>& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a full disk: the dump stops, the program does not
      done += static_cast<size_t>(n);
    }
  }

  int fd_;
  uint64_t next_index_ = 0;
};

bool parse_index(const std::string& s, size_t from, uint32_t* out) {
  const char* begin = s.data() + from;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(begin, end, *out);
  return ec == std::errc() && p != begin && (p == end || *p == '_');
}

}  // namespace

std::string profile_label(const LoadedModule& m, const std::string& symbol) {
  uint32_t index;
  const std::string prefix = abi::kFuncSymbolPrefix;
  if (symbol.rfind(prefix, 0) == 0 && parse_index(symbol, prefix.size(), &index) && index < m.module.num_funcs()) {
    const std::string& wasm_name = m.module.func_display_name(index);
    return "wasm[" + std::to_string(index) + "]" + (wasm_name.empty() ? "" : " " + wasm_name);
  }
  const std::string wrap = abi::kWrapSymbolPrefix;  // the function's entry in the wasm convention
  if (symbol.rfind(wrap, 0) == 0 && parse_index(symbol, wrap.size(), &index) && index < m.module.num_funcs()) {
    return profile_label(m, prefix + std::to_string(index)) + " (entry)";
  }
  return symbol;
}

void announce_code(const LoadedModule& m, Profiler p) {
  const char* env = std::getenv("ATOLL_PERF_MAP");
  const bool perf_map = p == Profiler::PerfMap || (env && std::string(env) == "1");
  if (!perf_map && p != Profiler::JitDump) return;
  std::lock_guard<std::mutex> lock(g_profile_mu);
  if (perf_map) write_perf_map(m);
  if (p == Profiler::JitDump) {
    JitDump* d = JitDump::get();
    if (!d) return;
    for (const auto& [name, sym] : m.code->symbols()) {
      if (sym.size != 0) d->code_load(profile_label(m, name), sym.address, sym.size);
    }
  }
}

}  // namespace atl::runtime

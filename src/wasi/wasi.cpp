// Registration of the WASI functions with a Linker, the descriptor table, errno mapping.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "wasi/functions.h"
#include "wasi/rights.h"

namespace atl::wasi {

uint16_t errno_from_host(int e) {
  switch (e) {
    case 0: return kSuccess;
    case E2BIG: return k2Big;
    case EACCES: return kAcces;
    case EAGAIN: return kAgain;
    case EBADF: return kBadf;
    case EBUSY: return kBusy;
    case EEXIST: return kExist;
    case EFAULT: return kFault;
    case EFBIG: return kFbig;
    case EILSEQ: return kIlseq;
    case EINTR: return kIntr;
    case EINVAL: return kInval;
    case EIO: return kIo;
    case EISDIR: return kIsdir;
    case ELOOP: return kLoop;
    case EMFILE: return kMfile;
    case EMLINK: return kMlink;
    case ENAMETOOLONG: return kNametoolong;
    case ENOENT: return kNoent;
    case ENOMEM: return kNomem;
    case ENOSPC: return kNospc;
    case ENOSYS: return kNosys;
    case ENOTCONN: return kNotconn;
    case ENOTDIR: return kNotdir;
    case ENOTEMPTY: return kNotempty;
    case ENOTSOCK: return kNotsock;
    case EOPNOTSUPP: return kNotsup;
    case EOVERFLOW: return kOverflow;
    case EPERM: return kPerm;
    case EPIPE: return kPipe;
    case EROFS: return kRofs;
    case ESPIPE: return kSpipe;
    case EXDEV: return kXdev;
    case ETXTBSY: return 74;
    case ECONNRESET: return 15;
    case ECONNREFUSED: return 14;
    case ENOTTY: return 59;
    case ENXIO: return 60;
    case EMSGSIZE: return 35;
    case ENODEV: return 43;
    case ETIMEDOUT: return 73;
    default: return kIo;
  }
}

uint16_t resolve_errno(int negative_errno) {
  return negative_errno == -EXDEV ? kNotcapable : errno_from_host(-negative_errno);
}

uint8_t filetype_from_mode(uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return kRegularFile;
    case S_IFDIR: return kDirectory;
    case S_IFLNK: return kSymlink;
    case S_IFCHR: return kCharDevice;
    case S_IFBLK: return kBlockDevice;
    case S_IFSOCK: return kSocketStream;
    default: return kUnknown;
  }
}

uint16_t Call::path(uint32_t ptr, uint32_t len, std::string& out) const {
  if (!in(ptr, len)) return kFault;
  // Linux takes at most PATH_MAX bytes; copying a guest's gigabyte "path" first would only cost.
  if (len >= PATH_MAX) return kNametoolong;
  out.assign(reinterpret_cast<const char*>(mem.data() + ptr), len);
  if (out.find('\0') != std::string::npos) return kIlseq;
  return kSuccess;
}

Context::~Context() {
  for (auto& [n, fd] : fds) {
    if (fd.owned && fd.host >= 0) close(fd.host);
  }
}

std::optional<uint32_t> Context::insert(Fd fd) {
  if (fds.size() >= max_fds) return std::nullopt;
  uint32_t n = 3;
  for (auto it = fds.lower_bound(3); it != fds.end() && it->first == n; ++it) ++n;
  fds[n] = std::move(fd);
  return n;
}

uint64_t supported_rights(uint8_t type) {
  switch (type) {
    case kDirectory: return rights::kDirectory;
    case kRegularFile: case kBlockDevice: return rights::kRegularFile;
    case kSocketStream: case kSocketDgram: return rights::kSocket;
    default: return rights::kStream;
  }
}

uint16_t need_rights(const Fd* fd, uint64_t needed) {
  if (!fd) return kBadf;
  if ((fd->rights_base & needed) == needed) return kSuccess;
  return (supported_rights(fd->type) & needed) == needed ? kNotcapable : kBadf;
}

std::optional<int> exit_code(const Context& ctx) { return ctx.exit_code; }
std::optional<uint32_t> reserved_exit_status(const Context& ctx) { return ctx.invalid_exit_status; }

namespace {
// Identifies WASI's per-store state (Store::set_host_state).
const char kContextKey = 0;
}  // namespace

namespace {

// `config` for what is only read; `owned` for what the context takes (moved from it).
Result<std::shared_ptr<Context>> attach_parts(Store& store, const Config& config, Config&& owned) {
  auto ctx = std::make_shared<Context>();
  const bool in_memory[3] = {owned.stdin_data.has_value(), bool(owned.stdout_sink), bool(owned.stderr_sink)};
  ctx->args = std::move(owned.args);
  ctx->env = std::move(owned.env);
  ctx->max_fds = config.max_open_files;
  ctx->suspend_sleeps = config.suspend_sleeps;
  const int stdio[3] = {config.stdin_fd, config.stdout_fd, config.stderr_fd};
  if (owned.stdin_data) ctx->stdin_data = std::move(*owned.stdin_data);
  ctx->sinks[1] = std::move(owned.stdout_sink);
  ctx->sinks[2] = std::move(owned.stderr_sink);
  for (uint32_t i = 0; i < 3; ++i) {
    struct stat st;
    const uint8_t type = in_memory[i] ? kCharDevice
                         : fstat(stdio[i], &st) == 0 ? filetype_from_mode(st.st_mode) : kCharDevice;
    // stdin reads, stdout and stderr write, whatever the host descriptor would allow.
    const uint64_t mode = i == 0 ? rights::kNeedsWrite : rights::kNeedsRead;
    ctx->fds[i] = Fd{in_memory[i] ? -1 : stdio[i], type, false, false, {}, supported_rights(type) & ~mode, 0};
    if (in_memory[i]) ctx->fds[i].memory_stream = static_cast<int8_t>(i);
  }
  auto too_many = [&] {
    return make_error(ErrorKind::Usage, "more preopens and sockets than max_open_files (" +
                                            std::to_string(config.max_open_files) + ")");
  };
  for (const Preopen& p : config.preopens) {
    const int fd = open(p.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return make_error(ErrorKind::Io, "cannot preopen " + p.host_path + ": " + std::strerror(errno));
    }
    if (!ctx->insert(Fd{fd, kDirectory, true, true, p.guest_path, rights::kDirectory, rights::kAll})) {
      close(fd);
      return too_many();
    }
  }
  // Sockets come after the directories: wasi-libc stops looking for preopened directories at
  // the first descriptor that is not one.
  for (const std::string& addr : config.tcp_listen) {
    const size_t colon = addr.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    char* end = nullptr;
    const unsigned long port = colon == std::string::npos ? 0 : std::strtoul(addr.c_str() + colon + 1, &end, 10);
    if (colon == std::string::npos || !end || *end || port == 0 || port > 65535 ||
        inet_pton(AF_INET, addr.substr(0, colon).c_str(), &sa.sin_addr) != 1) {
      return make_error(ErrorKind::Usage, "--tcplisten wants IPV4ADDRESS:PORT, got '" + addr + "'");
    }
    sa.sin_port = htons(static_cast<uint16_t>(port));
    const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(s, 128) != 0) {
      const int e = errno;
      if (s >= 0) close(s);
      return make_error(ErrorKind::Io, "cannot listen on " + addr + ": " + std::strerror(e));
    }
    if (!ctx->insert(Fd{s, kSocketStream, false, true, {}, rights::kSocket, 0})) {
      close(s);
      return too_many();
    }
  }
  store.set_host_state(&kContextKey, ctx);
  return ctx;
}

}  // namespace

Result<std::shared_ptr<Context>> attach(Store& store, const Config& config) {
  Config copy;
  copy.args = config.args;
  copy.env = config.env;
  copy.stdin_data = config.stdin_data;
  copy.stdout_sink = config.stdout_sink;
  copy.stderr_sink = config.stderr_sink;
  return attach_parts(store, config, std::move(copy));
}

Result<std::shared_ptr<Context>> attach(Store& store, Config&& config) { return attach_parts(store, config, std::move(config)); }


Result<void> check_module(const Module& module) {
  bool imports_wasi = false;
  for (const ImportType& imp : module.imports()) imports_wasi |= imp.module == "wasi_snapshot_preview1";
  if (!imports_wasi) return {};
  for (const ExportType& e : module.exports()) {
    if (e.type.kind == ExternKind::Memory && e.name == "memory" && e.type.memory.is64) {
      return make_error(ErrorKind::Link, "WASI preview1 cannot serve a 64-bit memory (memory64): its pointers are i32; "
                                         "the module's exported memory \"memory\" is i64");
    }
  }
  return {};
}

void add_to_linker(Linker& linker) {
  auto define = [&](const FunctionDef& d) {
    FuncType type;
    for (const char* p = d.params; *p; ++p) type.params.push_back(*p == 'I' ? ValType::I64 : ValType::I32);
    if (d.returns_errno) type.results.push_back(ValType::I32);
    const Handler h = d.handler;
    const char* fname = d.name;
    linker.define_host("wasi_snapshot_preview1", d.name, std::move(type),
                       [h, fname](Caller& caller, uint64_t* slots) -> Result<void> {
                         auto* ctx = static_cast<Context*>(caller.host_state(&kContextKey));
                         if (!ctx) {
                           return make_error(ErrorKind::Usage, "the store has no WASI context (wasi::attach)");
                         }
                         Call call{slots, {}, &caller};
                         auto mem = caller.memory();
                         if (mem.ok() && mem->type().is64) {
                           return make_error(ErrorKind::Usage, std::string(fname) +
                                                                   ": WASI preview1 cannot use a 64-bit memory (memory64)");
                         }
                         if (mem.ok()) {
                           auto view = mem->span(0, mem->size());
                           if (view.ok()) call.mem = *view;
                         }
                         const uint16_t r = h(*ctx, call);
                         if (r == kCancelled) {
                           return make_error(ErrorKind::Other, "the call was cancelled while it slept");
                         }
                         if (r == kExit) {
                           if (!ctx->exit_code) {
                             return make_error(ErrorKind::Other,
                                               "proc_exit(" + std::to_string(*ctx->invalid_exit_status) +
                                                   "): exit with invalid exit status outside of [0..126)");
                           }
                           return make_error(ErrorKind::Other, "proc_exit(" + std::to_string(*ctx->exit_code) + ")");
                         }
                         slots[0] = r;
                         slots[1] = 0;
                         return {};
                       });
  };
  for (size_t i = 0; i < kNumFdFunctions; ++i) define(kFdFunctions[i]);
  for (size_t i = 0; i < kNumPathFunctions; ++i) define(kPathFunctions[i]);
  for (size_t i = 0; i < kNumMiscFunctions; ++i) define(kMiscFunctions[i]);
}

Result<std::shared_ptr<Context>> add_to_linker(Linker& linker, const Config& config) {
  if (!linker.store()) return make_error(ErrorKind::Usage, "wasi::add_to_linker with a config needs a Linker made for a store");
  auto ctx = attach(*linker.store(), config);
  if (!ctx.ok()) return ctx;
  add_to_linker(linker);
  return ctx;
}

}  // namespace atl::wasi

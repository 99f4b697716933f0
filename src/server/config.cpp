// TOML configuration for atoll serve, with toml++ (header-only here: one translation unit, and
// no ABI coupling to how the distribution built its shared library).
#include "server/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <cerrno>
#include <cstring>

namespace atl::server {

namespace {

std::string where(const std::string& source, const toml::node& n) {
  const auto& b = n.source().begin;
  return source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column);
}

Error bad(const std::string& source, const toml::node& n, const std::string& what) {
  return make_error(ErrorKind::Usage, where(source, n) + ": " + what);
}

// One table's keys, read and type-checked; what is left unread at the end is an unknown key.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string source, std::string context)
      : t_(t), source_(std::move(source)), context_(std::move(context)) {}

  template <class T>
  Result<void> integer(const char* key, T& out, uint64_t min = 0, uint64_t max = std::numeric_limits<T>::max()) {
    const toml::node* n = take(key);
    if (!n) return {};
    const auto* v = n->as_integer();
    if (!v) return bad(source_, *n, context_ + key + " must be an integer");
    const int64_t x = v->get();
    if (x < 0 || static_cast<uint64_t>(x) < min || static_cast<uint64_t>(x) > max) {
      return bad(source_, *n, context_ + key + " must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    out = static_cast<T>(x);
    return {};
  }
  Result<void> string(const char* key, std::string& out) {
    const toml::node* n = take(key);
    if (!n) return {};
    const auto* v = n->as_string();
    if (!v) return bad(source_, *n, context_ + key + " must be a string");
    out = v->get();
    return {};
  }
  Result<void> boolean(const char* key, bool& out) {
    const toml::node* n = take(key);
    if (!n) return {};
    const auto* v = n->as_boolean();
    if (!v) return bad(source_, *n, context_ + key + " must be true or false");
    out = v->get();
    return {};
  }
  const toml::node* take(const char* key) {
    seen_.insert(key);
    return t_.get(key);
  }
  // The first key nobody asked for: a typo or a setting atoll does not have.
  Result<void> finish() const {
    for (const auto& [k, v] : t_) {
      if (!seen_.count(std::string(k.str()))) return bad(source_, v, "unknown setting " + context_ + std::string(k.str()));
    }
    return {};
  }
  const std::string& source() const { return source_; }

 private:
  const toml::table& t_;
  std::string source_, context_;
  std::set<std::string> seen_;
};

#define ATL_TRY(expr)              \
  do {                             \
    auto r_ = (expr);              \
    if (!r_.ok()) return r_.take_error(); \
  } while (0)

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

Result<void> read_route(const toml::table& t, const std::string& source, const std::string& base_dir, size_t index,
                        RouteConfig& r) {
  TableReader in(t, source, "route[" + std::to_string(index) + "].");
  const toml::node* path = in.take("path");
  if (!path || !path->is_string()) return bad(source, path ? *path : static_cast<const toml::node&>(t), "every [[route]] needs path = \"/...\"");
  r.path = path->as_string()->get();
  if (r.path.empty() || r.path[0] != '/') return bad(source, *path, "route path '" + r.path + "' must start with /");
  const toml::node* module = in.take("module");
  if (!module || !module->is_string()) return bad(source, module ? *module : static_cast<const toml::node&>(t), "route " + r.path + " needs module = \"file.wasm\"");
  r.module = resolve(base_dir, module->as_string()->get());
  uint64_t memory_mib = r.max_memory_bytes >> 20;
  ATL_TRY(in.integer("max_memory_mib", memory_mib, 1, 4096));
  r.max_memory_bytes = memory_mib << 20;
  ATL_TRY(in.integer("deadline_ms", r.deadline_ms, 1, 3'600'000));
  ATL_TRY(in.integer("fuel", r.fuel));
  ATL_TRY(in.integer("max_request_body", r.max_request_body, 0, uint64_t{1} << 32));
  ATL_TRY(in.integer("max_response", r.max_response, 0, uint64_t{1} << 32));
  ATL_TRY(in.integer("max_concurrency", r.max_concurrency));
  ATL_TRY(in.boolean("scratch", r.scratch));
  if (const toml::node* dirs = in.take("dirs")) {
    const auto* a = dirs->as_array();
    if (!a) return bad(source, *dirs, "dirs must be an array of \"HOST[::GUEST]\" strings");
    for (const toml::node& d : *a) {
      if (!d.is_string()) return bad(source, d, "dirs must be an array of \"HOST[::GUEST]\" strings");
      const std::string s = d.as_string()->get();
      const size_t sep = s.find("::");
      const std::string host = s.substr(0, sep), guest = sep == std::string::npos ? host : s.substr(sep + 2);
      if (host.empty() || guest.empty()) return bad(source, d, "dirs entry '" + s + "' wants HOST[::GUEST]");
      r.dirs.push_back({resolve(base_dir, host), guest});
    }
  }
  if (const toml::node* env = in.take("env")) {
    const auto* e = env->as_table();
    if (!e) return bad(source, *env, "env must be a table of NAME = \"value\"");
    for (const auto& [k, v] : *e) {
      if (!v.is_string()) return bad(source, v, "env." + std::string(k.str()) + " must be a string");
      if (k.str().empty() || k.str().find('=') != std::string_view::npos) return bad(source, v, "bad variable name '" + std::string(k.str()) + "'");
      r.env.push_back(std::string(k.str()) + "=" + v.as_string()->get());
    }
  }
  return in.finish();
}

// toml++ 3.3 (Debian 12) reaches __builtin_unreachable() (undefined behaviour) when it asks
// whether certain non-ASCII characters are whitespace: U+00E9 after a line-ending backslash in a
// multi-line string, U+FEFE where a value ends (found by fuzz_serve_config). It asks only
// outside strings and comments, and at the first character after a line-ending backslash. So
// the text is first parsed with every non-ASCII character replaced by '~', which TOML allows
// only in strings and comments: if that parses, toml++ met every such character inside one.
// The line-ending backslash case is refused outright. Columns stay the same (one '~' per
// character), so errors point at the right place.
std::string ascii_shadow(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out += text[i];
    } else if (b >= 0xC0 || i == 0 || static_cast<unsigned char>(text[i - 1]) < 0x80) {
      out += '~';  // a lead byte (or a stray continuation byte): one character
    }
  }
  return out;
}

// A non-ASCII character first after a line-ending backslash ("\\", blanks, a line break, blanks).
std::optional<size_t> non_ascii_after_line_continuation(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') continue;
    size_t j = i + 1;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r')) ++j;
    if (j >= text.size() || text[j] != '\n') continue;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r' || text[j] == '\n')) ++j;
    if (j < text.size() && static_cast<unsigned char>(text[j]) >= 0x80) return j;
  }
  return std::nullopt;
}

Result<toml::table> parse_toml(std::string_view text, const std::string& source) {
  auto position = [&](const toml::source_position& p) {
    return source + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": ";
  };
  const std::string shadow = ascii_shadow(text);
  const bool non_ascii = shadow.size() != text.size() || shadow != text;
  try {
    toml::table t = toml::parse(shadow, source);
    if (!non_ascii) return t;
  } catch (const toml::parse_error& e) {
    return make_error(ErrorKind::Usage, position(e.source().begin) + std::string(e.description()) +
                                            (non_ascii ? " (non-ASCII characters read as '~')" : ""));
  }
  if (auto at = non_ascii_after_line_continuation(text)) {
    const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(*at), '\n'));
    return make_error(ErrorKind::Usage, source + ":" + std::to_string(line) +
                                            ": a non-ASCII character right after a line-ending backslash "
                                            "(not supported in atoll's config)");
  }
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return make_error(ErrorKind::Usage, position(e.source().begin) + std::string(e.description()));
  }
}

}  // namespace

Result<ServerConfig> parse_config(std::string_view text, const std::string& source, const std::string& base_dir) {
  auto parsed = parse_toml(text, source);
  if (!parsed.ok()) return parsed.take_error();
  const toml::table& root = *parsed;
  ServerConfig c;
  TableReader in(root, source, "");
  ATL_TRY(in.string("addr", c.addr));
  ATL_TRY(in.string("admin_addr", c.admin_addr));
  ATL_TRY(in.integer("workers", c.workers, 0, 1024));
  ATL_TRY(in.integer("max_instances", c.max_instances, 1, 100'000));
  ATL_TRY(in.integer("max_connections", c.max_connections, 1, 1'000'000));
  ATL_TRY(in.integer("header_limit", c.header_limit, 256, 1 << 20));
  ATL_TRY(in.integer("header_timeout_ms", c.header_timeout_ms, 1, 3'600'000));
  ATL_TRY(in.integer("idle_timeout_ms", c.idle_timeout_ms, 1, 3'600'000));
  ATL_TRY(in.integer("drain_timeout_ms", c.drain_timeout_ms, 0, 3'600'000));
  ATL_TRY(in.integer("drain_delay_ms", c.drain_delay_ms, 0, 600'000));
  ATL_TRY(in.integer("time_slice_ms", c.time_slice_ms, 1, 1000));
  ATL_TRY(in.boolean("log_requests", c.log_requests));
  ATL_TRY(in.boolean("prewarm", c.prewarm));
  ATL_TRY(in.boolean("watch", c.watch));
  const toml::node* routes = in.take("route");
  if (!routes) return make_error(ErrorKind::Usage, source + ": no routes: add [[route]] tables with path and module");
  const auto* a = routes->as_array();
  if (!a || !a->is_array_of_tables()) return bad(source, *routes, "route must be an array of tables: [[route]]");
  std::set<std::string> paths;
  for (size_t i = 0; i < a->size(); ++i) {
    RouteConfig r;
    ATL_TRY(read_route(*(*a)[i].as_table(), source, base_dir, i, r));
    if (!paths.insert(r.path).second) return bad(source, (*a)[i], "two routes for " + r.path);
    c.routes.push_back(std::move(r));
  }
  if (c.routes.empty()) return make_error(ErrorKind::Usage, source + ": no routes: add [[route]] tables with path and module");
  ATL_TRY(in.finish());
  return c;
}

Result<ServerConfig> load_config(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(ErrorKind::Io, "cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << f.rdbuf();
  if (text.str().size() > (1 << 20)) return make_error(ErrorKind::Usage, path + ": larger than 1 MiB");
  return parse_config(text.str(), path, std::filesystem::path(path).parent_path().string());
}

std::string reload_incompatibility(const ServerConfig& current, const ServerConfig& next) {
  // Everything but the routes is fixed at start: the sockets, the pool, and the settings every
  // worker reads on every request without a lock.
  if (next.addr != current.addr) return "addr (" + current.addr + " -> " + next.addr + ")";
  if (next.admin_addr != current.admin_addr) return "admin_addr";
  if (next.workers != current.workers) return "workers";
  if (next.max_instances != current.max_instances) return "max_instances";
  if (next.max_connections != current.max_connections) return "max_connections";
  if (next.header_limit != current.header_limit) return "header_limit";
  if (next.header_timeout_ms != current.header_timeout_ms) return "header_timeout_ms";
  if (next.idle_timeout_ms != current.idle_timeout_ms) return "idle_timeout_ms";
  if (next.drain_timeout_ms != current.drain_timeout_ms) return "drain_timeout_ms";
  if (next.drain_delay_ms != current.drain_delay_ms) return "drain_delay_ms";
  if (next.time_slice_ms != current.time_slice_ms) return "time_slice_ms";
  if (next.log_requests != current.log_requests) return "log_requests";
  if (next.prewarm != current.prewarm) return "prewarm";
  if (next.watch != current.watch) return "watch";
  bool had_fuel = false, wants_fuel = false;
  for (const RouteConfig& r : current.routes) had_fuel |= r.fuel != 0;
  for (const RouteConfig& r : next.routes) wants_fuel |= r.fuel != 0;
  if (wants_fuel && !had_fuel) return "fuel (the server started without fuel metering compiled in)";
  return "";
}

}  // namespace atl::server

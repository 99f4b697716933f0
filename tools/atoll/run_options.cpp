#include "run_options.h"

#include <string_view>

#include "support/units.h"

namespace atl::cli {

namespace {

struct Setting {
  std::string name;
  std::string value;
  bool has_value = false;
};

// "a=1,b" -> {a, 1}, {b}; empty items are refused (a stray comma is a typo).
Result<std::vector<Setting>> split(const std::vector<std::string>& flags, char letter) {
  std::vector<Setting> out;
  for (const std::string& flag : flags) {
    size_t start = 0;
    while (true) {
      const size_t comma = flag.find(',', start);
      const std::string item = flag.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (item.empty()) {
        return make_error(ErrorKind::Usage, std::string("-") + letter + " '" + flag + "': an empty option");
      }
      Setting s;
      const size_t eq = item.find('=');
      s.name = item.substr(0, eq);
      if (eq != std::string::npos) {
        s.value = item.substr(eq + 1);
        s.has_value = true;
      }
      out.push_back(std::move(s));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

Error bad_value(char letter, const Setting& s, const Error& why) {
  return make_error(ErrorKind::Usage, std::string("-") + letter + " " + s.name + ": " + why.message);
}

Error needs_value(char letter, const Setting& s, const char* what) {
  return make_error(ErrorKind::Usage, std::string("-") + letter + " " + s.name + " needs a value: " + s.name + "=" + what);
}

// The proposals -W can name (Wasmtime's spellings). Those atoll does not implement yet are
// known, so `=n` is accepted and `=y` is refused with that reason rather than "unknown option".
struct FeatureSwitch {
  const char* name;
  bool WasmFeatures::*flag;
};
constexpr FeatureSwitch kFeatures[] = {
    {"extended-const", &WasmFeatures::extended_const}, {"tail-call", &WasmFeatures::tail_call},
    {"multi-memory", &WasmFeatures::multi_memory},     {"memory64", &WasmFeatures::memory64},
    {"relaxed-simd", &WasmFeatures::relaxed_simd},     {"function-references", &WasmFeatures::function_references},
    {"exceptions", &WasmFeatures::exceptions},
};
constexpr const char* kUnimplementedFeatures[] = {"gc", "threads"};
constexpr const char* kFeatureHelp =
    "extended-const[=y|n], tail-call[=y|n], multi-memory[=y|n], memory64[=y|n], relaxed-simd[=y|n], "
    "function-references[=y|n], exceptions[=y|n], all-proposals[=y|n]";

// Applies a setting that names a proposal to `f`: nullopt if it names none.
std::optional<Result<void>> apply_feature(const Setting& s, WasmFeatures& f) {
  const FeatureSwitch* known = nullptr;
  for (const FeatureSwitch& k : kFeatures) {
    if (s.name == k.name) known = &k;
  }
  bool unimplemented = false;
  for (const char* name : kUnimplementedFeatures) unimplemented |= s.name == name;
  if (!known && !unimplemented && s.name != "all-proposals") return std::nullopt;
  auto v = units::parse_switch(s.value);
  if (!v.ok()) return Result<void>(bad_value('W', s, v.error()));
  if (unimplemented) {
    if (*v) return Result<void>(make_error(ErrorKind::Usage, "-W " + s.name + ": atoll does not implement this proposal yet"));
    return Result<void>();
  }
  if (known) {
    f.*(known->flag) = *v;
  } else {
    f = *v ? WasmFeatures{} : WasmFeatures::wasm2();
  }
  return Result<void>();
}

}  // namespace

Result<WasmFeatures> parse_feature_options(const std::vector<std::string>& flags) {
  auto settings = split(flags, 'W');
  if (!settings.ok()) return settings.take_error();
  WasmFeatures f;
  for (const Setting& s : *settings) {
    auto applied = apply_feature(s, f);
    if (!applied) return make_error(ErrorKind::Usage, "unknown option -W " + s.name + " (known: " + kFeatureHelp + ")");
    if (!applied->ok()) return applied->take_error();
  }
  return f;
}

Result<WasmOptions> parse_wasm_options(const std::vector<std::string>& flags) {
  auto settings = split(flags, 'W');
  if (!settings.ok()) return settings.take_error();
  WasmOptions o;
  for (const Setting& s : *settings) {
    if (s.name == "fuel") {
      if (!s.has_value) return needs_value('W', s, "N");
      auto v = units::parse_count(s.value);
      if (!v.ok()) return bad_value('W', s, v.error());
      o.fuel = *v;
    } else if (s.name == "timeout") {
      if (!s.has_value) return needs_value('W', s, "DURATION (e.g. 500ms, 2s)");
      auto v = units::parse_duration_ns(s.value);
      if (!v.ok()) return bad_value('W', s, v.error());
      if (*v == 0) return bad_value('W', s, make_error(ErrorKind::Usage, "a timeout must be longer than 0"));
      o.timeout_ns = *v;
    } else if (s.name == "max-memory-size") {
      if (!s.has_value) return needs_value('W', s, "BYTES");
      auto v = units::parse_bytes(s.value);
      if (!v.ok()) return bad_value('W', s, v.error());
      o.max_memory_size = *v;
    } else if (s.name == "max-table-elements") {
      if (!s.has_value) return needs_value('W', s, "N");
      auto v = units::parse_count(s.value, UINT32_MAX);
      if (!v.ok()) return bad_value('W', s, v.error());
      o.max_table_elements = static_cast<uint32_t>(*v);
    } else if (s.name == "max-wasm-stack") {
      if (!s.has_value) return needs_value('W', s, "BYTES");
      auto v = units::parse_bytes(s.value);
      if (!v.ok()) return bad_value('W', s, v.error());
      if (*v < 4096 || *v > (uint64_t{4} << 30)) {
        return bad_value('W', s, make_error(ErrorKind::Usage, "'" + s.value + "' is not between 4KiB and 4GiB"));
      }
      o.max_wasm_stack = *v;
    } else if (s.name == "epoch-interruption" || s.name == "consume-fuel") {
      auto v = units::parse_switch(s.value);
      if (!v.ok()) return bad_value('W', s, v.error());
      (s.name == "consume-fuel" ? o.consume_fuel : o.epoch_interruption) = *v;
    } else if (auto applied = apply_feature(s, o.features)) {
      if (!applied->ok()) return applied->take_error();
    } else {
      return make_error(ErrorKind::Usage, "unknown option -W " + s.name +
                                              " (known: fuel=N, timeout=DURATION, max-memory-size=BYTES, "
                                              "max-table-elements=N, max-wasm-stack=BYTES, epoch-interruption[=y|n], "
                                              "consume-fuel[=y|n], " + kFeatureHelp + ")");
    }
  }
  if (o.fuel && o.consume_fuel == false) {
    return make_error(ErrorKind::Usage, "-W fuel=N needs fuel metering, but -W consume-fuel=n turns it off");
  }
  if (o.timeout_ns && o.epoch_interruption == false) {
    return make_error(ErrorKind::Usage, "-W timeout needs epoch checks, but -W epoch-interruption=n turns them off");
  }
  return o;
}

Result<WasiOptions> parse_wasi_options(const std::vector<std::string>& flags) {
  auto settings = split(flags, 'S');
  if (!settings.ok()) return settings.take_error();
  WasiOptions o;
  for (const Setting& s : *settings) {
    if (s.name == "inherit-env") {
      auto v = units::parse_switch(s.value);
      if (!v.ok()) return bad_value('S', s, v.error());
      o.inherit_env = *v;
    } else if (s.name == "tcplisten") {
      if (!s.has_value || s.value.empty()) return needs_value('S', s, "ADDRESS:PORT");
      o.tcp_listen.push_back(s.value);
    } else {
      return make_error(ErrorKind::Usage,
                        "unknown option -S " + s.name + " (known: inherit-env[=y|n], tcplisten=ADDRESS:PORT)");
    }
  }
  return o;
}

Result<DebugOptions> parse_debug_options(const std::vector<std::string>& flags) {
  auto settings = split(flags, 'D');
  if (!settings.ok()) return settings.take_error();
  DebugOptions o;
  for (const Setting& s : *settings) {
    if (s.name == "debug-info") {
      auto v = units::parse_switch(s.value);
      if (!v.ok()) return bad_value('D', s, v.error());
      o.debug_info = *v;
    } else {
      return make_error(ErrorKind::Usage, "unknown option -D " + s.name + " (known: debug-info[=y|n])");
    }
  }
  return o;
}

Result<ProfileOptions> parse_profile_option(const std::string& text) {
  ProfileOptions o;
  if (text.empty()) return o;
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  const std::string& kind = parts[0];
  const auto usage = [&](const std::string& why) {
    return make_error(ErrorKind::Usage, "--profile " + text + ": " + why +
                                            " (known: perfmap, jitdump, guest[,PATH[,INTERVAL]])");
  };
  if (kind == "perfmap" || kind == "jitdump") {
    if (parts.size() > 1) return usage(kind + " takes no arguments");
    o.kind = kind == "perfmap" ? ProfileOptions::Kind::PerfMap : ProfileOptions::Kind::JitDump;
    return o;
  }
  if (kind != "guest") return usage("unknown profiler '" + kind + "'");
  if (parts.size() > 3) return usage("too many arguments");
  o.kind = ProfileOptions::Kind::Guest;
  if (parts.size() > 1) {
    if (parts[1].empty()) return usage("empty PATH");
    o.path = parts[1];
  }
  if (parts.size() > 2) {
    auto ns = units::parse_duration_ns(parts[2]);
    if (!ns.ok()) return usage("INTERVAL: " + ns.error().message);
    if (*ns < 10'000 || *ns > 10'000'000'000) return usage("INTERVAL must be between 10us and 10s");
    o.interval_ns = *ns;
  }
  return o;
}

}  // namespace atl::cli

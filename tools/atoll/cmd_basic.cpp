// validate, inspect and wast.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "abi/abi.h"
#include "artifact/artifact.h"
#include "commands.h"
#include "support/process.h"
#include "wasm/decoder.h"
#include "wasm/inspect.h"

namespace atl::cli {

int validate(const std::string& file) {
  auto bytes = read_file(file);
  if (!bytes.ok()) {
    std::fprintf(stderr, "atoll: %s\n", bytes.error().message.c_str());
    return 1;
  }
  auto module = wasm::decode_and_validate(std::move(bytes.value()));
  if (!module.ok()) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(), module.error().to_string().c_str());
    return 1;
  }
  return 0;
}

namespace {

bool is_elf(const std::vector<uint8_t>& b) {
  return b.size() >= 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
}

nlohmann::ordered_json artifact_json(const ArtifactInfo& a) {
  nlohmann::ordered_json features = nlohmann::ordered_json::array();
  for (size_t i = 0; i < a.cpu_features.size();) {
    const size_t space = a.cpu_features.find(' ', i);
    features.push_back(a.cpu_features.substr(i, space == std::string::npos ? std::string::npos : space - i));
    if (space == std::string::npos) break;
    i = space + 1;
  }
  return {{"format_version", a.format_version},
          {"bounds", a.bounds == BoundsChecks::Explicit ? "explicit" : "guard"},
          {"epoch_interruption", a.epoch_interruption},
          {"consume_fuel", a.consume_fuel},
          {"target_cpu", a.target_cpu},
          {"cpu_features", features},
          {"runs_here", a.runs_here},
          {"compiler", a.compiler},
          {"file_size", a.file_size},
          {"code_size", a.code_size},
          {"imported_functions", a.imported_functions},
          {"defined_functions", a.defined_functions}};
}

// Names and strings from the module may hold any bytes: invalid UTF-8 becomes U+FFFD.
void print_json(const nlohmann::ordered_json& j) {
  std::cout << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

void print_artifact(const ArtifactInfo& a, const std::string& file) {
  std::printf("%s: atoll artifact, %llu bytes, format version %u\n", file.c_str(),
              static_cast<unsigned long long>(a.file_size), a.format_version);
  std::printf("  compiler:      %s\n", a.compiler.c_str());
  std::printf("  memory bounds: %s\n", a.bounds == BoundsChecks::Explicit ? "explicit checks" : "guard pages");
  std::printf("  epoch checks:  %s\n  fuel metering: %s\n", a.epoch_interruption ? "yes" : "no",
              a.consume_fuel ? "yes" : "no");
  std::printf("  target CPU:    %s (needs: %s; %s)\n", a.target_cpu.c_str(),
              a.cpu_features.empty() ? "baseline x86-64" : a.cpu_features.c_str(),
              a.runs_here ? "this machine has them" : "this machine LACKS some");
  std::printf("  machine code:  %llu bytes for %u defined functions (%u imported)\n\n",
              static_cast<unsigned long long>(a.code_size), a.defined_functions, a.imported_functions);
}

}  // namespace

// A .wasm (decoded; an invalid one is still shown, with a warning) or an artifact (its settings,
// then the module its descriptor records), as text or as JSON (docs/CLI.md).
int inspect(const std::string& file, bool as_json) {
  auto bytes = read_file(file);
  if (!bytes.ok()) {
    std::fprintf(stderr, "atoll: %s\n", bytes.error().message.c_str());
    return 1;
  }
  if (is_elf(*bytes)) {
    auto info = read_artifact_info(*bytes);
    auto view = info.ok() ? artifact::open(*bytes, ~uint64_t{0}) : Result<artifact::ArtifactView>(info.error());
    if (!info.ok() || !view.ok()) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), (info.ok() ? view.error() : info.error()).to_string().c_str());
      return 1;
    }
    if (as_json) {
      print_json({{"schema", "atoll-inspect/1"},
                  {"file", file},
                  {"kind", "artifact"},
                  {"artifact", artifact_json(*info)},
                  {"module", wasm::module_json(view->module)},
                  {"warnings", nlohmann::ordered_json::array()}});
    } else {
      print_artifact(*info, file);
      wasm::print_module(view->module, "module descriptor", std::cout);
    }
    return 0;
  }
  wasm::DecodeOutcome out = wasm::decode_module(std::move(bytes.value()));
  if (out.malformed) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(), out.malformed->to_string().c_str());
    return 1;
  }
  if (as_json) {
    nlohmann::ordered_json warnings = nlohmann::ordered_json::array();
    if (out.invalid) warnings.push_back(out.invalid->to_string());
    print_json({{"schema", "atoll-inspect/1"},
                {"file", file},
                {"kind", "wasm"},
                {"module", wasm::module_json(out.module)},
                {"warnings", warnings}});
  } else {
    wasm::print_module(out.module, file, std::cout);
  }
  if (out.invalid) {
    std::cout.flush();
    std::fprintf(stderr, "%s: warning: %s\n", file.c_str(), out.invalid->to_string().c_str());
    return 1;
  }
  return 0;
}

std::string host_cpu_level() {
  const uint64_t host = artifact::host_cpu_features();
  for (const char* l : {"x86-64-v4", "x86-64-v3", "x86-64-v2", "x86-64"}) {
    if ((artifact::features_of_level(l) & ~host) == 0) return l;
  }
  return "below x86-64";
}

std::string version_text() {
  const uint64_t host = artifact::host_cpu_features();
  const std::string level = host_cpu_level();
  return std::string("atoll 0.1.0\nLLVM ") + ATOLL_LLVM_VERSION + " (the compiler)\nartifact format " +
         std::to_string(abi::kArtifactVersion) + "\nhost CPU: " + level + " (" + artifact::feature_names(host) + ")";
}

int wast(const std::vector<std::string>& files, const wast::Options& options) {
  wast::Stats stats;
  for (const std::string& f : files) {
    auto r = wast::run_file(f, options, stats, std::cout);
    if (!r.ok()) {
      std::cout << f << ": FAIL: " << r.error().message << "\n";
      ++stats.failed;
    }
  }
  std::cout << stats.passed << " passed, " << stats.failed << " failed, " << stats.skipped << " skipped\n";
  return stats.failed == 0 ? 0 : 1;
}

}  // namespace atl::cli

// The atoll command-line tool: argument parsing and calls into atoll's libraries, nothing more.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "support/process.h"
#include "wasm/decoder.h"
#include "wasm/inspect.h"
#include "wast/runner.h"

namespace {

int cmd_validate(const std::string& file) {
  auto bytes = atl::read_file(file);
  if (!bytes.ok()) {
    std::fprintf(stderr, "atoll: %s\n", bytes.error().message.c_str());
    return 1;
  }
  auto module = atl::wasm::decode_and_validate(std::move(bytes.value()));
  if (!module.ok()) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(), module.error().to_string().c_str());
    return 1;
  }
  return 0;
}

int cmd_inspect(const std::string& file) {
  auto bytes = atl::read_file(file);
  if (!bytes.ok()) {
    std::fprintf(stderr, "atoll: %s\n", bytes.error().message.c_str());
    return 1;
  }
  atl::wasm::DecodeOutcome out = atl::wasm::decode_module(std::move(bytes.value()));
  if (out.malformed) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(), out.malformed->to_string().c_str());
    return 1;
  }
  atl::wasm::print_module(out.module, file, std::cout);
  if (out.invalid) {
    std::cout.flush();
    std::fprintf(stderr, "%s: warning: %s\n", file.c_str(), out.invalid->to_string().c_str());
    return 1;
  }
  return 0;
}

int cmd_wast(const std::vector<std::string>& files, const atl::wast::Options& options) {
  atl::wast::Stats stats;
  for (const std::string& f : files) {
    auto r = atl::wast::run_file(f, options, stats, std::cout);
    if (!r.ok()) {
      std::cout << f << ": FAIL: " << r.error().message << "\n";
      ++stats.failed;
    }
  }
  std::cout << stats.passed << " passed, " << stats.failed << " failed, " << stats.skipped
            << " skipped\n";
  return stats.failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"atoll: a WebAssembly sandboxing compiler and runtime"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "atoll 0.1.0");

  std::string validate_file;
  auto* validate = app.add_subcommand("validate", "Decode and validate a WebAssembly binary; "
                                                  "exit 0 if valid, else print one error line and exit 1");
  validate->add_option("FILE", validate_file, "the .wasm file")->required();

  std::string inspect_file;
  auto* inspect = app.add_subcommand(
      "inspect", "Print a module's sections, types, imports, exports, functions, tables, memories, "
                 "globals, element and data segments");
  inspect->add_option("FILE", inspect_file, "the .wasm file")->required();

  std::vector<std::string> wast_files;
  atl::wast::Options wast_options;
  auto* wast = app.add_subcommand(
      "wast", "Run WebAssembly spec-test scripts (.wast, converted with wabt's wast2json); ends "
              "with 'N passed, N failed, N skipped' and exits non-zero if anything failed");
  wast->add_option("FILES", wast_files, "the .wast scripts")->required();
  wast->add_option("--wast2json", wast_options.wast2json, "the converter to run")
      ->capture_default_str();
  wast->add_flag("-v,--verbose", wast_options.verbose, "also print passes and skips");
  std::string wast_bounds = "guard";
  wast->add_option("--bounds", wast_bounds,
                   "memory sandboxing: 'guard' (guard pages, no checks) or 'explicit' (bounds checks)")
      ->check(CLI::IsMember({"guard", "explicit"}))
      ->capture_default_str();
  wast->add_option("-O,--opt-level", wast_options.opt_level, "optimisation level 0..3")
      ->check(CLI::Range(0, 3))
      ->capture_default_str();

  // A misspelt command should be named as such, not reported as a missing one.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known |= sub->get_name() == argv[1];
    if (!known) {
      std::fprintf(stderr, "atoll: unknown command '%s' (commands: validate, inspect, wast; "
                           "see atoll --help)\n", argv[1]);
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; every usage error exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*validate) return cmd_validate(validate_file);
  if (*inspect) return cmd_inspect(inspect_file);
  if (*wast) {
    wast_options.bounds =
        wast_bounds == "explicit" ? atl::compiler::BoundsMode::Explicit : atl::compiler::BoundsMode::GuardPages;
    return cmd_wast(wast_files, wast_options);
  }
  return 2;
}

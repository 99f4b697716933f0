// The atoll command-line tool: argument parsing, then one call into a command (commands.h).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli_checks.h"
#include "commands.h"
#include "run_options.h"

namespace {

void add_codegen_flags(CLI::App* cmd, atl::cli::CodegenFlags& flags) {
  using atl::cli::in_range, atl::cli::one_of, atl::cli::number_text;
  cmd->add_option("-O,--opt-level", flags.opt_level, "optimisation level 0..3")
      ->check(in_range(0, 3))
      ->default_str(number_text(flags.opt_level));
  cmd->add_option("--bounds", flags.bounds,
                  "memory sandboxing: 'guard' (guard pages, no checks) or 'explicit' (bounds checks)")
      ->check(one_of({"guard", "explicit"}))
      ->default_str(flags.bounds);
  cmd->add_option("--target-cpu", flags.target_cpu,
                  "x86-64, x86-64-v2, x86-64-v3, x86-64-v4, or native (the artifact then runs only on "
                  "CPUs with those features)")
      ->default_str(flags.target_cpu);
  cmd->add_flag("--epoch-interruption", flags.epoch_interruption,
                "compile epoch checks (function entry, loop headers) so an embedder can stop guests");
  cmd->add_flag("--consume-fuel", flags.consume_fuel,
                "compile fuel metering (one unit per executed instruction)");
}

// -W NAME[=y|n] for the proposals beyond WebAssembly 2.0 (run has its own -W, with limits too).
void add_feature_flags(CLI::App* cmd, atl::cli::CodegenFlags& flags) {
  cmd->add_option("-W", flags.feature_options,
                  "WebAssembly proposals, comma-separated, repeatable: extended-const, tail-call, multi-memory, memory64, "
                  "relaxed-simd, function-references, exceptions (each [=y|n]), all-proposals[=y|n] "
                  "(n: only what WebAssembly 2.0 has, as its spec tests expect)")
      ->allow_extra_args(false);
}

// Parses the -W of add_feature_flags into flags.features; false after printing the error.
bool parse_features(atl::cli::CodegenFlags& flags) {
  auto f = atl::cli::parse_feature_options(flags.feature_options);
  if (!f.ok()) {
    std::fprintf(stderr, "atoll: %s\n", f.error().message.c_str());
    return false;
  }
  flags.features = *f;
  return true;
}

// Compiling untrusted modules: LLVM runs in a worker process that is killed past the budget.
void add_budget_flags(CLI::App* cmd, atl::cli::CodegenFlags& flags) {
  cmd->add_option("--compile-timeout", flags.compile_timeout_s,
                  "seconds the compiler may take before the module is refused (0: no limit, and "
                  "compile in this process if --compile-memory is 0 too)")
      ->check(atl::cli::in_range(0.0, 86400.0))
      ->default_str(atl::cli::number_text(flags.compile_timeout_s));
  cmd->add_option("--compile-memory", flags.compile_memory_mib,
                  "MiB of address space the compiler may use (0: no limit)")
      ->check(atl::cli::in_range(uint64_t{0}, uint64_t{1} << 30))
      ->default_str(atl::cli::number_text(flags.compile_memory_mib));
}

// `atoll run [OPTIONS] MODULE [ARGS...]`: everything after the module belongs to the guest, as in
// Wasmtime, so a guest's `--dir /` or `-O 3` never reaches atoll. Returns the index of the module
// in argv (argc if there is none); a `--` before the module is removed.
int split_run_args(int& argc, char** argv) {
  static const char* const kValueOptions[] = {"--invoke",     "--dir",         "--env",
                                              "--tcplisten",  "-O",            "--opt-level",
                                              "--bounds",     "--target-cpu",  "--compile-timeout",
                                              "--compile-memory", "-W",        "-S",
                                              "--argv0",      "--preload",     "--profile",
                                              "-D"};
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      return i;
    }
    if (a.size() < 2 || a[0] != '-') return i;
    if (a.find('=') != std::string::npos) continue;
    for (const char* o : kValueOptions) {
      if (a == o) {
        ++i;  // its value, whatever it looks like
        break;
      }
    }
  }
  return argc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"atoll: a WebAssembly sandboxing compiler and runtime"};
  app.require_subcommand(1);
  app.set_version_flag("--version", atl::cli::version_text(), "atoll's, LLVM's and the artifact format's versions, and "
                                                             "this machine's CPU level");
  // Only the named command's options are built: CLI11 takes about 0.4 ms to build them all, a
  // fifth of a warm `atoll run`. Help, --version and unknown commands get every one.
  static const char* const kCommands[] = {"validate", "inspect", "compile", "explore", "run", "serve", "cache", "wast"};
  std::string chosen;
  for (const char* c : kCommands) {
    if (argc > 1 && std::strcmp(argv[1], c) == 0) chosen = c;
  }
  auto want = [&](const char* name) { return chosen.empty() || chosen == name; };

  std::string validate_file;
  CLI::App* validate = nullptr;
  if (want("validate")) {
    validate = app.add_subcommand("validate", "Decode and validate a WebAssembly binary; "
                                                    "exit 0 if valid, else print one error line and exit 1");
    validate->add_option("FILE", validate_file, "the .wasm file")->required();
  }

  std::string inspect_file;
  bool inspect_json = false;
  CLI::App* inspect = nullptr;
  if (want("inspect")) {
    inspect = app.add_subcommand(
        "inspect", "Print a module's sections, types, imports, exports, functions, tables, memories, "
                   "globals, element and data segments");
    inspect->add_option("FILE", inspect_file, "the .wasm file or an artifact (its settings, CPU features and sizes)")
        ->required();
    inspect->add_flag("--json", inspect_json, "print one JSON object (schema atoll-inspect/1, docs/CLI.md)");
  }

  std::string compile_in, compile_out;
  atl::cli::CodegenFlags compile_flags;
  CLI::App* compile = nullptr;
  if (want("compile")) {
    compile = app.add_subcommand(
        "compile", "Compile a WebAssembly module ahead of time into an artifact (an ELF object the "
                   "runtime loads without the compiler)");
    compile->add_option("FILE", compile_in, "the .wasm file")->required();
    compile->add_option("-o,--output", compile_out, "the artifact to write (default: FILE with .atoll)");
    add_codegen_flags(compile, compile_flags);
    add_feature_flags(compile, compile_flags);
    add_budget_flags(compile, compile_flags);
  }

  std::string explore_in, explore_out;
  atl::cli::CodegenFlags explore_flags;
  CLI::App* explore = nullptr;
  if (want("explore")) {
    explore = app.add_subcommand(
        "explore", "Write an HTML page showing each function's wasm instructions beside the x86-64 code "
                   "atoll generated for them, linked by wasm offset (hover one to highlight the other)");
    explore->add_option("FILE", explore_in, "the .wasm file")->required();
    explore->add_option("-o,--output", explore_out, "the page to write (default: FILE with .html)");
    add_codegen_flags(explore, explore_flags);
    add_feature_flags(explore, explore_flags);
    add_budget_flags(explore, explore_flags);
  }

  atl::cli::RunFlags run_flags;
  CLI::App* run = nullptr;
  CLI::Option* run_bounds = nullptr;
  CLI::Option* run_target = nullptr;
  CLI::Option* argv0 = nullptr;
  if (want("run")) {
    run = app.add_subcommand(
        "run", "Run a module (.wasm, compiled once and cached, or an artifact; - reads it from stdin). WASI programs get ARGS "
               "as arguments, the granted directories and environment, and the process's stdio; the exit "
               "status is the guest's proc_exit code. With --invoke NAME, call that export with ARGS and "
               "print its results, one per line. A trap prints its backtrace and exits 134");
    run->add_option("--invoke", run_flags.invoke, "the export to call (default: _start)");
    run->add_option("--dir", run_flags.dirs,
                    "grant the guest a host directory, as HOST (seen under the same name) or HOST::GUEST; "
                    "repeatable")
        ->allow_extra_args(false);
    run->add_option("--env", run_flags.env,
                    "set NAME=VALUE in the guest's environment, or pass the host's NAME on; repeatable")
        ->allow_extra_args(false);
    run->add_option("-W", run_flags.wasm_options,
                    "engine options and limits, comma-separated, repeatable: fuel=N, timeout=DURATION (500ms, 2s), "
                    "max-memory-size=BYTES, max-table-elements=N, max-wasm-stack=BYTES, epoch-interruption[=y|n], "
                    "consume-fuel[=y|n]; WebAssembly proposals: extended-const, tail-call, multi-memory, memory64, "
                    "relaxed-simd, function-references, exceptions (each [=y|n]), all-proposals[=y|n]")
        ->allow_extra_args(false);
    run->add_option("-S", run_flags.wasi_options,
                    "WASI options, comma-separated, repeatable: inherit-env[=y|n] (the whole host environment), "
                    "tcplisten=ADDRESS:PORT")
        ->allow_extra_args(false);
    run->add_option("-D", run_flags.debug_options,
                    "debugging options, comma-separated, repeatable: debug-info[=y|n] (describe the guest's code to "
                    "gdb through its JIT interface: break on wasm functions by name, step by the guest's source lines)")
        ->allow_extra_args(false);
    run->add_option("--profile", run_flags.profile,
                    "perfmap (/tmp/perf-PID.map: names for perf) or jitdump (jit-PID.dump in $ATOLL_JITDUMP_DIR "
                    "or the working directory: names and machine code, for perf record -k mono, perf inject --jit, "
                    "perf annotate); or guest[,PATH[,INTERVAL]]: sample the guest's wasm frames every INTERVAL "
                    "(default 1ms) of its running and write collapsed stacks, for flame graphs, to PATH (default "
                    "atoll-guest-profile.folded); compiles with epoch checks");
    argv0 = run->add_option("--argv0", run_flags.argv0, "the guest's argv[0] (default: the module's file name)");
    run->add_option("--preload", run_flags.preloads,
                    "NAME=PATH: instantiate the module at PATH first and let later modules import its exports "
                    "from NAME; repeatable")
        ->allow_extra_args(false);
    run->add_option("--tcplisten", run_flags.tcp_listen,
                    "preopen a listening TCP socket on IPV4ADDRESS:PORT for the guest; repeatable")
        ->allow_extra_args(false);
    run->add_option("FILE", run_flags.file,
                    "the .wasm file (or an artifact, with --allow-precompiled); every argument after it "
                    "belongs to the guest")
        ->required();
    run->add_flag("--allow-precompiled", run_flags.allow_precompiled,
                  "allow FILE to be a precompiled artifact: native code that runs as it is, so only "
                  "artifacts you compiled yourself");
    run->add_flag("--no-cache", run_flags.no_cache,
                  "compile a .wasm afresh instead of reusing the artifact cached in $XDG_CACHE_HOME/atoll "
                  "(else ~/.cache/atoll)");
    add_codegen_flags(run, run_flags.codegen);
    add_budget_flags(run, run_flags.codegen);
    run_bounds = run->get_option("--bounds");
    run_target = run->get_option("--target-cpu");
    run_target->description(run_target->get_description() + "; atoll run's default: this CPU's level (" +
                            atl::cli::host_cpu_level() + ")");
  }

  atl::cli::ServeFlags serve_flags;
  CLI::App* serve = nullptr;
  CLI::Option* serve_addr = nullptr;
  if (want("serve")) {
    serve = app.add_subcommand(
        "serve", "Serve HTTP: every request runs a WASI program (WAGI/CGI style) in a fresh sandbox: request in "
                 "environment variables and stdin, response as CGI on stdout. One MODULE for every path, or the "
                 "routes of --config FILE (docs/SERVE.md). SIGTERM drains, SIGHUP reloads");
    auto* serve_module = serve->add_option("MODULE", serve_flags.module, "the handler (.wasm) for every path");
    auto* serve_config = serve->add_option("--config", serve_flags.config, "a TOML file with the routes and limits")
                             ->check(CLI::ExistingFile);
    serve_config->excludes(serve_module);
    serve_addr = serve->add_option("--addr", serve_flags.addr, "ADDRESS:PORT to listen on")->capture_default_str();
    serve->add_option("--admin-addr", serve_flags.admin_addr, "ADDRESS:PORT for /metrics, /healthz and /readyz");
    serve->add_option("--workers", serve_flags.workers, "event-loop threads (0: one per core)")
        ->check(CLI::Range(0u, 1024u))
        ->capture_default_str();
    serve->add_flag("--quiet", serve_flags.quiet, "no access log on stdout");
    serve->add_flag("--watch", serve_flags.watch,
                    "reload (as on SIGHUP) when the config file or a module changes; deploy by replacing files");
    serve->add_option("--drain-delay-ms", serve_flags.drain_delay_ms,
                      "on SIGTERM, first report unready (/readyz 503) and close connections after each response "
                      "for this long, still accepting, so a load balancer can stop sending (default 0)")
        ->check(CLI::Range(0u, 600'000u));
    serve->add_flag("--no-cache", serve_flags.no_cache, "compile the modules afresh instead of using the compile cache");
    serve->add_flag("--prewarm", serve_flags.prewarm,
                    "at start, touch every sandbox slot and fiber stack once (a fast first burst, for resident memory)");
    // The route's and the limits' settings: with --config they come from the file.
    std::vector<CLI::Option*> route_flags;
    route_flags.push_back(
        serve->add_option("--dir", serve_flags.dirs, "grant every request a host directory, HOST[::GUEST]; repeatable")
            ->allow_extra_args(false));
    route_flags.push_back(
        serve->add_option("--env", serve_flags.env, "KEY=VALUE added to every request's environment; repeatable")
            ->allow_extra_args(false));
    route_flags.push_back(serve->add_option("--deadline-ms", serve_flags.deadline_ms, "a request's wall-clock limit (504 past it)")
                              ->check(CLI::Range(1u, 3'600'000u))
                              ->capture_default_str());
    route_flags.push_back(
        serve->add_option("--max-request-body", serve_flags.max_request_body, "bytes (413 past it)")->capture_default_str());
    route_flags.push_back(serve->add_option("--max-response", serve_flags.max_response, "bytes a handler may write (500 past it)")
                              ->capture_default_str());
    route_flags.push_back(serve->add_option("--max-memory", serve_flags.max_memory_mib, "MiB of linear memory per request")
                              ->check(CLI::Range(uint64_t{1}, uint64_t{4096}))
                              ->capture_default_str());
    route_flags.push_back(serve->add_flag("--scratch", serve_flags.scratch, "give every request a fresh empty directory, /scratch"));
    route_flags.push_back(serve->add_option("--max-instances", serve_flags.max_instances, "sandboxes alive at once (503 past it)")
                              ->check(CLI::Range(1u, 100000u))
                              ->capture_default_str());
    route_flags.push_back(serve->add_option("--header-timeout-ms", serve_flags.header_timeout_ms,
                                            "time a client has to send a request's headers and body (slow clients are cut off)")
                              ->check(CLI::Range(1u, 3'600'000u))
                              ->capture_default_str());
    route_flags.push_back(serve->add_option("--drain-timeout-ms", serve_flags.drain_timeout_ms,
                                            "on SIGTERM, how long requests in flight may take to finish")
                              ->check(CLI::Range(0u, 3'600'000u))
                              ->capture_default_str());
    for (CLI::Option* o : route_flags) serve_config->excludes(o);
  }

  CLI::App* cache_clean = nullptr;
  if (want("cache")) {
    CLI::App* cache = app.add_subcommand("cache", "Manage the compiled-code cache of `atoll run`");
    cache->require_subcommand(1);
    cache_clean = cache->add_subcommand("clean", "Remove every cached artifact");
  }

  std::vector<std::string> wast_files;
  atl::wast::Options wast_options;
  atl::cli::CodegenFlags wast_flags;
  CLI::App* wast = nullptr;
  if (want("wast")) {
    wast = app.add_subcommand(
        "wast", "Run WebAssembly spec-test scripts (.wast, converted with wabt's wast2json); ends "
                "with 'N passed, N failed, N skipped' and exits non-zero if anything failed");
    wast->add_option("FILES", wast_files, "the .wast scripts (converted with --wast2json), or .json command lists in wast2json's layout, read as they are")->required();
    wast->add_option("--wast2json", wast_options.wast2json, "the converter to run")->capture_default_str();
    wast->add_flag("-v,--verbose", wast_options.verbose, "also print passes and skips");
    add_codegen_flags(wast, wast_flags);
    add_feature_flags(wast, wast_flags);
    wast->add_option("--chunk-bytes", wast_options.chunk_bytes,
                     "split modules with more code than this into chunks compiled in parallel "
                     "(small values test the parallel compiler)")
        ->capture_default_str();
  }

  // A misspelt command should be named as such, not reported as a missing one.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known |= sub->get_name() == argv[1];
    if (!known) {
      std::fprintf(stderr, "atoll: unknown command '%s' (commands: validate, inspect, compile, explore, run, serve, wast, cache; "
                           "see atoll --help)\n", argv[1]);
      return 2;
    }
  }
  int parse_argc = argc;
  if (argc > 1 && std::string(argv[1]) == "run") {
    const int module = split_run_args(argc, argv);
    if (module < argc) {
      run_flags.args.assign(argv + module + 1, argv + argc);
      parse_argc = module + 1;
    }
  }
  try {
    app.parse(parse_argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; every usage error exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (validate && *validate) return atl::cli::validate(validate_file);
  if (inspect && *inspect) return atl::cli::inspect(inspect_file, inspect_json);
  if (compile && *compile) return parse_features(compile_flags) ? atl::cli::compile(compile_in, compile_out, compile_flags) : 2;
  if (explore && *explore) return parse_features(explore_flags) ? atl::cli::explore_module(explore_in, explore_out, explore_flags) : 2;
  if (run && *run) {
    run_flags.codegen.bounds_given = run_bounds->count() > 0;
    // Compiled code is cached per machine, so it may use all of this CPU (as Wasmtime does);
    // `atoll compile` keeps the portable default.
    if (run_target->count() == 0) {
      const std::string level = atl::cli::host_cpu_level();
      if (level.rfind("x86-64", 0) == 0) run_flags.codegen.target_cpu = level;
    }
    run_flags.argv0_given = argv0->count() > 0;
    return atl::cli::run(run_flags);
  }
  if (cache_clean && *cache_clean) return atl::cli::cache_clean();
  if (serve && *serve) {
    serve_flags.addr_given = serve_addr->count() > 0;
    return atl::cli::serve(serve_flags);
  }
  if (wast && *wast) {
    wast_options.bounds = wast_flags.bounds == "explicit" ? atl::compiler::BoundsMode::Explicit
                                                          : atl::compiler::BoundsMode::GuardPages;
    wast_options.opt_level = wast_flags.opt_level;
    wast_options.epoch_interruption = wast_flags.epoch_interruption;
    wast_options.consume_fuel = wast_flags.consume_fuel;
    if (!parse_features(wast_flags)) return 2;
    wast_options.features = wast_flags.features;
    return atl::cli::wast(wast_files, wast_options);
  }
  return 2;
}

#include "wast/runner.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "support/process.h"
#include "wasm/decoder.h"

namespace atl::wast {
namespace {

using nlohmann::json;

class ScriptRunner {
 public:
  ScriptRunner(std::string script, std::string dir, const Options& opts, Stats& stats,
               std::ostream& out)
      : script_(std::move(script)), dir_(std::move(dir)), opts_(opts), stats_(stats), out_(out) {}

  void command(const json& cmd) {
    const std::string type = cmd.value("type", "");
    line_ = cmd.value("line", 0);
    if (type == "module") {
      module_command(cmd);
    } else if (type == "assert_malformed" || type == "assert_invalid") {
      rejection_command(cmd, type == "assert_malformed" ? ErrorKind::Malformed : ErrorKind::Invalid);
    } else if (type == "assert_unlinkable" || type == "assert_uninstantiable") {
      // The module must be valid; linking and instantiation need the runtime.
      auto decoded = load(cmd);
      if (!decoded.ok()) {
        fail(type, "module should be valid, but: " + decoded.error().to_string());
      } else {
        skip(type);
      }
    } else {
      // assert_return, assert_trap, assert_exhaustion, action, register: need execution.
      skip(type);
    }
  }

 private:
  Result<wasm::Module> load(const json& cmd) {
    const std::string file = cmd.value("filename", "");
    auto bytes = read_file(dir_ + "/" + file);
    if (!bytes.ok()) return bytes.take_error();
    return wasm::decode_and_validate(std::move(bytes.value()));
  }

  bool is_text(const json& cmd) const {
    const std::string file = cmd.value("filename", "");
    return cmd.value("module_type", "binary") == "text" ||
           (file.size() > 4 && file.compare(file.size() - 4, 4, ".wat") == 0);
  }

  void module_command(const json& cmd) {
    if (is_text(cmd)) return skip("module (text)");
    auto decoded = load(cmd);
    if (!decoded.ok()) return fail("module", decoded.error().to_string());
    pass("module");
  }

  void rejection_command(const json& cmd, ErrorKind expected) {
    const std::string type = cmd.value("type", "");
    if (is_text(cmd)) return skip(type + " (text)");
    const std::string text = cmd.value("text", "");
    auto decoded = load(cmd);
    if (decoded.ok()) return fail(type, "module was accepted; expected \"" + text + "\"");
    const Error& e = decoded.error();
    if (e.kind != expected) {
      return fail(type, std::string("wrong kind of error; expected ") + error_kind_name(expected) +
                            " \"" + text + "\", got: " + e.to_string());
    }
    pass(type);
  }

  void pass(const std::string& what) {
    ++stats_.passed;
    if (opts_.verbose) out_ << script_ << ":" << line_ << ": pass " << what << "\n";
  }
  void skip(const std::string& what) {
    ++stats_.skipped;
    if (opts_.verbose) out_ << script_ << ":" << line_ << ": skip " << what << "\n";
  }
  void fail(const std::string& what, const std::string& why) {
    ++stats_.failed;
    out_ << script_ << ":" << line_ << ": FAIL " << what << ": " << why << "\n";
  }

  std::string script_;
  std::string dir_;
  const Options& opts_;
  Stats& stats_;
  std::ostream& out_;
  int line_ = 0;
};

}  // namespace

Result<void> run_file(const std::string& path, const Options& options, Stats& stats,
                      std::ostream& out) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorKind::Io, path + ": no such file");
  }
  auto dir = TempDir::create("atoll-wast-");
  if (!dir.ok()) return dir.take_error();
  const std::string json_path = dir->path() + "/script.json";
  std::string output;
  auto rc = run_process({options.wast2json, path, "-o", json_path}, output);
  if (!rc.ok()) return rc.take_error();
  if (*rc != 0) {
    return make_error(ErrorKind::Other, options.wast2json + " failed on " + path + ":\n" + output);
  }
  json doc;
  {
    std::ifstream in(json_path);
    doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  }
  if (doc.is_discarded() || !doc.contains("commands") || !doc["commands"].is_array()) {
    return make_error(ErrorKind::Other, "cannot read the output of " + options.wast2json +
                                            " for " + path);
  }
  ScriptRunner runner(path, dir->path(), options, stats, out);
  for (const json& cmd : doc["commands"]) runner.command(cmd);
  return {};
}

}  // namespace atl::wast

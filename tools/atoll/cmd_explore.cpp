// `atoll explore`: the explorer page of a module (src/explore), compiled with the same settings
// as `atoll compile`.
#include <cstdio>
#include <cstring>

#include "commands.h"
#include "compiler_loader/loader.h"
#include "explore/explore.h"
#include "support/process.h"
#include "wasm/decoder.h"

namespace atl::cli {

Config engine_config(const CodegenFlags& flags);

namespace {

int fail(const std::string& what, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), message.c_str());
  return 1;
}

Result<std::vector<explore::Disassembled>> disassemble(std::span<const uint8_t> code, uint64_t address) {
  auto lines = compiler_loader::disassemble(code, address);
  if (!lines.ok()) return lines.take_error();
  std::vector<explore::Disassembled> out;
  out.reserve(lines->size());
  for (auto& l : *lines) out.push_back({l.address, l.size, std::move(l.text)});
  return out;
}

}  // namespace

int explore_module(const std::string& input, std::string output, const CodegenFlags& flags) {
  auto bytes = read_file(input);
  if (!bytes.ok()) return fail("atoll", bytes.error().message);
  if (bytes->size() >= 4 && std::memcmp(bytes->data(), "\x7f" "ELF", 4) == 0) {
    return fail(input, "an artifact keeps no wasm instructions; explore the .wasm it was compiled from");
  }
  auto module = wasm::decode_and_validate(std::span<const uint8_t>(*bytes), flags.features);
  if (!module.ok()) return fail(input, module.error().to_string());
  if (output.empty()) {
    const size_t dot = input.rfind('.');
    output = (dot == std::string::npos || input.find('/', dot) != std::string::npos ? input : input.substr(0, dot)) + ".html";
  }
  Engine engine(engine_config(flags));
  auto compiled = compile_module(engine, *bytes);
  if (!compiled.ok()) return fail(input, compiled.error().to_string());
  auto e = explore::explore(*module, *compiled->impl(), disassemble);
  if (!e.ok()) return fail(input, e.error().to_string());
  const std::string html = explore::render_html(*e);
  auto written = write_file_atomically(output, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(html.data()), html.size()));
  if (!written.ok()) return fail("atoll", written.error().message);
  return 0;
}

}  // namespace atl::cli

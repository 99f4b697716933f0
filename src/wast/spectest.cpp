#include "wast/spectest.h"

#include <cstring>

namespace atl::wast {

using wasm::ValType;

std::map<std::string, runtime::Extern> make_spectest(runtime::BoundsMode mode) {
  std::map<std::string, runtime::Extern> out;
  auto func = [&](const char* name, std::vector<ValType> params) {
    runtime::Extern x;
    x.kind = wasm::ExternKind::Func;
    x.func = runtime::host_function_object(runtime::make_host_function(
        wasm::FuncType{std::move(params), {}}, [](runtime::Instance*, uint64_t*) -> Result<void> { return {}; }));
    out[name] = x;
  };
  func("print", {});
  func("print_i32", {ValType::I32});
  func("print_i64", {ValType::I64});
  func("print_f32", {ValType::F32});
  func("print_f64", {ValType::F64});
  func("print_i32_f32", {ValType::I32, ValType::F32});
  func("print_f64_f64", {ValType::F64, ValType::F64});
  auto global = [&](const char* name, ValType t, uint64_t bits) {
    runtime::Extern x;
    x.kind = wasm::ExternKind::Global;
    x.global = std::make_shared<runtime::GlobalObject>();
    x.global->type = wasm::GlobalType{t, false};
    std::memcpy(x.global->cell, &bits, 8);
    out[name] = x;
  };
  float f = 666.6f;
  double d = 666.6;
  uint32_t fbits;
  uint64_t dbits;
  std::memcpy(&fbits, &f, 4);
  std::memcpy(&dbits, &d, 8);
  global("global_i32", ValType::I32, 666);
  global("global_i64", ValType::I64, 666);
  global("global_f32", ValType::F32, fbits);
  global("global_f64", ValType::F64, dbits);
  for (const bool is64 : {false, true}) {
    runtime::Extern table;
    table.kind = wasm::ExternKind::Table;
    table.table = std::make_shared<runtime::TableObject>();
    table.table->type = wasm::TableType{ValType::FuncRef, wasm::Limits{10, 20}, is64};
    table.table->elements.assign(10, nullptr);
    table.table->sync();
    out[is64 ? "table64" : "table"] = table;
  }
  runtime::Extern memory;
  memory.kind = wasm::ExternKind::Memory;
  auto mem = runtime::LinearMemory::create(wasm::MemoryType{wasm::Limits{1, 2}}, mode, 65536);
  if (mem.ok()) {
    memory.memory = std::move(mem.value());
    out["memory"] = memory;
  }
  return out;
}

}  // namespace atl::wast

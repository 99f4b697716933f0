#include "compiler/module_context.h"

#include <llvm/IR/DerivedTypes.h>

#include "abi/abi.h"

namespace atl::compiler {

ModuleContext::ModuleContext(llvm::LLVMContext& c, llvm::Module& m, const wasm::Module& w,
                             const CompileOptions& o)
    : ctx(c), mod(m), wm(w), opts(o) {
  i8 = llvm::Type::getInt8Ty(ctx);
  i32 = llvm::Type::getInt32Ty(ctx);
  i64 = llvm::Type::getInt64Ty(ctx);
  f32 = llvm::Type::getFloatTy(ctx);
  f64 = llvm::Type::getDoubleTy(ctx);
  v128 = llvm::FixedVectorType::get(i64, 2);
  ptr = llvm::PointerType::getUnqual(ctx);
  void_ty = llvm::Type::getVoidTy(ctx);
  signatures_.resize(wm.types.size(), nullptr);
  funcs.resize(wm.num_funcs(), nullptr);

  llvm::MDBuilder md(ctx);
  llvm::MDNode* root = md.createTBAARoot("atoll");
  auto tag = [&](const char* name) {
    llvm::MDNode* scalar = md.createTBAAScalarTypeNode(name, root);
    return md.createTBAAStructTagNode(scalar, scalar, 0);
  };
  tbaa_memory = tag("wasm linear memory");
  tbaa_vmctx = tag("vmctx");
  tbaa_global = tag("wasm global");
  tbaa_table = tag("wasm table");
  tbaa_slots = tag("trampoline slots");
}

llvm::Type* ModuleContext::type_of(wasm::ValType t) const {
  switch (t) {
    case wasm::ValType::I32: return i32;
    case wasm::ValType::I64: return i64;
    case wasm::ValType::F32: return f32;
    case wasm::ValType::F64: return f64;
    case wasm::ValType::V128: return v128;
    case wasm::ValType::FuncRef:
    case wasm::ValType::ExternRef: return ptr;
    case wasm::ValType::Bottom: break;
    default:  // typed references: pointers too
      if (wasm::is_ref(t)) return ptr;
      break;
  }
  return i32;
}

llvm::Type* ModuleContext::return_type(const wasm::FuncType& t) {
  if (t.results.empty()) return void_ty;
  if (t.results.size() == 1) return type_of(t.results[0]);
  std::vector<llvm::Type*> fields;
  for (wasm::ValType r : t.results) fields.push_back(type_of(r));
  return llvm::StructType::get(ctx, fields);
}

llvm::FunctionType* ModuleContext::signature(uint32_t type_index) {
  if (signatures_[type_index]) return signatures_[type_index];
  const wasm::FuncType& t = wm.types[type_index];
  std::vector<llvm::Type*> params{ptr};
  for (wasm::ValType p : t.params) params.push_back(type_of(p));
  signatures_[type_index] = llvm::FunctionType::get(return_type(t), params, false);
  return signatures_[type_index];
}

llvm::Function* ModuleContext::builtin(const char* name) {
  const std::string symbol = std::string(abi::kBuiltinPrefix) + name;
  if (llvm::Function* f = mod.getFunction(symbol)) return f;
  const std::string n = name;
  llvm::FunctionType* ft;
  if (n == "trap") {  // (vmctx, TrapCode, wasm offset of the site)
    ft = llvm::FunctionType::get(void_ty, {ptr, i32, i32}, false);
  } else if (n == "memory_grow") {  // (vmctx, memory, delta)
    ft = llvm::FunctionType::get(i64, {ptr, i32, i64}, false);
  } else if (n == "memory_fill") {  // (vmctx, memory, dst, value, len)
    ft = llvm::FunctionType::get(void_ty, {ptr, i32, i64, i32, i64}, false);
  } else if (n == "memory_copy") {  // (vmctx, dst memory, src memory, dst, src, len)
    ft = llvm::FunctionType::get(void_ty, {ptr, i32, i32, i64, i64, i64}, false);
  } else if (n == "memory_init") {  // (vmctx, memory, segment, dst, src, len)
    ft = llvm::FunctionType::get(void_ty, {ptr, i32, i32, i64, i32, i32}, false);
  } else if (n == "epoch_reached") {
    ft = llvm::FunctionType::get(void_ty, {ptr}, false);
  } else if (n == "data_drop" || n == "elem_drop") {
    ft = llvm::FunctionType::get(void_ty, {ptr, i32}, false);
  } else if (n == "table_grow") {
    ft = llvm::FunctionType::get(i32, {ptr, i32, ptr, i32}, false);
  } else if (n == "table_fill") {
    ft = llvm::FunctionType::get(void_ty, {ptr, i32, i32, ptr, i32}, false);
  } else if (n == "throw") {  // (vmctx, tag, payload slots)
    ft = llvm::FunctionType::get(void_ty, {ptr, i32, ptr}, false);
  } else if (n == "throw_ref" || n == "exception_drop" || n == "exception_pin" || n == "exception_release") {
    ft = llvm::FunctionType::get(void_ty, {ptr, ptr}, false);  // (vmctx, exception)
  } else if (n == "exception_hold") {  // (vmctx, previously held, exception)
    ft = llvm::FunctionType::get(void_ty, {ptr, ptr, ptr}, false);
  } else {  // table_copy, table_init
    ft = llvm::FunctionType::get(void_ty, {ptr, i32, i32, i32, i32, i32}, false);
  }
  llvm::Function* f = llvm::Function::Create(ft, llvm::Function::ExternalLinkage, symbol, mod);
  f->setDSOLocal(true);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  if (n == "trap") {
    f->addFnAttr(llvm::Attribute::NoReturn);
    f->addFnAttr(llvm::Attribute::Cold);
  }
  return f;
}

void ModuleContext::set_function_attributes(llvm::Function* f) {
  f->setDSOLocal(true);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  // Frame pointers make wasm backtraces a cheap walk of the rbp chain.
  f->addFnAttr("frame-pointer", "all");
  f->addFnAttr("target-cpu", opts.target_cpu == "native" ? llvm::StringRef("") : opts.target_cpu);
  // Recursion must stay recursion: tail-call elimination would turn unbounded recursion into an
  // endless loop instead of the stack-exhaustion trap the spec expects.
  f->addFnAttr("disable-tail-calls", "true");
  // Guest code must never call libc: a byte loop that LLVM turned into memset() would fault
  // inside libc, outside registered guest code, and kill the host (the runtime also refuses
  // artifacts that reference these symbols). The pass pipeline's TargetLibraryInfo says the
  // same (codegen.cpp).
  f->addFnAttr("no-builtins");
  // A frame larger than a page is probed page by page as it is allocated, so it faults on the
  // guest stack's guard page (a stack-exhaustion trap) instead of stepping over it into whatever
  // is mapped below: another guest's stack, say. The entry check alone comes too late for a
  // frame bigger than the host reserve plus the guard.
  f->addFnAttr("probe-stack", "inline-asm");
}

}  // namespace atl::compiler

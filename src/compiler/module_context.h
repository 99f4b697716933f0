// Per-LLVM-module state shared by the function translators: LLVM types for wasm types, function
// signatures, declarations of runtime builtins, and the alias-analysis (TBAA) tags that tell LLVM
// linear memory never aliases the VM context, globals or tables.
#pragma once

#include <llvm/IR/CallingConv.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>

#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "wasm/module.h"

namespace atl::compiler {

// How wasm functions call each other (host adapters included; entry trampolines are called from
// C++ and use the C convention, calling in with this one). LLVM's tailcc guarantees that a call
// marked `tail` before `ret` reuses the frame, which return_call needs; every wasm function
// uses it, since a funcref may be called from any module. Its cost: each call leaves 8 bytes of
// argument area that the callee pops (`ret $8`).
constexpr llvm::CallingConv::ID kWasmCallingConv = llvm::CallingConv::Tail;

class ModuleContext {
 public:
  ModuleContext(llvm::LLVMContext& ctx, llvm::Module& mod, const wasm::Module& wm,
                const CompileOptions& opts);

  llvm::LLVMContext& ctx;
  llvm::Module& mod;
  const wasm::Module& wm;
  const CompileOptions& opts;

  llvm::Type* i8;
  llvm::IntegerType* i32;
  llvm::IntegerType* i64;
  llvm::Type* f32;
  llvm::Type* f64;
  llvm::Type* v128;  // <2 x i64>
  llvm::PointerType* ptr;
  llvm::Type* void_ty;

  llvm::Type* type_of(wasm::ValType t) const;
  // The native signature of a wasm function of module type `type_index`:
  //   ret (ptr vmctx, params...) with ret void, the single result, or a struct of results.
  llvm::FunctionType* signature(uint32_t type_index);
  llvm::Type* return_type(const wasm::FuncType& t);

  // Defined functions by function index (nullptr for imports).
  std::vector<llvm::Function*> funcs;
  // Modules without tags: per function index, whether a call of it may end with an exception
  // pending (may_throw.h); null: check after every call.
  const std::vector<uint8_t>* may_throw = nullptr;

  llvm::Function* builtin(const char* name);  // atl_builtin_<name>, declared on first use

  // TBAA access tags.
  llvm::MDNode* tbaa_memory;
  llvm::MDNode* tbaa_vmctx;
  llvm::MDNode* tbaa_global;
  llvm::MDNode* tbaa_table;
  llvm::MDNode* tbaa_slots;  // trampoline argument slots

  void set_function_attributes(llvm::Function* f);
  // set_function_attributes and the wasm calling convention: wasm functions and host adapters.
  void set_wasm_function_attributes(llvm::Function* f) {
    set_function_attributes(f);
    f->setCallingConv(kWasmCallingConv);
  }

 private:
  std::vector<llvm::FunctionType*> signatures_;
};

}  // namespace atl::compiler

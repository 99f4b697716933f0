#include "compiler/trampolines.h"

#include <algorithm>

#include "abi/abi.h"

namespace atl::compiler {

static void emit_entry(ModuleContext& mc, uint32_t type_index) {
  const wasm::FuncType& t = mc.wm.types[type_index];
  llvm::FunctionType* ft = llvm::FunctionType::get(mc.void_ty, {mc.ptr, mc.ptr, mc.ptr}, false);
  llvm::Function* f = llvm::Function::Create(ft, llvm::Function::ExternalLinkage,
                                             abi::kEntrySymbolPrefix + std::to_string(type_index), mc.mod);
  mc.set_function_attributes(f);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(mc.ctx, "entry", f));
  llvm::Value* slots = f->getArg(2);
  std::vector<llvm::Value*> args{f->getArg(0)};
  for (size_t i = 0; i < t.params.size(); ++i) {
    llvm::Value* p = b.CreateConstInBoundsGEP1_64(mc.i8, slots, i * abi::kSlotBytes);
    llvm::LoadInst* l = b.CreateAlignedLoad(mc.type_of(t.params[i]), p, llvm::Align(8));
    l->setMetadata(llvm::LLVMContext::MD_tbaa, mc.tbaa_slots);
    args.push_back(l);
  }
  llvm::CallInst* c = b.CreateCall(mc.signature(type_index), f->getArg(1), args);
  c->setCallingConv(kWasmCallingConv);
  auto store_result = [&](size_t i, llvm::Value* v) {
    llvm::Value* p = b.CreateConstInBoundsGEP1_64(mc.i8, slots, i * abi::kSlotBytes);
    b.CreateAlignedStore(v, p, llvm::Align(8))->setMetadata(llvm::LLVMContext::MD_tbaa, mc.tbaa_slots);
  };
  if (t.results.size() == 1) {
    store_result(0, c);
  } else {
    for (unsigned i = 0; i < t.results.size(); ++i) store_result(i, b.CreateExtractValue(c, {i}));
  }
  b.CreateRetVoid();
}

static void emit_host_adapter(ModuleContext& mc, uint32_t type_index) {
  const wasm::FuncType& t = mc.wm.types[type_index];
  llvm::Function* f = llvm::Function::Create(mc.signature(type_index), llvm::Function::ExternalLinkage,
                                             abi::kHostSymbolPrefix + std::to_string(type_index), mc.mod);
  mc.set_wasm_function_attributes(f);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(mc.ctx, "entry", f));
  const size_t n = std::max<size_t>({t.params.size(), t.results.size(), 1});
  llvm::AllocaInst* slots = b.CreateAlloca(llvm::ArrayType::get(mc.i8, n * abi::kSlotBytes));
  slots->setAlignment(llvm::Align(16));
  for (size_t i = 0; i < t.params.size(); ++i) {
    llvm::Value* p = b.CreateConstInBoundsGEP1_64(mc.i8, slots, i * abi::kSlotBytes);
    b.CreateAlignedStore(f->getArg(static_cast<unsigned>(i + 1)), p, llvm::Align(8));
  }
  llvm::Value* ctx = f->getArg(0);
  llvm::Value* callback = b.CreateAlignedLoad(mc.ptr, ctx, llvm::Align(8));
  llvm::FunctionType* cb_type = llvm::FunctionType::get(mc.i32, {mc.ptr, mc.ptr}, false);
  llvm::Value* status = b.CreateCall(cb_type, callback, {ctx, slots});
  llvm::BasicBlock* fail = llvm::BasicBlock::Create(mc.ctx, "fail", f);
  llvm::BasicBlock* ok = llvm::BasicBlock::Create(mc.ctx, "ok", f);
  b.CreateCondBr(b.CreateICmpNE(status, b.getInt32(0)), fail, ok);
  b.SetInsertPoint(fail);
  // The callback already recorded what went wrong; the trap unwinds to the host entry.
  b.CreateCall(mc.builtin("trap"), {llvm::ConstantPointerNull::get(mc.ptr),
                                    b.getInt32(static_cast<uint32_t>(abi::TrapCode::HostError)), b.getInt32(0)});
  b.CreateUnreachable();
  b.SetInsertPoint(ok);
  auto load_result = [&](size_t i) {
    llvm::Value* p = b.CreateConstInBoundsGEP1_64(mc.i8, slots, i * abi::kSlotBytes);
    return b.CreateAlignedLoad(mc.type_of(t.results[i]), p, llvm::Align(8));
  };
  if (t.results.empty()) {
    b.CreateRetVoid();
  } else if (t.results.size() == 1) {
    b.CreateRet(load_result(0));
  } else {
    llvm::Value* agg = llvm::UndefValue::get(f->getReturnType());
    for (unsigned i = 0; i < t.results.size(); ++i) agg = b.CreateInsertValue(agg, load_result(i), {i});
    b.CreateRet(agg);
  }
}

void emit_trampolines(ModuleContext& mc, uint32_t type_index) {
  emit_entry(mc, type_index);
  emit_host_adapter(mc, type_index);
}

}  // namespace atl::compiler

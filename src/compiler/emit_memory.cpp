// Linear memory: loads and stores (guard-page or explicit bounds checks), memory.size/grow and
// the bulk-memory instructions (through runtime builtins).
#include "compiler/function_translator.h"

namespace atl::compiler {

using wasm::Op;

// Other memories (and a 64-bit memory 0) through their views, VMContext::memories[mem].
static constexpr uint64_t kViewBytes = sizeof(abi::MemoryView);

llvm::Value* FunctionTranslator::memory_size_bytes(uint32_t mem) {
  if (fast_memory(mem)) return vmctx_field(abi::kVmMemorySize, mc_.i64, false);
  llvm::Value* views = vmctx_field(offsetof(abi::VMContext, memories), mc_.ptr, true);
  llvm::Value* p = b_.CreateConstInBoundsGEP1_64(mc_.i8, views, mem * kViewBytes + offsetof(abi::MemoryView, size));
  llvm::LoadInst* l = b_.CreateAlignedLoad(mc_.i64, p, llvm::Align(8));
  l->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_vmctx);
  return l;
}

// A memory's base never moves: loaded once, where it dominates the whole function.
llvm::Value* FunctionTranslator::memory_base(uint32_t mem) {
  if (fast_memory(mem)) return memory_base_;
  if (memory_bases_[mem]) return memory_bases_[mem];
  llvm::IRBuilder<> eb(mc_.ctx);
  if (llvm::Instruction* t = entry_->getTerminator()) {
    eb.SetInsertPoint(t);
  } else {
    eb.SetInsertPoint(entry_);
  }
  llvm::LoadInst* views = eb.CreateAlignedLoad(mc_.ptr, eb.CreateConstInBoundsGEP1_64(mc_.i8, vmctx_, offsetof(abi::VMContext, memories)), llvm::Align(8));
  llvm::LoadInst* base = eb.CreateAlignedLoad(mc_.ptr, eb.CreateConstInBoundsGEP1_64(mc_.i8, views, mem * kViewBytes), llvm::Align(8));
  for (llvm::LoadInst* l : {views, base}) {
    l->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_vmctx);
    l->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(mc_.ctx, {}));
  }
  memory_bases_[mem] = base;
  return base;
}

llvm::Value* FunctionTranslator::to_i64(llvm::Value* v) {
  return v->getType() == mc_.i64 ? v : b_.CreateZExt(v, mc_.i64);
}

// Memory 0 of 32 bits: base + zext(addr) + offset, after an explicit check in both modes. In
// guard-page mode every such address lands in the memory or in the guard region behind it
// (4 GiB + 4 GiB reserved); the check still goes through LLVM's optimiser, because LLVM may drop,
// narrow or move the access, and is removed afterwards where the access itself faults at the same
// point (guard_elision.cpp). Other memories keep their checks; a 64-bit address plus offset and
// size may wrap, which is out of bounds too.
llvm::Value* FunctionTranslator::effective_address(const wasm::MemArg& m, llvm::Value* addr, unsigned size) {
  llvm::Value* ea;
  if (addr->getType() == mc_.i64) {
    llvm::Function* add = llvm::Intrinsic::getDeclaration(&mc_.mod, llvm::Intrinsic::uadd_with_overflow, {mc_.i64});
    llvm::Value* first = b_.CreateCall(add, {addr, b_.getInt64(m.offset)});
    ea = b_.CreateExtractValue(first, {0});
    llvm::Value* second = b_.CreateCall(add, {ea, b_.getInt64(size)});
    llvm::Value* wrapped = b_.CreateOr(b_.CreateExtractValue(first, {1}), b_.CreateExtractValue(second, {1}));
    llvm::Value* beyond = b_.CreateICmpUGT(b_.CreateExtractValue(second, {0}), memory_size_bytes(m.memory));
    trap_if(b_.CreateOr(wrapped, beyond), abi::TrapCode::MemoryOutOfBounds);
  } else {
    ea = b_.CreateZExt(addr, mc_.i64);
    if (m.offset) ea = b_.CreateAdd(ea, b_.getInt64(m.offset), "", /*HasNUW=*/true);
    llvm::Value* end = b_.CreateAdd(ea, b_.getInt64(size), "", true);
    trap_if(b_.CreateICmpUGT(end, memory_size_bytes(m.memory)), abi::TrapCode::MemoryOutOfBounds);
  }
  return b_.CreateGEP(mc_.i8, memory_base(m.memory), ea);
}

llvm::Value* FunctionTranslator::load(llvm::Type* t, const wasm::MemArg& m, llvm::Value* addr, unsigned size,
                                      bool keep) {
  llvm::LoadInst* l = b_.CreateAlignedLoad(t, effective_address(m, addr, size), llvm::Align(1));
  l->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_memory);
  // A dropped load must still fault when out of bounds: volatile keeps LLVM from deleting it.
  if (keep) l->setVolatile(true);
  return l;
}

void FunctionTranslator::store(llvm::Value* v, const wasm::MemArg& m, llvm::Value* addr, unsigned size) {
  llvm::StoreInst* s = b_.CreateAlignedStore(v, effective_address(m, addr, size), llvm::Align(1));
  s->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_memory);
}

bool FunctionTranslator::memory(const wasm::Instr& in) {
  const bool keep = next_load_dropped_;
  auto load_ext = [&](llvm::Type* narrow, llvm::Type* wide, bool is_signed) {
    const unsigned size = narrow->getPrimitiveSizeInBits() / 8;
    llvm::Value* v = load(narrow, in.mem, pop(), size, keep);
    push(narrow == wide ? v : is_signed ? b_.CreateSExt(v, wide) : b_.CreateZExt(v, wide));
    return true;
  };
  auto store_trunc = [&](llvm::Type* narrow) {
    llvm::Value* v = pop();
    llvm::Value* addr = pop();
    if (v->getType() != narrow) v = b_.CreateTrunc(v, narrow);
    store(v, in.mem, addr, narrow->getPrimitiveSizeInBits() / 8);
    return true;
  };
  llvm::Type* i8 = b_.getInt8Ty();
  llvm::Type* i16 = b_.getInt16Ty();
  llvm::Type* i32 = mc_.i32;
  llvm::Type* i64 = mc_.i64;
  switch (in.op) {
    case Op::I32Load: return load_ext(i32, i32, false);
    case Op::I64Load: return load_ext(i64, i64, false);
    case Op::F32Load: return load_ext(mc_.f32, mc_.f32, false);
    case Op::F64Load: return load_ext(mc_.f64, mc_.f64, false);
    case Op::I32Load8S: return load_ext(i8, i32, true);
    case Op::I32Load8U: return load_ext(i8, i32, false);
    case Op::I32Load16S: return load_ext(i16, i32, true);
    case Op::I32Load16U: return load_ext(i16, i32, false);
    case Op::I64Load8S: return load_ext(i8, i64, true);
    case Op::I64Load8U: return load_ext(i8, i64, false);
    case Op::I64Load16S: return load_ext(i16, i64, true);
    case Op::I64Load16U: return load_ext(i16, i64, false);
    case Op::I64Load32S: return load_ext(i32, i64, true);
    case Op::I64Load32U: return load_ext(i32, i64, false);
    case Op::I32Store: case Op::I64Store: case Op::F32Store: case Op::F64Store:
      return store_trunc(stack_.back()->getType());
    case Op::I32Store8: case Op::I64Store8: return store_trunc(i8);
    case Op::I32Store16: case Op::I64Store16: return store_trunc(i16);
    case Op::I64Store32: return store_trunc(i32);

    // Sizes and growth of a 32-bit memory are i32 (its -1 as well), of a 64-bit one i64.
    case Op::MemorySize: {
      llvm::Value* pages = b_.CreateLShr(memory_size_bytes(in.mem.memory), 16);
      push(mc_.wm.memories[in.mem.memory].is64 ? pages : b_.CreateTrunc(pages, i32));
      return true;
    }
    case Op::MemoryGrow: {
      llvm::Value* delta = pop();
      llvm::Value* old = b_.CreateCall(mc_.builtin("memory_grow"), {vmctx_, b_.getInt32(in.mem.memory), to_i64(delta)});
      push(delta->getType() == i64 ? old : b_.CreateTrunc(old, i32));
      return true;
    }
    case Op::MemoryFill: {
      std::vector<llvm::Value*> a = pop_n(3);
      b_.CreateCall(mc_.builtin("memory_fill"), {vmctx_, b_.getInt32(in.mem.memory), to_i64(a[0]), a[1], to_i64(a[2])});
      return true;
    }
    case Op::MemoryCopy: {
      std::vector<llvm::Value*> a = pop_n(3);
      b_.CreateCall(mc_.builtin("memory_copy"), {vmctx_, b_.getInt32(in.mem.memory), b_.getInt32(in.index2),
                                                 to_i64(a[0]), to_i64(a[1]), to_i64(a[2])});
      return true;
    }
    case Op::MemoryInit: {
      std::vector<llvm::Value*> a = pop_n(3);
      b_.CreateCall(mc_.builtin("memory_init"),
                    {vmctx_, b_.getInt32(in.mem.memory), b_.getInt32(in.index), to_i64(a[0]), a[1], a[2]});
      return true;
    }
    case Op::DataDrop:
      b_.CreateCall(mc_.builtin("data_drop"), {vmctx_, b_.getInt32(in.index)});
      return true;
    default: return fail("not a memory instruction");
  }
}

}  // namespace atl::compiler

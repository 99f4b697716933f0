// Linear memory: loads and stores (guard-page or explicit bounds checks), memory.size/grow and
// the bulk-memory instructions (through runtime builtins).
#include "compiler/function_translator.h"

namespace atl::compiler {

using wasm::Op;

llvm::Value* FunctionTranslator::memory_size_bytes() {
  return vmctx_field(offsetof(abi::VMContext, memory_size), mc_.i64, false);
}

// base + zext(addr) + offset, after an explicit check in both modes. In guard-page mode every
// such address lands in the memory or in the guard region behind it (4 GiB + 4 GiB reserved);
// the check still goes through LLVM's optimiser, because LLVM may drop, narrow or move the
// access, and is removed afterwards where the access itself faults at the same point
// (guard_elision.cpp).
llvm::Value* FunctionTranslator::effective_address(llvm::Value* addr32, uint64_t offset,
                                                   unsigned size) {
  llvm::Value* ea = b_.CreateZExt(addr32, mc_.i64);
  if (offset) ea = b_.CreateAdd(ea, b_.getInt64(offset), "", /*HasNUW=*/true);
  llvm::Value* end = b_.CreateAdd(ea, b_.getInt64(size), "", true);
  trap_if(b_.CreateICmpUGT(end, memory_size_bytes()), abi::TrapCode::MemoryOutOfBounds);
  return b_.CreateGEP(mc_.i8, memory_base_, ea);
}

llvm::Value* FunctionTranslator::load(llvm::Type* t, llvm::Value* addr32, uint64_t offset,
                                      unsigned size, bool keep) {
  llvm::LoadInst* l = b_.CreateAlignedLoad(t, effective_address(addr32, offset, size), llvm::Align(1));
  l->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_memory);
  // A dropped load must still fault when out of bounds: volatile keeps LLVM from deleting it.
  if (keep) l->setVolatile(true);
  return l;
}

void FunctionTranslator::store(llvm::Value* v, llvm::Value* addr32, uint64_t offset,
                               unsigned size) {
  llvm::StoreInst* s = b_.CreateAlignedStore(v, effective_address(addr32, offset, size), llvm::Align(1));
  s->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_memory);
}

bool FunctionTranslator::memory(const wasm::Instr& in) {
  const uint64_t off = in.mem.offset;
  const bool keep = next_load_dropped_;
  auto load_ext = [&](llvm::Type* narrow, llvm::Type* wide, bool is_signed) {
    const unsigned size = narrow->getPrimitiveSizeInBits() / 8;
    llvm::Value* v = load(narrow, pop(), off, size, keep);
    push(narrow == wide ? v : is_signed ? b_.CreateSExt(v, wide) : b_.CreateZExt(v, wide));
    return true;
  };
  auto store_trunc = [&](llvm::Type* narrow) {
    llvm::Value* v = pop();
    llvm::Value* addr = pop();
    if (v->getType() != narrow) v = b_.CreateTrunc(v, narrow);
    store(v, addr, off, narrow->getPrimitiveSizeInBits() / 8);
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

    case Op::MemorySize:
      push(b_.CreateTrunc(b_.CreateLShr(memory_size_bytes(), 16), i32));
      return true;
    case Op::MemoryGrow:
      push(b_.CreateCall(mc_.builtin("memory_grow"), {vmctx_, pop()}));
      return true;
    case Op::MemoryFill:
    case Op::MemoryCopy: {
      std::vector<llvm::Value*> a = pop_n(3);
      b_.CreateCall(mc_.builtin(in.op == Op::MemoryFill ? "memory_fill" : "memory_copy"),
                    {vmctx_, a[0], a[1], a[2]});
      return true;
    }
    case Op::MemoryInit: {
      std::vector<llvm::Value*> a = pop_n(3);
      b_.CreateCall(mc_.builtin("memory_init"), {vmctx_, b_.getInt32(in.index), a[0], a[1], a[2]});
      return true;
    }
    case Op::DataDrop:
      b_.CreateCall(mc_.builtin("data_drop"), {vmctx_, b_.getInt32(in.index)});
      return true;
    default: return fail("not a memory instruction");
  }
}

}  // namespace atl::compiler

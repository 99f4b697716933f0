// Parametric, variable, table and reference instructions, and calls.
#include "compiler/function_translator.h"

namespace atl::compiler {

using wasm::Op;

llvm::Value* FunctionTranslator::global_cell(uint32_t index) {
  if (index < abi::kInlineGlobalCells) {
    return vmctx_field(offsetof(abi::VMContext, first_globals) + index * sizeof(void*), mc_.ptr, true);
  }
  llvm::Value* array = vmctx_field(offsetof(abi::VMContext, globals), mc_.ptr, true);
  llvm::Value* slot = b_.CreateConstInBoundsGEP1_64(mc_.ptr, array, index);
  llvm::LoadInst* cell = b_.CreateAlignedLoad(mc_.ptr, slot, llvm::Align(8));
  cell->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_vmctx);
  cell->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(mc_.ctx, {}));
  return cell;
}

llvm::Value* FunctionTranslator::table_ptr(uint32_t index) {
  llvm::Value* array = vmctx_field(offsetof(abi::VMContext, tables), mc_.ptr, true);
  llvm::Value* slot = b_.CreateConstInBoundsGEP1_64(mc_.ptr, array, index);
  llvm::LoadInst* t = b_.CreateAlignedLoad(mc_.ptr, slot, llvm::Align(8));
  t->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_vmctx);
  t->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(mc_.ctx, {}));
  return t;
}

// A 64-bit table index, length or delta as the 32-bit one the runtime's tables use: values past
// 2^32-1 become 2^32-1, which no table reaches (sizes stay below it), so the same bounds checks
// fail and growth by it is refused.
llvm::Value* FunctionTranslator::table_u32(llvm::Value* v) {
  if (v->getType() == mc_.i32) return v;
  llvm::Value* big = b_.CreateICmpUGT(v, b_.getInt64(UINT32_MAX));
  return b_.CreateSelect(big, b_.getInt32(UINT32_MAX), b_.CreateTrunc(v, mc_.i32));
}

bool FunctionTranslator::variable(const wasm::Instr& in) {
  const auto is64 = [&](uint32_t table) { return mc_.wm.tables[table].is64; };
  auto table_field = [&](llvm::Value* table, unsigned offset, llvm::Type* t) {
    llvm::LoadInst* l = b_.CreateAlignedLoad(t, b_.CreateConstInBoundsGEP1_64(mc_.i8, table, offset), llvm::Align(8));
    l->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_table);
    return l;
  };
  // Bounds-checked address of element `index` of table `t`.
  auto element = [&](uint32_t t, llvm::Value* index) {
    index = table_u32(index);
    llvm::Value* table = table_ptr(t);
    llvm::Value* size = table_field(table, offsetof(abi::Table, size), mc_.i32);
    trap_if(b_.CreateICmpUGE(index, size), abi::TrapCode::TableOutOfBounds);
    llvm::Value* elems = table_field(table, offsetof(abi::Table, elements), mc_.ptr);
    return b_.CreateInBoundsGEP(mc_.ptr, elems, b_.CreateZExt(index, mc_.i64));
  };
  switch (in.op) {
    case Op::Drop: pop(); return true;
    case Op::Select:
    case Op::SelectT: {
      llvm::Value* c = pop();
      llvm::Value* v2 = pop();
      llvm::Value* v1 = pop();
      push(b_.CreateSelect(b_.CreateICmpNE(c, b_.getInt32(0)), v1, v2));
      return true;
    }
    case Op::LocalGet:
      push(b_.CreateLoad(local_types_[in.index], locals_[in.index]));
      return true;
    case Op::LocalSet: b_.CreateStore(pop(), locals_[in.index]); return true;
    case Op::LocalTee: b_.CreateStore(stack_.back(), locals_[in.index]); return true;
    case Op::GlobalGet: {
      llvm::Type* t = mc_.type_of(mc_.wm.globals[in.index].type);
      llvm::LoadInst* l = b_.CreateAlignedLoad(t, global_cell(in.index), llvm::Align(8));
      l->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_global);
      push(l);
      return true;
    }
    case Op::GlobalSet: {
      llvm::StoreInst* s = b_.CreateAlignedStore(pop(), global_cell(in.index), llvm::Align(8));
      s->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_global);
      return true;
    }
    case Op::TableGet: {
      llvm::LoadInst* l = b_.CreateAlignedLoad(mc_.ptr, element(in.index, pop()), llvm::Align(8));
      l->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_table);
      push(l);
      return true;
    }
    case Op::TableSet: {
      llvm::Value* v = pop();
      llvm::StoreInst* s = b_.CreateAlignedStore(v, element(in.index, pop()), llvm::Align(8));
      s->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_table);
      return true;
    }
    case Op::TableSize: {
      llvm::Value* size = table_field(table_ptr(in.index), offsetof(abi::Table, size), mc_.i32);
      push(is64(in.index) ? b_.CreateZExt(size, mc_.i64) : size);
      return true;
    }
    case Op::TableGrow: {
      llvm::Value* delta = table_u32(pop());
      llvm::Value* init = pop();
      llvm::Value* old = b_.CreateCall(mc_.builtin("table_grow"), {vmctx_, b_.getInt32(in.index), init, delta});
      if (is64(in.index)) {  // -1 stays -1
        old = b_.CreateSelect(b_.CreateICmpEQ(old, b_.getInt32(UINT32_MAX)), b_.getInt64(UINT64_MAX),
                              b_.CreateZExt(old, mc_.i64));
      }
      push(old);
      return true;
    }
    case Op::TableFill: {
      std::vector<llvm::Value*> a = pop_n(3);
      b_.CreateCall(mc_.builtin("table_fill"), {vmctx_, b_.getInt32(in.index), table_u32(a[0]), a[1], table_u32(a[2])});
      return true;
    }
    case Op::TableCopy: {
      std::vector<llvm::Value*> a = pop_n(3);
      b_.CreateCall(mc_.builtin("table_copy"), {vmctx_, b_.getInt32(in.index), b_.getInt32(in.index2), table_u32(a[0]),
                                                table_u32(a[1]), table_u32(a[2])});
      return true;
    }
    case Op::TableInit: {
      std::vector<llvm::Value*> a = pop_n(3);
      b_.CreateCall(mc_.builtin("table_init"),
                    {vmctx_, b_.getInt32(in.index2), b_.getInt32(in.index), table_u32(a[0]), a[1], a[2]});
      return true;
    }
    case Op::ElemDrop:
      b_.CreateCall(mc_.builtin("elem_drop"), {vmctx_, b_.getInt32(in.index)});
      return true;
    case Op::RefNull: push(llvm::ConstantPointerNull::get(mc_.ptr)); return true;
    case Op::RefIsNull:
      push(b_.CreateZExt(b_.CreateIsNull(pop()), mc_.i32));
      return true;
    case Op::RefAsNonNull:
      trap_if(b_.CreateIsNull(stack_.back()), abi::TrapCode::NullReference);
      return true;
    case Op::RefFunc: {
      llvm::Value* funcs = vmctx_field(offsetof(abi::VMContext, funcs), mc_.ptr, true);
      push(b_.CreateConstInBoundsGEP1_64(mc_.i8, funcs, uint64_t{in.index} * sizeof(abi::FuncRef)));
      return true;
    }
    default: return fail("unsupported instruction");
  }
}

void FunctionTranslator::emit_call(llvm::FunctionType* ft, llvm::Value* callee,
                                   llvm::Value* callee_vmctx, const wasm::FuncType& type, bool tail) {
  std::vector<llvm::Value*> args{callee_vmctx};
  std::vector<llvm::Value*> params = pop_n(type.params.size());
  args.insert(args.end(), params.begin(), params.end());
  llvm::CallInst* c = b_.CreateCall(ft, callee, args);
  // A direct call takes its callee's convention (call_entries.cpp); any other the wasm one.
  const auto* direct = llvm::dyn_cast<llvm::Function>(callee);
  c->setCallingConv(direct ? direct->getCallingConv() : kWasmCallingConv);
  if (!tail) check_exception();
  if (tail) {
    // return_call: with LLVM's tailcc, a call marked `tail` and followed by `ret` is guaranteed
    // to reuse the frame, whatever the callee's parameters (which `musttail` would need equal).
    c->setTailCallKind(llvm::CallInst::TCK_Tail);
    has_tail_calls_ = true;
    if (ft->getReturnType()->isVoidTy()) {
      b_.CreateRetVoid();
    } else {
      b_.CreateRet(c);
    }
    set_unreachable();
    return;
  }
  if (type.results.size() == 1) {
    push(c);
  } else {
    for (unsigned i = 0; i < type.results.size(); ++i) push(b_.CreateExtractValue(c, {i}));
  }
}

bool FunctionTranslator::call(const wasm::Instr& in) {
  const wasm::Module& wm = mc_.wm;
  const bool tail = in.op == Op::ReturnCall || in.op == Op::ReturnCallIndirect || in.op == Op::ReturnCallRef;
  if (in.op == Op::CallRef || in.op == Op::ReturnCallRef) {
    // A typed function reference: its type is known statically; only null needs a check.
    llvm::Value* ref = pop();
    trap_if(b_.CreateIsNull(ref), abi::TrapCode::NullFunctionReference);
    llvm::LoadInst* code = b_.CreateAlignedLoad(mc_.ptr, ref, llvm::Align(8));
    llvm::LoadInst* ctx = b_.CreateAlignedLoad(mc_.ptr, b_.CreateConstInBoundsGEP1_64(mc_.i8, ref, offsetof(abi::FuncRef, vmctx)), llvm::Align(8));
    for (llvm::LoadInst* l : {code, ctx}) l->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_vmctx);
    emit_call(mc_.signature(in.index), code, ctx, wm.types[in.index], tail);
    return true;
  }
  if (in.op == Op::Call || in.op == Op::ReturnCall) {
    const uint32_t type_index = wm.func_types[in.index];
    llvm::FunctionType* ft = mc_.signature(type_index);
    if (in.index >= wm.num_imported_funcs) {
      callee_may_throw_ = !mc_.may_throw || (*mc_.may_throw)[in.index];
      emit_call(ft, mc_.funcs[in.index], vmctx_, wm.types[type_index], tail);
      callee_may_throw_ = true;
      return true;
    }
    // Imports go through this instance's FuncRef for them: code + the callee's context.
    llvm::Value* funcs = vmctx_field(offsetof(abi::VMContext, funcs), mc_.ptr, true);
    llvm::Value* ref = b_.CreateConstInBoundsGEP1_64(mc_.i8, funcs, uint64_t{in.index} * sizeof(abi::FuncRef));
    llvm::LoadInst* code = b_.CreateAlignedLoad(mc_.ptr, ref, llvm::Align(8));
    llvm::LoadInst* ctx = b_.CreateAlignedLoad(mc_.ptr, b_.CreateConstInBoundsGEP1_64(mc_.i8, ref, 8), llvm::Align(8));
    for (llvm::LoadInst* l : {code, ctx}) {
      l->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_vmctx);
      l->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(mc_.ctx, {}));
    }
    emit_call(ft, code, ctx, wm.types[type_index], tail);
    return true;
  }
  // call_indirect: bounds, null and signature checks, then call through the FuncRef.
  llvm::Value* index = table_u32(pop());
  llvm::Value* table = table_ptr(in.index2);
  llvm::LoadInst* size = b_.CreateAlignedLoad(mc_.i32, b_.CreateConstInBoundsGEP1_64(mc_.i8, table, offsetof(abi::Table, size)), llvm::Align(8));
  size->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_table);
  trap_if(b_.CreateICmpUGE(index, size), abi::TrapCode::IndirectCallOutOfBounds);
  llvm::LoadInst* elems = b_.CreateAlignedLoad(mc_.ptr, table, llvm::Align(8));
  elems->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_table);
  llvm::LoadInst* ref = b_.CreateAlignedLoad(mc_.ptr, b_.CreateInBoundsGEP(mc_.ptr, elems, b_.CreateZExt(index, mc_.i64)), llvm::Align(8));
  ref->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_table);
  trap_if(b_.CreateIsNull(ref), abi::TrapCode::IndirectCallNull);
  llvm::Value* type_ids = vmctx_field(offsetof(abi::VMContext, type_ids), mc_.ptr, true);
  llvm::LoadInst* expected = b_.CreateAlignedLoad(mc_.i32, b_.CreateConstInBoundsGEP1_64(mc_.i32, type_ids, in.index), llvm::Align(4));
  expected->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_vmctx);
  expected->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(mc_.ctx, {}));
  llvm::LoadInst* actual = b_.CreateAlignedLoad(mc_.i32, b_.CreateConstInBoundsGEP1_64(mc_.i8, ref, offsetof(abi::FuncRef, type_id)), llvm::Align(8));
  llvm::LoadInst* code = b_.CreateAlignedLoad(mc_.ptr, ref, llvm::Align(8));
  llvm::LoadInst* ctx = b_.CreateAlignedLoad(mc_.ptr, b_.CreateConstInBoundsGEP1_64(mc_.i8, ref, offsetof(abi::FuncRef, vmctx)), llvm::Align(8));
  for (llvm::LoadInst* l : {actual, code, ctx}) l->setMetadata(llvm::LLVMContext::MD_tbaa, mc_.tbaa_vmctx);
  trap_if(b_.CreateICmpNE(actual, expected), abi::TrapCode::IndirectCallTypeMismatch);
  emit_call(mc_.signature(in.index), code, ctx, wm.types[in.index], tail);
  return true;
}

}  // namespace atl::compiler

// Numeric instructions: constants, integer and float arithmetic, comparisons, conversions, with
// the wasm semantics LLVM does not give for free (trapping division and truncation, masked
// shifts, NaN-propagating min/max).
#include <llvm/IR/Intrinsics.h>

#include "compiler/function_translator.h"

namespace atl::compiler {

using wasm::Op;
using llvm::Intrinsic::ID;

llvm::Value* FunctionTranslator::constant_float(llvm::Type* t, uint64_t bits) {
  // Through the bit pattern, so NaN payloads survive exactly.
  if (t == mc_.f32) {
    return llvm::ConstantFP::get(mc_.ctx, llvm::APFloat(llvm::APFloat::IEEEsingle(), llvm::APInt(32, bits)));
  }
  return llvm::ConstantFP::get(mc_.ctx, llvm::APFloat(llvm::APFloat::IEEEdouble(), llvm::APInt(64, bits)));
}

llvm::Value* FunctionTranslator::int_div(const wasm::Instr& in, llvm::Value* a, llvm::Value* b) {
  llvm::Type* t = a->getType();
  const bool is_signed = in.op == Op::I32DivS || in.op == Op::I64DivS || in.op == Op::I32RemS ||
                         in.op == Op::I64RemS;
  const bool is_rem = in.op == Op::I32RemS || in.op == Op::I32RemU || in.op == Op::I64RemS ||
                      in.op == Op::I64RemU;
  trap_if(b_.CreateICmpEQ(b, llvm::ConstantInt::get(t, 0)), abi::TrapCode::IntegerDivideByZero);
  if (!is_signed) return is_rem ? b_.CreateURem(a, b) : b_.CreateUDiv(a, b);
  llvm::Value* minus_one = b_.CreateICmpEQ(b, llvm::ConstantInt::getSigned(t, -1));
  if (!is_rem) {
    llvm::Value* min = llvm::ConstantInt::get(t, llvm::APInt::getSignedMinValue(t->getIntegerBitWidth()));
    trap_if(b_.CreateAnd(minus_one, b_.CreateICmpEQ(a, min)), abi::TrapCode::IntegerOverflow);
    return b_.CreateSDiv(a, b);
  }
  // x rem -1 is 0; dividing by 1 instead avoids the hardware overflow of INT_MIN / -1.
  llvm::Value* safe_b = b_.CreateSelect(minus_one, llvm::ConstantInt::get(t, 1), b);
  return b_.CreateSRem(a, safe_b);
}

// Float -> int truncation that traps: NaN is an invalid conversion, anything whose truncation
// does not fit is an overflow. Bounds are exclusive and exact in the source type.
llvm::Value* FunctionTranslator::trunc_trapping(llvm::Value* v, llvm::Type* to, bool is_signed) {
  llvm::Type* from = v->getType();
  const bool wide = to->getIntegerBitWidth() == 64;
  const bool dbl = from == mc_.f64;
  trap_if(b_.CreateFCmpUNO(v, v), abi::TrapCode::InvalidConversion);
  double lo, hi;
  if (is_signed) {
    hi = wide ? 9223372036854775808.0 : 2147483648.0;
    // The largest source value below -2^N-1 that still truncates into range.
    if (wide) {
      lo = dbl ? -9223372036854777856.0 : -9223373136366403584.0;
    } else {
      lo = dbl ? -2147483649.0 : -2147483904.0;
    }
  } else {
    hi = wide ? 18446744073709551616.0 : 4294967296.0;
    lo = -1.0;
  }
  llvm::Value* in_range = b_.CreateAnd(b_.CreateFCmpOGT(v, llvm::ConstantFP::get(from, lo)),
                                       b_.CreateFCmpOLT(v, llvm::ConstantFP::get(from, hi)));
  trap_if(b_.CreateNot(in_range), abi::TrapCode::IntegerOverflow);
  return is_signed ? b_.CreateFPToSI(v, to) : b_.CreateFPToUI(v, to);
}

bool FunctionTranslator::numeric(const wasm::Instr& in) {
  llvm::Type* i32 = mc_.i32;
  llvm::Type* i64 = mc_.i64;
  llvm::Type* f32 = mc_.f32;
  llvm::Type* f64 = mc_.f64;
  auto bin = [&](auto&& f) {
    llvm::Value* b = pop();
    llvm::Value* a = pop();
    push(f(a, b));
    return true;
  };
  auto un = [&](auto&& f) {
    llvm::Value* a = pop();
    push(f(a));
    return true;
  };
  auto cmp = [&](llvm::CmpInst::Predicate p) {
    return bin([&](llvm::Value* a, llvm::Value* b) {
      return b_.CreateZExt(b_.CreateCmp(p, a, b), i32);
    });
  };
  auto shift_mask = [&](llvm::Value* count) {
    const unsigned bits = count->getType()->getIntegerBitWidth();
    return b_.CreateAnd(count, llvm::ConstantInt::get(count->getType(), bits - 1));
  };
  // LLVM folds x-0, x+(-0), x*1, x/1, x*-1, x/-1 to x or -x, which would return a signalling
  // NaN unquieted; wasm requires an arithmetic NaN. Fencing the identity constant keeps the
  // operation (a register move in the generated code).
  auto fence_identity = [&](llvm::Value* v) -> llvm::Value* {
    auto* c = llvm::dyn_cast<llvm::ConstantFP>(v);
    if (c && (c->isZero() || c->isExactlyValue(1.0) || c->isExactlyValue(-1.0))) {
      return intrinsic(llvm::Intrinsic::arithmetic_fence, v->getType(), {v});
    }
    return v;
  };
  auto farith = [&](llvm::Instruction::BinaryOps opc) {
    return bin([&](llvm::Value* a, llvm::Value* b) {
      return b_.CreateBinOp(opc, fence_identity(a), fence_identity(b));
    });
  };
  // min/max: llvm.minimum/maximum give wasm's NaN propagation and -0 < +0 ordering, but may
  // return a signalling NaN operand as is; a NaN result is made quiet by an addition.
  auto fminmax = [&](ID id) {
    return bin([&](llvm::Value* a, llvm::Value* b) {
      llvm::Value* r = intrinsic(id, a->getType(), {a, b});
      return b_.CreateSelect(b_.CreateFCmpUNO(a, b), b_.CreateFAdd(a, b), r);
    });
  };
  auto intr1 = [&](ID id) { return un([&](llvm::Value* a) { return intrinsic(id, a->getType(), {a}); }); };
  auto intr2 = [&](ID id) {
    return bin([&](llvm::Value* a, llvm::Value* b) { return intrinsic(id, a->getType(), {a, b}); });
  };

  switch (in.op) {
    case Op::I32Const: push(b_.getInt32(static_cast<uint32_t>(in.bits))); return true;
    case Op::I64Const: push(b_.getInt64(in.bits)); return true;
    case Op::F32Const: push(constant_float(f32, in.bits & 0xffffffffu)); return true;
    case Op::F64Const: push(constant_float(f64, in.bits)); return true;

    case Op::I32Eqz:
    case Op::I64Eqz:
      return un([&](llvm::Value* a) {
        return b_.CreateZExt(b_.CreateICmpEQ(a, llvm::ConstantInt::get(a->getType(), 0)), i32);
      });
    case Op::I32Eq: case Op::I64Eq: return cmp(llvm::CmpInst::ICMP_EQ);
    case Op::I32Ne: case Op::I64Ne: return cmp(llvm::CmpInst::ICMP_NE);
    case Op::I32LtS: case Op::I64LtS: return cmp(llvm::CmpInst::ICMP_SLT);
    case Op::I32LtU: case Op::I64LtU: return cmp(llvm::CmpInst::ICMP_ULT);
    case Op::I32GtS: case Op::I64GtS: return cmp(llvm::CmpInst::ICMP_SGT);
    case Op::I32GtU: case Op::I64GtU: return cmp(llvm::CmpInst::ICMP_UGT);
    case Op::I32LeS: case Op::I64LeS: return cmp(llvm::CmpInst::ICMP_SLE);
    case Op::I32LeU: case Op::I64LeU: return cmp(llvm::CmpInst::ICMP_ULE);
    case Op::I32GeS: case Op::I64GeS: return cmp(llvm::CmpInst::ICMP_SGE);
    case Op::I32GeU: case Op::I64GeU: return cmp(llvm::CmpInst::ICMP_UGE);
    case Op::F32Eq: case Op::F64Eq: return cmp(llvm::CmpInst::FCMP_OEQ);
    case Op::F32Ne: case Op::F64Ne: return cmp(llvm::CmpInst::FCMP_UNE);
    case Op::F32Lt: case Op::F64Lt: return cmp(llvm::CmpInst::FCMP_OLT);
    case Op::F32Gt: case Op::F64Gt: return cmp(llvm::CmpInst::FCMP_OGT);
    case Op::F32Le: case Op::F64Le: return cmp(llvm::CmpInst::FCMP_OLE);
    case Op::F32Ge: case Op::F64Ge: return cmp(llvm::CmpInst::FCMP_OGE);

    case Op::I32Clz: case Op::I64Clz:
      return un([&](llvm::Value* a) { return intrinsic(llvm::Intrinsic::ctlz, a->getType(), {a, b_.getFalse()}); });
    case Op::I32Ctz: case Op::I64Ctz:
      return un([&](llvm::Value* a) { return intrinsic(llvm::Intrinsic::cttz, a->getType(), {a, b_.getFalse()}); });
    case Op::I32Popcnt: case Op::I64Popcnt: return intr1(llvm::Intrinsic::ctpop);
    case Op::I32Add: case Op::I64Add: return bin([&](auto a, auto b) { return b_.CreateAdd(a, b); });
    case Op::I32Sub: case Op::I64Sub: return bin([&](auto a, auto b) { return b_.CreateSub(a, b); });
    case Op::I32Mul: case Op::I64Mul: return bin([&](auto a, auto b) { return b_.CreateMul(a, b); });
    case Op::I32DivS: case Op::I32DivU: case Op::I32RemS: case Op::I32RemU:
    case Op::I64DivS: case Op::I64DivU: case Op::I64RemS: case Op::I64RemU:
      return bin([&](auto a, auto b) { return int_div(in, a, b); });
    case Op::I32And: case Op::I64And: return bin([&](auto a, auto b) { return b_.CreateAnd(a, b); });
    case Op::I32Or: case Op::I64Or: return bin([&](auto a, auto b) { return b_.CreateOr(a, b); });
    case Op::I32Xor: case Op::I64Xor: return bin([&](auto a, auto b) { return b_.CreateXor(a, b); });
    case Op::I32Shl: case Op::I64Shl:
      return bin([&](auto a, auto b) { return b_.CreateShl(a, shift_mask(b)); });
    case Op::I32ShrS: case Op::I64ShrS:
      return bin([&](auto a, auto b) { return b_.CreateAShr(a, shift_mask(b)); });
    case Op::I32ShrU: case Op::I64ShrU:
      return bin([&](auto a, auto b) { return b_.CreateLShr(a, shift_mask(b)); });
    case Op::I32Rotl: case Op::I64Rotl:
      return bin([&](auto a, auto b) { return intrinsic(llvm::Intrinsic::fshl, a->getType(), {a, a, b}); });
    case Op::I32Rotr: case Op::I64Rotr:
      return bin([&](auto a, auto b) { return intrinsic(llvm::Intrinsic::fshr, a->getType(), {a, a, b}); });

    case Op::F32Abs: case Op::F64Abs: return intr1(llvm::Intrinsic::fabs);
    case Op::F32Neg: case Op::F64Neg: return un([&](auto a) { return b_.CreateFNeg(a); });
    case Op::F32Ceil: case Op::F64Ceil: return intr1(llvm::Intrinsic::ceil);
    case Op::F32Floor: case Op::F64Floor: return intr1(llvm::Intrinsic::floor);
    case Op::F32Trunc: case Op::F64Trunc: return intr1(llvm::Intrinsic::trunc);
    case Op::F32Nearest: case Op::F64Nearest: return intr1(llvm::Intrinsic::roundeven);
    case Op::F32Sqrt: case Op::F64Sqrt: return intr1(llvm::Intrinsic::sqrt);
    case Op::F32Add: case Op::F64Add: return farith(llvm::Instruction::FAdd);
    case Op::F32Sub: case Op::F64Sub: return farith(llvm::Instruction::FSub);
    case Op::F32Mul: case Op::F64Mul: return farith(llvm::Instruction::FMul);
    case Op::F32Div: case Op::F64Div: return farith(llvm::Instruction::FDiv);
    case Op::F32Min: case Op::F64Min: return fminmax(llvm::Intrinsic::minimum);
    case Op::F32Max: case Op::F64Max: return fminmax(llvm::Intrinsic::maximum);
    case Op::F32Copysign: case Op::F64Copysign: return intr2(llvm::Intrinsic::copysign);

    case Op::I32WrapI64: return un([&](auto a) { return b_.CreateTrunc(a, i32); });
    case Op::I32TruncF32S: case Op::I32TruncF64S:
      return un([&](auto a) { return trunc_trapping(a, i32, true); });
    case Op::I32TruncF32U: case Op::I32TruncF64U:
      return un([&](auto a) { return trunc_trapping(a, i32, false); });
    case Op::I64TruncF32S: case Op::I64TruncF64S:
      return un([&](auto a) { return trunc_trapping(a, i64, true); });
    case Op::I64TruncF32U: case Op::I64TruncF64U:
      return un([&](auto a) { return trunc_trapping(a, i64, false); });
    case Op::I64ExtendI32S: return un([&](auto a) { return b_.CreateSExt(a, i64); });
    case Op::I64ExtendI32U: return un([&](auto a) { return b_.CreateZExt(a, i64); });
    case Op::F32ConvertI32S: case Op::F32ConvertI64S: return un([&](auto a) { return b_.CreateSIToFP(a, f32); });
    case Op::F32ConvertI32U: case Op::F32ConvertI64U: return un([&](auto a) { return b_.CreateUIToFP(a, f32); });
    case Op::F64ConvertI32S: case Op::F64ConvertI64S: return un([&](auto a) { return b_.CreateSIToFP(a, f64); });
    case Op::F64ConvertI32U: case Op::F64ConvertI64U: return un([&](auto a) { return b_.CreateUIToFP(a, f64); });
    case Op::F32DemoteF64:
      return un([&](llvm::Value* a) {
        // demote(promote(x)) would fold to x, keeping a signalling NaN unquieted.
        if (llvm::isa<llvm::FPExtInst>(a)) a = intrinsic(llvm::Intrinsic::arithmetic_fence, a->getType(), {a});
        return b_.CreateFPTrunc(a, f32);
      });
    case Op::F64PromoteF32: return un([&](auto a) { return b_.CreateFPExt(a, f64); });
    case Op::I32ReinterpretF32: return un([&](auto a) { return b_.CreateBitCast(a, i32); });
    case Op::I64ReinterpretF64: return un([&](auto a) { return b_.CreateBitCast(a, i64); });
    case Op::F32ReinterpretI32: return un([&](auto a) { return b_.CreateBitCast(a, f32); });
    case Op::F64ReinterpretI64: return un([&](auto a) { return b_.CreateBitCast(a, f64); });
    case Op::I32Extend8S:
      return un([&](auto a) { return b_.CreateSExt(b_.CreateTrunc(a, b_.getInt8Ty()), i32); });
    case Op::I32Extend16S:
      return un([&](auto a) { return b_.CreateSExt(b_.CreateTrunc(a, b_.getInt16Ty()), i32); });
    case Op::I64Extend8S:
      return un([&](auto a) { return b_.CreateSExt(b_.CreateTrunc(a, b_.getInt8Ty()), i64); });
    case Op::I64Extend16S:
      return un([&](auto a) { return b_.CreateSExt(b_.CreateTrunc(a, b_.getInt16Ty()), i64); });
    case Op::I64Extend32S:
      return un([&](auto a) { return b_.CreateSExt(b_.CreateTrunc(a, i32), i64); });

    // Saturating truncation: llvm.fpto[su]i.sat has exactly wasm's semantics (NaN -> 0).
    case Op::I32TruncSatF32S: case Op::I32TruncSatF64S:
      return un([&](auto a) { return b_.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {i32, a->getType()}, {a}); });
    case Op::I32TruncSatF32U: case Op::I32TruncSatF64U:
      return un([&](auto a) { return b_.CreateIntrinsic(llvm::Intrinsic::fptoui_sat, {i32, a->getType()}, {a}); });
    case Op::I64TruncSatF32S: case Op::I64TruncSatF64S:
      return un([&](auto a) { return b_.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {i64, a->getType()}, {a}); });
    case Op::I64TruncSatF32U: case Op::I64TruncSatF64U:
      return un([&](auto a) { return b_.CreateIntrinsic(llvm::Intrinsic::fptoui_sat, {i64, a->getType()}, {a}); });
    default: return false;
  }
}

}  // namespace atl::compiler

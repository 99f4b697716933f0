// SIMD128: v128 values live as <2 x i64>; each instruction bitcasts to its lane shape, computes
// with generic LLVM vector IR or intrinsics whose semantics match wasm's exactly (saturating
// arithmetic, smin/smax, abs, ctpop, fptosi.sat, minimum/maximum), and bitcasts back. x86 lowers
// these to SSE/AVX sequences; docs/SIMD.md lists what the tricky ones become.
#include <llvm/IR/IntrinsicsX86.h>

#include "compiler/function_translator.h"

namespace atl::compiler {

using wasm::Op;

namespace {

struct Shapes {
  llvm::FixedVectorType *i8x16, *i16x8, *i32x4, *i64x2, *f32x4, *f64x2;
  llvm::FixedVectorType *i8x8, *i16x4, *i32x2, *f32x2, *i16x16, *i32x8, *i64x4;
};

// Relaxed SIMD whose fixed result here is that of the deterministic instruction it relaxes (the
// result every platform may give): swizzle zeroes indices past 15, truncation saturates and
// gives 0 for NaN, laneselect is bitselect, min/max propagate NaN and order -0 < +0, and
// q15mulr saturates. Op::Invalid for the others.
Op strict_form(Op op) {
  switch (op) {
    case Op::I8x16RelaxedSwizzle: return Op::I8x16Swizzle;
    case Op::I32x4RelaxedTruncF32x4S: return Op::I32x4TruncSatF32x4S;
    case Op::I32x4RelaxedTruncF32x4U: return Op::I32x4TruncSatF32x4U;
    case Op::I32x4RelaxedTruncF64x2SZero: return Op::I32x4TruncSatF64x2SZero;
    case Op::I32x4RelaxedTruncF64x2UZero: return Op::I32x4TruncSatF64x2UZero;
    case Op::I8x16RelaxedLaneselect:
    case Op::I16x8RelaxedLaneselect:
    case Op::I32x4RelaxedLaneselect:
    case Op::I64x2RelaxedLaneselect: return Op::V128Bitselect;
    case Op::F32x4RelaxedMin: return Op::F32x4Min;
    case Op::F32x4RelaxedMax: return Op::F32x4Max;
    case Op::F64x2RelaxedMin: return Op::F64x2Min;
    case Op::F64x2RelaxedMax: return Op::F64x2Max;
    case Op::I16x8RelaxedQ15mulrS: return Op::I16x8Q15mulrSatS;
    default: return Op::Invalid;
  }
}

}  // namespace

bool FunctionTranslator::simd(const wasm::Instr& in) {
  if (const Op strict = strict_form(in.op); strict != Op::Invalid) {
    wasm::Instr as_strict = in;
    as_strict.op = strict;
    return simd(as_strict);
  }
  llvm::LLVMContext& c = mc_.ctx;
  llvm::Type* i8 = llvm::Type::getInt8Ty(c);
  llvm::Type* i16 = llvm::Type::getInt16Ty(c);
  llvm::Type* i32 = mc_.i32;
  llvm::Type* i64 = mc_.i64;
  llvm::Type* f32 = mc_.f32;
  llvm::Type* f64 = mc_.f64;
  auto vt = [](llvm::Type* t, unsigned n) { return llvm::FixedVectorType::get(t, n); };
  const Shapes s{vt(i8, 16), vt(i16, 8), vt(i32, 4), vt(i64, 2), vt(f32, 4), vt(f64, 2),
                 vt(i8, 8),  vt(i16, 4), vt(i32, 2), vt(f32, 2), vt(i16, 16), vt(i32, 8), vt(i64, 4)};

  auto as = [&](llvm::Value* v, llvm::Type* t) { return b_.CreateBitCast(v, t); };
  auto out = [&](llvm::Value* v) {
    push(b_.CreateBitCast(v, mc_.v128));
    return true;
  };
  auto pop_as = [&](llvm::Type* t) { return as(pop(), t); };
  auto lanes = [](llvm::Type* t) { return static_cast<unsigned>(llvm::cast<llvm::FixedVectorType>(t)->getNumElements()); };
  auto seq = [](unsigned from, unsigned n, unsigned step = 1) {
    std::vector<int> m;
    for (unsigned i = 0; i < n; ++i) m.push_back(static_cast<int>(from + i * step));
    return m;
  };
  auto unary = [&](llvm::Type* t, auto&& f) { return out(f(pop_as(t))); };
  auto binary = [&](llvm::Type* t, auto&& f) {
    llvm::Value* b = pop_as(t);
    llvm::Value* a = pop_as(t);
    return out(f(a, b));
  };
  auto intr1 = [&](llvm::Intrinsic::ID id, llvm::Type* t) {
    return unary(t, [&](llvm::Value* a) { return intrinsic(id, t, {a}); });
  };
  auto intr2 = [&](llvm::Intrinsic::ID id, llvm::Type* t) {
    return binary(t, [&](llvm::Value* a, llvm::Value* b) { return intrinsic(id, t, {a, b}); });
  };
  auto cmp = [&](llvm::Type* t, llvm::CmpInst::Predicate p) {
    return binary(t, [&](llvm::Value* a, llvm::Value* b) {
      llvm::Type* it = llvm::VectorType::getInteger(llvm::cast<llvm::VectorType>(t));
      return b_.CreateSExt(b_.CreateCmp(p, a, b), it);
    });
  };
  auto shift = [&](llvm::Type* t, llvm::Instruction::BinaryOps opc) {
    llvm::Value* count = pop();
    llvm::Value* v = pop_as(t);
    llvm::Type* lane = llvm::cast<llvm::VectorType>(t)->getElementType();
    const unsigned bits = lane->getIntegerBitWidth();
    count = b_.CreateAnd(count, b_.getInt32(bits - 1));
    count = b_.CreateZExtOrTrunc(count, lane);
    return out(b_.CreateBinOp(opc, v, b_.CreateVectorSplat(lanes(t), count)));
  };
  auto splat = [&](llvm::Type* lane, unsigned n) {
    llvm::Value* x = pop();
    if (x->getType() != lane) x = b_.CreateTrunc(x, lane);
    return out(b_.CreateVectorSplat(n, x));
  };
  auto half = [&](llvm::Value* v, bool high) {
    const unsigned n = lanes(v->getType());
    return b_.CreateShuffleVector(v, seq(high ? n / 2 : 0, n / 2));
  };
  auto extend = [&](llvm::Value* v, llvm::Type* to, bool is_signed) {
    return is_signed ? b_.CreateSExt(v, to) : b_.CreateZExt(v, to);
  };
  auto extend_half = [&](llvm::Type* from, llvm::Type* to, bool high, bool is_signed) {
    return unary(from, [&](llvm::Value* a) { return extend(half(a, high), to, is_signed); });
  };
  auto extmul = [&](llvm::Type* from, llvm::Type* to, bool high, bool is_signed) {
    return binary(from, [&](llvm::Value* a, llvm::Value* b) {
      return b_.CreateMul(extend(half(a, high), to, is_signed), extend(half(b, high), to, is_signed));
    });
  };
  // Pairwise: widen all lanes, then add even and odd lanes.
  auto extadd = [&](llvm::Type* from, llvm::Type* wide, bool is_signed) {
    return unary(from, [&](llvm::Value* a) {
      llvm::Value* w = extend(a, wide, is_signed);
      const unsigned n = lanes(wide);
      return b_.CreateAdd(b_.CreateShuffleVector(w, seq(0, n / 2, 2)), b_.CreateShuffleVector(w, seq(1, n / 2, 2)));
    });
  };
  // Saturating narrow of two vectors into one with half-width lanes.
  auto narrow = [&](llvm::Type* from, llvm::Type* to_lane, bool is_signed) {
    return binary(from, [&](llvm::Value* a, llvm::Value* b) {
      const unsigned n = lanes(from);
      llvm::Value* both = b_.CreateShuffleVector(a, b, seq(0, 2 * n));
      llvm::Type* lane = llvm::cast<llvm::VectorType>(from)->getElementType();
      const unsigned bits = to_lane->getIntegerBitWidth();
      const int64_t lo = is_signed ? -(int64_t{1} << (bits - 1)) : 0;
      const int64_t hi = is_signed ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
      llvm::Type* wide = both->getType();
      llvm::Value* clamped = intrinsic(llvm::Intrinsic::smax, wide,
                                       {both, b_.CreateVectorSplat(2 * n, llvm::ConstantInt::getSigned(lane, lo))});
      clamped = intrinsic(llvm::Intrinsic::smin, wide,
                          {clamped, b_.CreateVectorSplat(2 * n, llvm::ConstantInt::getSigned(lane, hi))});
      return b_.CreateTrunc(clamped, vt(to_lane, 2 * n));
    });
  };
  auto all_true = [&](llvm::Type* t) {
    llvm::Value* v = pop_as(t);
    llvm::Value* nz = b_.CreateICmpNE(v, llvm::Constant::getNullValue(t));
    push(b_.CreateZExt(b_.CreateAndReduce(nz), i32));
    return true;
  };
  auto bitmask = [&](llvm::Type* t) {
    llvm::Value* v = pop_as(t);
    const unsigned n = lanes(t);
    llvm::Value* neg = b_.CreateICmpSLT(v, llvm::Constant::getNullValue(t));
    push(b_.CreateZExt(b_.CreateBitCast(neg, b_.getIntNTy(n)), i32));
    return true;
  };
  auto avgr = [&](llvm::Type* t, llvm::Type* wide) {
    return binary(t, [&](llvm::Value* a, llvm::Value* b) {
      llvm::Value* sum = b_.CreateAdd(b_.CreateZExt(a, wide), b_.CreateZExt(b, wide));
      sum = b_.CreateAdd(sum, llvm::ConstantInt::get(wide, 1));
      return b_.CreateTrunc(b_.CreateLShr(sum, llvm::ConstantInt::get(wide, 1)), t);
    });
  };
  // Float min/max with wasm's NaN propagation; NaN lanes re-quieted as in the scalar case.
  auto fminmax = [&](llvm::Type* t, llvm::Intrinsic::ID id) {
    return binary(t, [&](llvm::Value* a, llvm::Value* b) {
      llvm::Value* r = intrinsic(id, t, {a, b});
      return b_.CreateSelect(b_.CreateFCmpUNO(a, b), b_.CreateFAdd(a, b), r);
    });
  };
  auto farith = [&](llvm::Type* t, llvm::Instruction::BinaryOps opc) {
    return binary(t, [&](llvm::Value* a, llvm::Value* b) {
      // Constant operands could let LLVM fold x*1, x+(-0)...: keep the operation (see scalar).
      if (llvm::isa<llvm::Constant>(a)) a = intrinsic(llvm::Intrinsic::arithmetic_fence, t, {a});
      if (llvm::isa<llvm::Constant>(b)) b = intrinsic(llvm::Intrinsic::arithmetic_fence, t, {b});
      return b_.CreateBinOp(opc, a, b);
    });
  };
  auto load_scalar = [&](llvm::Type* t, unsigned size) {
    return load(t, in.mem, pop(), size, next_load_dropped_);
  };
  auto lane_ext = [&](llvm::Type* t, bool is_signed) {
    llvm::Value* x = b_.CreateExtractElement(pop_as(t), in.lane);
    push(x->getType() == i32 || !x->getType()->isIntegerTy() || x->getType() == i64 ? x : extend(x, i32, is_signed));
    return true;
  };
  auto lane_replace = [&](llvm::Type* t) {
    llvm::Value* x = pop();
    llvm::Value* v = pop_as(t);
    llvm::Type* lane = llvm::cast<llvm::VectorType>(t)->getElementType();
    if (x->getType() != lane) x = b_.CreateTrunc(x, lane);
    return out(b_.CreateInsertElement(v, x, in.lane));
  };

  switch (in.op) {
    // --- memory ---------------------------------------------------------------------------------
    case Op::V128Load: push(load(mc_.v128, in.mem, pop(), 16, next_load_dropped_)); return true;
    case Op::V128Store: {
      llvm::Value* v = pop();
      store(v, in.mem, pop(), 16);
      return true;
    }
    case Op::V128Load8x8S: return out(b_.CreateSExt(load_scalar(s.i8x8, 8), s.i16x8));
    case Op::V128Load8x8U: return out(b_.CreateZExt(load_scalar(s.i8x8, 8), s.i16x8));
    case Op::V128Load16x4S: return out(b_.CreateSExt(load_scalar(s.i16x4, 8), s.i32x4));
    case Op::V128Load16x4U: return out(b_.CreateZExt(load_scalar(s.i16x4, 8), s.i32x4));
    case Op::V128Load32x2S: return out(b_.CreateSExt(load_scalar(s.i32x2, 8), s.i64x2));
    case Op::V128Load32x2U: return out(b_.CreateZExt(load_scalar(s.i32x2, 8), s.i64x2));
    case Op::V128Load8Splat: return out(b_.CreateVectorSplat(16, load_scalar(i8, 1)));
    case Op::V128Load16Splat: return out(b_.CreateVectorSplat(8, load_scalar(i16, 2)));
    case Op::V128Load32Splat: return out(b_.CreateVectorSplat(4, load_scalar(i32, 4)));
    case Op::V128Load64Splat: return out(b_.CreateVectorSplat(2, load_scalar(i64, 8)));
    case Op::V128Load32Zero:
      return out(b_.CreateInsertElement(llvm::Constant::getNullValue(s.i32x4), load_scalar(i32, 4), uint64_t{0}));
    case Op::V128Load64Zero:
      return out(b_.CreateInsertElement(llvm::Constant::getNullValue(s.i64x2), load_scalar(i64, 8), uint64_t{0}));
    case Op::V128Load8Lane:
    case Op::V128Load16Lane:
    case Op::V128Load32Lane:
    case Op::V128Load64Lane: {
      const unsigned size = 1u << wasm::op_info(in.op).aux;
      llvm::Type* lane = b_.getIntNTy(size * 8);
      llvm::Type* t = vt(lane, 16 / size);
      llvm::Value* v = pop_as(t);
      llvm::Value* x = load(lane, in.mem, pop(), size, false);
      return out(b_.CreateInsertElement(v, x, in.lane));
    }
    case Op::V128Store8Lane:
    case Op::V128Store16Lane:
    case Op::V128Store32Lane:
    case Op::V128Store64Lane: {
      const unsigned size = 1u << wasm::op_info(in.op).aux;
      llvm::Type* lane = b_.getIntNTy(size * 8);
      llvm::Value* v = pop_as(vt(lane, 16 / size));
      store(b_.CreateExtractElement(v, in.lane), in.mem, pop(), size);
      return true;
    }
    case Op::V128Const: {
      uint64_t lo, hi;
      std::memcpy(&lo, in.v128.data(), 8);
      std::memcpy(&hi, in.v128.data() + 8, 8);
      push(llvm::ConstantVector::get({b_.getInt64(lo), b_.getInt64(hi)}));
      return true;
    }

    // --- lanes ----------------------------------------------------------------------------------
    case Op::I8x16Shuffle: {
      std::vector<int> mask(in.v128.begin(), in.v128.end());
      return binary(s.i8x16, [&](llvm::Value* a, llvm::Value* b) { return b_.CreateShuffleVector(a, b, mask); });
    }
    case Op::I8x16Swizzle:
      // pshufb zeroes a lane whose index has its top bit set; indices 16..255 must give zero
      // too, so they get that bit.
      return binary(s.i8x16, [&](llvm::Value* a, llvm::Value* idx) {
        llvm::Value* big = b_.CreateSExt(b_.CreateICmpUGT(idx, b_.CreateVectorSplat(16, b_.getInt8(15))), s.i8x16);
        llvm::Function* f = llvm::Intrinsic::getDeclaration(&mc_.mod, llvm::Intrinsic::x86_ssse3_pshuf_b_128);
        return b_.CreateCall(f, {a, b_.CreateOr(idx, big)});
      });
    case Op::I8x16Splat: return splat(i8, 16);
    case Op::I16x8Splat: return splat(i16, 8);
    case Op::I32x4Splat: return splat(i32, 4);
    case Op::I64x2Splat: return splat(i64, 2);
    case Op::F32x4Splat: return splat(f32, 4);
    case Op::F64x2Splat: return splat(f64, 2);
    case Op::I8x16ExtractLaneS: return lane_ext(s.i8x16, true);
    case Op::I8x16ExtractLaneU: return lane_ext(s.i8x16, false);
    case Op::I16x8ExtractLaneS: return lane_ext(s.i16x8, true);
    case Op::I16x8ExtractLaneU: return lane_ext(s.i16x8, false);
    case Op::I32x4ExtractLane: return lane_ext(s.i32x4, false);
    case Op::I64x2ExtractLane: return lane_ext(s.i64x2, false);
    case Op::F32x4ExtractLane: return lane_ext(s.f32x4, false);
    case Op::F64x2ExtractLane: return lane_ext(s.f64x2, false);
    case Op::I8x16ReplaceLane: return lane_replace(s.i8x16);
    case Op::I16x8ReplaceLane: return lane_replace(s.i16x8);
    case Op::I32x4ReplaceLane: return lane_replace(s.i32x4);
    case Op::I64x2ReplaceLane: return lane_replace(s.i64x2);
    case Op::F32x4ReplaceLane: return lane_replace(s.f32x4);
    case Op::F64x2ReplaceLane: return lane_replace(s.f64x2);

    // --- comparisons ----------------------------------------------------------------------------
    case Op::I8x16Eq: return cmp(s.i8x16, llvm::CmpInst::ICMP_EQ);
    case Op::I8x16Ne: return cmp(s.i8x16, llvm::CmpInst::ICMP_NE);
    case Op::I8x16LtS: return cmp(s.i8x16, llvm::CmpInst::ICMP_SLT);
    case Op::I8x16LtU: return cmp(s.i8x16, llvm::CmpInst::ICMP_ULT);
    case Op::I8x16GtS: return cmp(s.i8x16, llvm::CmpInst::ICMP_SGT);
    case Op::I8x16GtU: return cmp(s.i8x16, llvm::CmpInst::ICMP_UGT);
    case Op::I8x16LeS: return cmp(s.i8x16, llvm::CmpInst::ICMP_SLE);
    case Op::I8x16LeU: return cmp(s.i8x16, llvm::CmpInst::ICMP_ULE);
    case Op::I8x16GeS: return cmp(s.i8x16, llvm::CmpInst::ICMP_SGE);
    case Op::I8x16GeU: return cmp(s.i8x16, llvm::CmpInst::ICMP_UGE);
    case Op::I16x8Eq: return cmp(s.i16x8, llvm::CmpInst::ICMP_EQ);
    case Op::I16x8Ne: return cmp(s.i16x8, llvm::CmpInst::ICMP_NE);
    case Op::I16x8LtS: return cmp(s.i16x8, llvm::CmpInst::ICMP_SLT);
    case Op::I16x8LtU: return cmp(s.i16x8, llvm::CmpInst::ICMP_ULT);
    case Op::I16x8GtS: return cmp(s.i16x8, llvm::CmpInst::ICMP_SGT);
    case Op::I16x8GtU: return cmp(s.i16x8, llvm::CmpInst::ICMP_UGT);
    case Op::I16x8LeS: return cmp(s.i16x8, llvm::CmpInst::ICMP_SLE);
    case Op::I16x8LeU: return cmp(s.i16x8, llvm::CmpInst::ICMP_ULE);
    case Op::I16x8GeS: return cmp(s.i16x8, llvm::CmpInst::ICMP_SGE);
    case Op::I16x8GeU: return cmp(s.i16x8, llvm::CmpInst::ICMP_UGE);
    case Op::I32x4Eq: return cmp(s.i32x4, llvm::CmpInst::ICMP_EQ);
    case Op::I32x4Ne: return cmp(s.i32x4, llvm::CmpInst::ICMP_NE);
    case Op::I32x4LtS: return cmp(s.i32x4, llvm::CmpInst::ICMP_SLT);
    case Op::I32x4LtU: return cmp(s.i32x4, llvm::CmpInst::ICMP_ULT);
    case Op::I32x4GtS: return cmp(s.i32x4, llvm::CmpInst::ICMP_SGT);
    case Op::I32x4GtU: return cmp(s.i32x4, llvm::CmpInst::ICMP_UGT);
    case Op::I32x4LeS: return cmp(s.i32x4, llvm::CmpInst::ICMP_SLE);
    case Op::I32x4LeU: return cmp(s.i32x4, llvm::CmpInst::ICMP_ULE);
    case Op::I32x4GeS: return cmp(s.i32x4, llvm::CmpInst::ICMP_SGE);
    case Op::I32x4GeU: return cmp(s.i32x4, llvm::CmpInst::ICMP_UGE);
    case Op::I64x2Eq: return cmp(s.i64x2, llvm::CmpInst::ICMP_EQ);
    case Op::I64x2Ne: return cmp(s.i64x2, llvm::CmpInst::ICMP_NE);
    case Op::I64x2LtS: return cmp(s.i64x2, llvm::CmpInst::ICMP_SLT);
    case Op::I64x2GtS: return cmp(s.i64x2, llvm::CmpInst::ICMP_SGT);
    case Op::I64x2LeS: return cmp(s.i64x2, llvm::CmpInst::ICMP_SLE);
    case Op::I64x2GeS: return cmp(s.i64x2, llvm::CmpInst::ICMP_SGE);
    case Op::F32x4Eq: return cmp(s.f32x4, llvm::CmpInst::FCMP_OEQ);
    case Op::F32x4Ne: return cmp(s.f32x4, llvm::CmpInst::FCMP_UNE);
    case Op::F32x4Lt: return cmp(s.f32x4, llvm::CmpInst::FCMP_OLT);
    case Op::F32x4Gt: return cmp(s.f32x4, llvm::CmpInst::FCMP_OGT);
    case Op::F32x4Le: return cmp(s.f32x4, llvm::CmpInst::FCMP_OLE);
    case Op::F32x4Ge: return cmp(s.f32x4, llvm::CmpInst::FCMP_OGE);
    case Op::F64x2Eq: return cmp(s.f64x2, llvm::CmpInst::FCMP_OEQ);
    case Op::F64x2Ne: return cmp(s.f64x2, llvm::CmpInst::FCMP_UNE);
    case Op::F64x2Lt: return cmp(s.f64x2, llvm::CmpInst::FCMP_OLT);
    case Op::F64x2Gt: return cmp(s.f64x2, llvm::CmpInst::FCMP_OGT);
    case Op::F64x2Le: return cmp(s.f64x2, llvm::CmpInst::FCMP_OLE);
    case Op::F64x2Ge: return cmp(s.f64x2, llvm::CmpInst::FCMP_OGE);

    // --- bitwise --------------------------------------------------------------------------------
    case Op::V128Not: return unary(s.i64x2, [&](llvm::Value* a) { return b_.CreateNot(a); });
    case Op::V128And: return binary(s.i64x2, [&](llvm::Value* a, llvm::Value* b) { return b_.CreateAnd(a, b); });
    case Op::V128AndNot:
      return binary(s.i64x2, [&](llvm::Value* a, llvm::Value* b) { return b_.CreateAnd(a, b_.CreateNot(b)); });
    case Op::V128Or: return binary(s.i64x2, [&](llvm::Value* a, llvm::Value* b) { return b_.CreateOr(a, b); });
    case Op::V128Xor: return binary(s.i64x2, [&](llvm::Value* a, llvm::Value* b) { return b_.CreateXor(a, b); });
    case Op::V128Bitselect: {
      llvm::Value* m = pop_as(s.i64x2);
      llvm::Value* b = pop_as(s.i64x2);
      llvm::Value* a = pop_as(s.i64x2);
      return out(b_.CreateOr(b_.CreateAnd(a, m), b_.CreateAnd(b, b_.CreateNot(m))));
    }
    case Op::V128AnyTrue: {
      llvm::Value* v = b_.CreateBitCast(pop(), b_.getInt128Ty());
      push(b_.CreateZExt(b_.CreateICmpNE(v, llvm::ConstantInt::get(b_.getInt128Ty(), 0)), i32));
      return true;
    }

    // --- integer arithmetic ---------------------------------------------------------------------
    case Op::I8x16Abs: return unary(s.i8x16, [&](llvm::Value* a) { return intrinsic(llvm::Intrinsic::abs, s.i8x16, {a, b_.getFalse()}); });
    case Op::I16x8Abs: return unary(s.i16x8, [&](llvm::Value* a) { return intrinsic(llvm::Intrinsic::abs, s.i16x8, {a, b_.getFalse()}); });
    case Op::I32x4Abs: return unary(s.i32x4, [&](llvm::Value* a) { return intrinsic(llvm::Intrinsic::abs, s.i32x4, {a, b_.getFalse()}); });
    case Op::I64x2Abs: return unary(s.i64x2, [&](llvm::Value* a) { return intrinsic(llvm::Intrinsic::abs, s.i64x2, {a, b_.getFalse()}); });
    case Op::I8x16Neg: return unary(s.i8x16, [&](llvm::Value* a) { return b_.CreateNeg(a); });
    case Op::I16x8Neg: return unary(s.i16x8, [&](llvm::Value* a) { return b_.CreateNeg(a); });
    case Op::I32x4Neg: return unary(s.i32x4, [&](llvm::Value* a) { return b_.CreateNeg(a); });
    case Op::I64x2Neg: return unary(s.i64x2, [&](llvm::Value* a) { return b_.CreateNeg(a); });
    case Op::I8x16Popcnt: return intr1(llvm::Intrinsic::ctpop, s.i8x16);
    case Op::I8x16AllTrue: return all_true(s.i8x16);
    case Op::I16x8AllTrue: return all_true(s.i16x8);
    case Op::I32x4AllTrue: return all_true(s.i32x4);
    case Op::I64x2AllTrue: return all_true(s.i64x2);
    case Op::I8x16Bitmask: return bitmask(s.i8x16);
    case Op::I16x8Bitmask: return bitmask(s.i16x8);
    case Op::I32x4Bitmask: return bitmask(s.i32x4);
    case Op::I64x2Bitmask: return bitmask(s.i64x2);
    case Op::I8x16NarrowI16x8S: return narrow(s.i16x8, i8, true);
    case Op::I8x16NarrowI16x8U: return narrow(s.i16x8, i8, false);
    case Op::I16x8NarrowI32x4S: return narrow(s.i32x4, i16, true);
    case Op::I16x8NarrowI32x4U: return narrow(s.i32x4, i16, false);
    case Op::I16x8ExtendLowI8x16S: return extend_half(s.i8x16, s.i16x8, false, true);
    case Op::I16x8ExtendHighI8x16S: return extend_half(s.i8x16, s.i16x8, true, true);
    case Op::I16x8ExtendLowI8x16U: return extend_half(s.i8x16, s.i16x8, false, false);
    case Op::I16x8ExtendHighI8x16U: return extend_half(s.i8x16, s.i16x8, true, false);
    case Op::I32x4ExtendLowI16x8S: return extend_half(s.i16x8, s.i32x4, false, true);
    case Op::I32x4ExtendHighI16x8S: return extend_half(s.i16x8, s.i32x4, true, true);
    case Op::I32x4ExtendLowI16x8U: return extend_half(s.i16x8, s.i32x4, false, false);
    case Op::I32x4ExtendHighI16x8U: return extend_half(s.i16x8, s.i32x4, true, false);
    case Op::I64x2ExtendLowI32x4S: return extend_half(s.i32x4, s.i64x2, false, true);
    case Op::I64x2ExtendHighI32x4S: return extend_half(s.i32x4, s.i64x2, true, true);
    case Op::I64x2ExtendLowI32x4U: return extend_half(s.i32x4, s.i64x2, false, false);
    case Op::I64x2ExtendHighI32x4U: return extend_half(s.i32x4, s.i64x2, true, false);
    case Op::I8x16Shl: return shift(s.i8x16, llvm::Instruction::Shl);
    case Op::I8x16ShrS: return shift(s.i8x16, llvm::Instruction::AShr);
    case Op::I8x16ShrU: return shift(s.i8x16, llvm::Instruction::LShr);
    case Op::I16x8Shl: return shift(s.i16x8, llvm::Instruction::Shl);
    case Op::I16x8ShrS: return shift(s.i16x8, llvm::Instruction::AShr);
    case Op::I16x8ShrU: return shift(s.i16x8, llvm::Instruction::LShr);
    case Op::I32x4Shl: return shift(s.i32x4, llvm::Instruction::Shl);
    case Op::I32x4ShrS: return shift(s.i32x4, llvm::Instruction::AShr);
    case Op::I32x4ShrU: return shift(s.i32x4, llvm::Instruction::LShr);
    case Op::I64x2Shl: return shift(s.i64x2, llvm::Instruction::Shl);
    case Op::I64x2ShrS: return shift(s.i64x2, llvm::Instruction::AShr);
    case Op::I64x2ShrU: return shift(s.i64x2, llvm::Instruction::LShr);
    case Op::I8x16Add: return binary(s.i8x16, [&](auto a, auto b) { return b_.CreateAdd(a, b); });
    case Op::I16x8Add: return binary(s.i16x8, [&](auto a, auto b) { return b_.CreateAdd(a, b); });
    case Op::I32x4Add: return binary(s.i32x4, [&](auto a, auto b) { return b_.CreateAdd(a, b); });
    case Op::I64x2Add: return binary(s.i64x2, [&](auto a, auto b) { return b_.CreateAdd(a, b); });
    case Op::I8x16Sub: return binary(s.i8x16, [&](auto a, auto b) { return b_.CreateSub(a, b); });
    case Op::I16x8Sub: return binary(s.i16x8, [&](auto a, auto b) { return b_.CreateSub(a, b); });
    case Op::I32x4Sub: return binary(s.i32x4, [&](auto a, auto b) { return b_.CreateSub(a, b); });
    case Op::I64x2Sub: return binary(s.i64x2, [&](auto a, auto b) { return b_.CreateSub(a, b); });
    case Op::I16x8Mul: return binary(s.i16x8, [&](auto a, auto b) { return b_.CreateMul(a, b); });
    case Op::I32x4Mul: return binary(s.i32x4, [&](auto a, auto b) { return b_.CreateMul(a, b); });
    case Op::I64x2Mul: return binary(s.i64x2, [&](auto a, auto b) { return b_.CreateMul(a, b); });
    case Op::I8x16AddSatS: return intr2(llvm::Intrinsic::sadd_sat, s.i8x16);
    case Op::I8x16AddSatU: return intr2(llvm::Intrinsic::uadd_sat, s.i8x16);
    case Op::I8x16SubSatS: return intr2(llvm::Intrinsic::ssub_sat, s.i8x16);
    case Op::I8x16SubSatU: return intr2(llvm::Intrinsic::usub_sat, s.i8x16);
    case Op::I16x8AddSatS: return intr2(llvm::Intrinsic::sadd_sat, s.i16x8);
    case Op::I16x8AddSatU: return intr2(llvm::Intrinsic::uadd_sat, s.i16x8);
    case Op::I16x8SubSatS: return intr2(llvm::Intrinsic::ssub_sat, s.i16x8);
    case Op::I16x8SubSatU: return intr2(llvm::Intrinsic::usub_sat, s.i16x8);
    case Op::I8x16MinS: return intr2(llvm::Intrinsic::smin, s.i8x16);
    case Op::I8x16MinU: return intr2(llvm::Intrinsic::umin, s.i8x16);
    case Op::I8x16MaxS: return intr2(llvm::Intrinsic::smax, s.i8x16);
    case Op::I8x16MaxU: return intr2(llvm::Intrinsic::umax, s.i8x16);
    case Op::I16x8MinS: return intr2(llvm::Intrinsic::smin, s.i16x8);
    case Op::I16x8MinU: return intr2(llvm::Intrinsic::umin, s.i16x8);
    case Op::I16x8MaxS: return intr2(llvm::Intrinsic::smax, s.i16x8);
    case Op::I16x8MaxU: return intr2(llvm::Intrinsic::umax, s.i16x8);
    case Op::I32x4MinS: return intr2(llvm::Intrinsic::smin, s.i32x4);
    case Op::I32x4MinU: return intr2(llvm::Intrinsic::umin, s.i32x4);
    case Op::I32x4MaxS: return intr2(llvm::Intrinsic::smax, s.i32x4);
    case Op::I32x4MaxU: return intr2(llvm::Intrinsic::umax, s.i32x4);
    case Op::I8x16AvgrU: return avgr(s.i8x16, s.i16x16);
    case Op::I16x8AvgrU: return avgr(s.i16x8, s.i32x8);
    case Op::I16x8ExtaddPairwiseI8x16S: return extadd(s.i8x16, s.i16x16, true);
    case Op::I16x8ExtaddPairwiseI8x16U: return extadd(s.i8x16, s.i16x16, false);
    case Op::I32x4ExtaddPairwiseI16x8S: return extadd(s.i16x8, s.i32x8, true);
    case Op::I32x4ExtaddPairwiseI16x8U: return extadd(s.i16x8, s.i32x8, false);
    case Op::I16x8Q15mulrSatS:
      // pmulhrsw computes (a*b + 0x4000) >> 15 exactly, except that -32768 * -32768 wraps to
      // 0x8000 where wasm saturates to 0x7fff: flip that one value.
      return binary(s.i16x8, [&](llvm::Value* a, llvm::Value* b) {
        llvm::Function* f = llvm::Intrinsic::getDeclaration(&mc_.mod, llvm::Intrinsic::x86_ssse3_pmul_hr_sw_128);
        llvm::Value* r = b_.CreateCall(f, {a, b});
        llvm::Value* wrapped = b_.CreateICmpEQ(r, b_.CreateVectorSplat(8, b_.getInt16(0x8000)));
        return b_.CreateXor(r, b_.CreateSExt(wrapped, s.i16x8));
      });
    case Op::I16x8ExtmulLowI8x16S: return extmul(s.i8x16, s.i16x8, false, true);
    case Op::I16x8ExtmulHighI8x16S: return extmul(s.i8x16, s.i16x8, true, true);
    case Op::I16x8ExtmulLowI8x16U: return extmul(s.i8x16, s.i16x8, false, false);
    case Op::I16x8ExtmulHighI8x16U: return extmul(s.i8x16, s.i16x8, true, false);
    case Op::I32x4ExtmulLowI16x8S: return extmul(s.i16x8, s.i32x4, false, true);
    case Op::I32x4ExtmulHighI16x8S: return extmul(s.i16x8, s.i32x4, true, true);
    case Op::I32x4ExtmulLowI16x8U: return extmul(s.i16x8, s.i32x4, false, false);
    case Op::I32x4ExtmulHighI16x8U: return extmul(s.i16x8, s.i32x4, true, false);
    case Op::I64x2ExtmulLowI32x4S: return extmul(s.i32x4, s.i64x2, false, true);
    case Op::I64x2ExtmulHighI32x4S: return extmul(s.i32x4, s.i64x2, true, true);
    case Op::I64x2ExtmulLowI32x4U: return extmul(s.i32x4, s.i64x2, false, false);
    case Op::I64x2ExtmulHighI32x4U: return extmul(s.i32x4, s.i64x2, true, false);
    case Op::I32x4DotI16x8S:
      return binary(s.i16x8, [&](llvm::Value* a, llvm::Value* b) {
        llvm::Value* p = b_.CreateMul(b_.CreateSExt(a, s.i32x8), b_.CreateSExt(b, s.i32x8));
        return b_.CreateAdd(b_.CreateShuffleVector(p, seq(0, 4, 2)), b_.CreateShuffleVector(p, seq(1, 4, 2)));
      });

    // --- float arithmetic -----------------------------------------------------------------------
    case Op::F32x4Abs: return intr1(llvm::Intrinsic::fabs, s.f32x4);
    case Op::F64x2Abs: return intr1(llvm::Intrinsic::fabs, s.f64x2);
    case Op::F32x4Neg: return unary(s.f32x4, [&](llvm::Value* a) { return b_.CreateFNeg(a); });
    case Op::F64x2Neg: return unary(s.f64x2, [&](llvm::Value* a) { return b_.CreateFNeg(a); });
    case Op::F32x4Sqrt: return intr1(llvm::Intrinsic::sqrt, s.f32x4);
    case Op::F64x2Sqrt: return intr1(llvm::Intrinsic::sqrt, s.f64x2);
    case Op::F32x4Ceil: return intr1(llvm::Intrinsic::ceil, s.f32x4);
    case Op::F64x2Ceil: return intr1(llvm::Intrinsic::ceil, s.f64x2);
    case Op::F32x4Floor: return intr1(llvm::Intrinsic::floor, s.f32x4);
    case Op::F64x2Floor: return intr1(llvm::Intrinsic::floor, s.f64x2);
    case Op::F32x4Trunc: return intr1(llvm::Intrinsic::trunc, s.f32x4);
    case Op::F64x2Trunc: return intr1(llvm::Intrinsic::trunc, s.f64x2);
    case Op::F32x4Nearest: return intr1(llvm::Intrinsic::roundeven, s.f32x4);
    case Op::F64x2Nearest: return intr1(llvm::Intrinsic::roundeven, s.f64x2);
    case Op::F32x4Add: return farith(s.f32x4, llvm::Instruction::FAdd);
    case Op::F64x2Add: return farith(s.f64x2, llvm::Instruction::FAdd);
    case Op::F32x4Sub: return farith(s.f32x4, llvm::Instruction::FSub);
    case Op::F64x2Sub: return farith(s.f64x2, llvm::Instruction::FSub);
    case Op::F32x4Mul: return farith(s.f32x4, llvm::Instruction::FMul);
    case Op::F64x2Mul: return farith(s.f64x2, llvm::Instruction::FMul);
    case Op::F32x4Div: return farith(s.f32x4, llvm::Instruction::FDiv);
    case Op::F64x2Div: return farith(s.f64x2, llvm::Instruction::FDiv);
    case Op::F32x4Min: return fminmax(s.f32x4, llvm::Intrinsic::minimum);
    case Op::F64x2Min: return fminmax(s.f64x2, llvm::Intrinsic::minimum);
    case Op::F32x4Max: return fminmax(s.f32x4, llvm::Intrinsic::maximum);
    case Op::F64x2Max: return fminmax(s.f64x2, llvm::Intrinsic::maximum);
    // pmin/pmax are defined as b < a ? b : a and a < b ? b : a: exactly a compare and select.
    case Op::F32x4Pmin:
    case Op::F64x2Pmin:
      return binary(in.op == Op::F32x4Pmin ? s.f32x4 : s.f64x2,
                    [&](llvm::Value* a, llvm::Value* b) { return b_.CreateSelect(b_.CreateFCmpOLT(b, a), b, a); });
    case Op::F32x4Pmax:
    case Op::F64x2Pmax:
      return binary(in.op == Op::F32x4Pmax ? s.f32x4 : s.f64x2,
                    [&](llvm::Value* a, llvm::Value* b) { return b_.CreateSelect(b_.CreateFCmpOLT(a, b), b, a); });

    // Relaxed multiply-add: unfused (the product rounded, then the sum), as f32x4.mul and
    // f32x4.add would give: the same result with or without FMA hardware, at every CPU level.
    case Op::F32x4RelaxedMadd:
    case Op::F32x4RelaxedNmadd:
    case Op::F64x2RelaxedMadd:
    case Op::F64x2RelaxedNmadd: {
      const bool wide = in.op == Op::F64x2RelaxedMadd || in.op == Op::F64x2RelaxedNmadd;
      const bool negate = in.op == Op::F32x4RelaxedNmadd || in.op == Op::F64x2RelaxedNmadd;
      llvm::Type* t = wide ? s.f64x2 : s.f32x4;
      llvm::Value* c = pop_as(t);
      llvm::Value* b = pop_as(t);
      llvm::Value* a = pop_as(t);
      if (negate) a = b_.CreateFNeg(a);
      // Kept from folding as farith does (x*1 would keep a signalling NaN).
      auto fence = [&](llvm::Value* v) {
        return llvm::isa<llvm::Constant>(v) ? intrinsic(llvm::Intrinsic::arithmetic_fence, t, {v}) : v;
      };
      return out(b_.CreateFAdd(b_.CreateFMul(fence(a), fence(b)), fence(c)));
    }
    // Relaxed dot products: the second operand's lanes are signed (the allowed choice for lanes
    // of 128 and more), and sums wrap: exact in 32 bits, truncated for the i16x8 form.
    case Op::I16x8RelaxedDotI8x16I7x16S:
      return binary(s.i8x16, [&](llvm::Value* a, llvm::Value* b) {
        llvm::Type* i32x16 = vt(i32, 16);
        llvm::Value* p = b_.CreateMul(b_.CreateSExt(a, i32x16), b_.CreateSExt(b, i32x16));
        llvm::Value* sum = b_.CreateAdd(b_.CreateShuffleVector(p, seq(0, 8, 2)), b_.CreateShuffleVector(p, seq(1, 8, 2)));
        return b_.CreateTrunc(sum, s.i16x8);
      });
    case Op::I32x4RelaxedDotI8x16I7x16AddS: {
      llvm::Value* c = pop_as(s.i32x4);
      llvm::Value* b = pop_as(s.i8x16);
      llvm::Value* a = pop_as(s.i8x16);
      llvm::Type* i32x16 = vt(i32, 16);
      llvm::Value* p = b_.CreateMul(b_.CreateSExt(a, i32x16), b_.CreateSExt(b, i32x16));
      llvm::Value* sum = c;
      for (unsigned k = 0; k < 4; ++k) sum = b_.CreateAdd(sum, b_.CreateShuffleVector(p, seq(k, 4, 4)));
      return out(sum);
    }

    // --- conversions ----------------------------------------------------------------------------
    case Op::I32x4TruncSatF32x4S:
      // cvttps2dq gives 0x80000000 for NaN and out-of-range lanes: right for large negatives;
      // NaN lanes are masked to 0 and large positives flipped to 0x7fffffff. (LLVM's generic
      // fptosi.sat would be scalarised on SSE4.)
      return unary(s.f32x4, [&](llvm::Value* a) {
        llvm::Function* cvt = llvm::Intrinsic::getDeclaration(&mc_.mod, llvm::Intrinsic::x86_sse2_cvttps2dq);
        llvm::Value* r = b_.CreateCall(cvt, {a});
        r = b_.CreateAnd(r, b_.CreateSExt(b_.CreateFCmpORD(a, a), s.i32x4));
        llvm::Value* big = b_.CreateFCmpOGE(a, b_.CreateVectorSplat(4, llvm::ConstantFP::get(f32, 2147483648.0)));
        return b_.CreateXor(r, b_.CreateSExt(big, s.i32x4));
      });
    case Op::I32x4TruncSatF32x4U:
      // V8's sequence: clamp NaN and negatives to 0 (maxps returns its second operand for NaN),
      // convert, and add the conversion of (x - 2^31) for lanes at or above 2^31; lanes at or
      // above 2^32 saturate to 0xffffffff.
      return unary(s.f32x4, [&](llvm::Value* a) {
        llvm::Function* cvt = llvm::Intrinsic::getDeclaration(&mc_.mod, llvm::Intrinsic::x86_sse2_cvttps2dq);
        llvm::Function* maxps = llvm::Intrinsic::getDeclaration(&mc_.mod, llvm::Intrinsic::x86_sse_max_ps);
        llvm::Value* z = b_.CreateCall(maxps, {a, llvm::Constant::getNullValue(s.f32x4)});
        llvm::Value* two31 = b_.CreateVectorSplat(4, llvm::ConstantFP::get(f32, 2147483648.0));
        llvm::Value* t = b_.CreateFSub(z, two31);
        llvm::Value* overflow = b_.CreateSExt(b_.CreateFCmpOLE(two31, t), s.i32x4);
        llvm::Value* high = b_.CreateXor(b_.CreateCall(cvt, {t}), overflow);
        high = intrinsic(llvm::Intrinsic::smax, s.i32x4, {high, llvm::Constant::getNullValue(s.i32x4)});
        return b_.CreateAdd(b_.CreateCall(cvt, {z}), high);
      });
    case Op::F32x4ConvertI32x4S: return unary(s.i32x4, [&](llvm::Value* a) { return b_.CreateSIToFP(a, s.f32x4); });
    case Op::F32x4ConvertI32x4U: return unary(s.i32x4, [&](llvm::Value* a) { return b_.CreateUIToFP(a, s.f32x4); });
    case Op::I32x4TruncSatF64x2SZero:
    case Op::I32x4TruncSatF64x2UZero:
      return unary(s.f64x2, [&](llvm::Value* a) {
        const auto id = in.op == Op::I32x4TruncSatF64x2SZero ? llvm::Intrinsic::fptosi_sat : llvm::Intrinsic::fptoui_sat;
        llvm::Value* r = b_.CreateIntrinsic(id, {s.i32x2, s.f64x2}, {a});
        return b_.CreateShuffleVector(r, llvm::Constant::getNullValue(s.i32x2), seq(0, 4));
      });
    case Op::F64x2ConvertLowI32x4S:
      return unary(s.i32x4, [&](llvm::Value* a) { return b_.CreateSIToFP(half(a, false), s.f64x2); });
    case Op::F64x2ConvertLowI32x4U:
      return unary(s.i32x4, [&](llvm::Value* a) { return b_.CreateUIToFP(half(a, false), s.f64x2); });
    case Op::F32x4DemoteF64x2Zero:
      return unary(s.f64x2, [&](llvm::Value* a) {
        llvm::Value* r = b_.CreateFPTrunc(a, s.f32x2);
        return b_.CreateShuffleVector(r, llvm::Constant::getNullValue(s.f32x2), seq(0, 4));
      });
    case Op::F64x2PromoteLowF32x4:
      return unary(s.f32x4, [&](llvm::Value* a) { return b_.CreateFPExt(half(a, false), s.f64x2); });
    default: break;
  }
  return fail("unsupported SIMD instruction");
}

}  // namespace atl::compiler

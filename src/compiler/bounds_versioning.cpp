// Bounds checks hoisted out of innermost loops by versioning.
//
// Every wasm memory access is compiled as `if (ea + size > memory_size) trap; access` (in
// guard-page mode too, until guard_elision.cpp removes what the hardware makes redundant, after
// optimisation). Inside a loop each check is an early exit, and LLVM's loop vectorizer gives up
// on loops with more than one exit, so array loops that clang vectorises natively stay scalar
// (a 2x gap on matrix products and stencils).
//
// When the loop's trip count n is known on entry and every checked end address is built from
// affine recurrences of the loop (start + step * k), loop invariants and constants by adds,
// constant multiples and zero extensions, its range over iterations 0..n can be computed before
// the loop: exactly, in 128 bits, with the conditions that no narrow value that is zero-extended
// (a 32-bit wasm address) and no 64-bit end wrapped (RangeBuilder). One test in the preheader
// then says whether any check could fail: if none can, a copy of the loop without the checks
// runs (and may be vectorised, since nothing in it can trap); otherwise the original loop,
// checks and all, runs and traps exactly where it would have. The test is conservative (it
// assumes every check runs on every iteration, even in a branch not taken, and up to the
// latch's exit count even if the loop leaves earlier), so its only error is to pick the
// original loop.
#include "compiler/bounds_versioning.h"

#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/ScalarEvolution.h>
#include <llvm/Analysis/ScalarEvolutionExpressions.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PatternMatch.h>
#include <llvm/Transforms/Utils/BasicBlockUtils.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <llvm/Transforms/Utils/Local.h>
#include <llvm/Transforms/Utils/LoopUtils.h>
#include <llvm/Transforms/Utils/ScalarEvolutionExpander.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "abi/abi.h"

namespace atl::compiler {
namespace {

// Larger loops are left alone: versioning doubles their code.
constexpr unsigned kMaxLoopInstructions = 400;

// A block that ends in the out-of-bounds trap (the compiler's shared trap block, with perhaps
// stores LLVM sank into it: they are left as they are).
bool is_oob_trap(const llvm::BasicBlock* bb) {
  if (!llvm::isa<llvm::UnreachableInst>(bb->getTerminator())) return false;
  for (const llvm::Instruction& i : *bb) {
    const auto* call = llvm::dyn_cast<llvm::CallInst>(&i);
    if (!call) continue;
    const llvm::Function* callee = call->getCalledFunction();
    if (!callee || callee->getName() != std::string(abi::kBuiltinPrefix) + "trap" || call->arg_size() < 2) return false;
    const auto* code = llvm::dyn_cast<llvm::ConstantInt>(call->getArgOperand(1));
    return code && code->getZExtValue() == static_cast<uint64_t>(abi::TrapCode::MemoryOutOfBounds);
  }
  return false;
}

// One bounds check of the loop: its branch and the in-bounds successor, and what it compares
// (trap when end >u limit for any of the pairs: LLVM may have merged several checks into one
// branch on an `or` of comparisons).
struct Check {
  llvm::BranchInst* branch;
  llvm::BasicBlock* in_bounds;
  std::vector<std::pair<const llvm::SCEV*, llvm::Value*>> ends;  // (end, limit)
};

// Collects the (end, limit) pairs of a condition that is true exactly when one of them has
// end >u limit (`trap_when` true), or when all have end <=u limit (`trap_when` false).
bool collect_comparisons(llvm::Value* cond, bool trap_when, const llvm::Loop& loop, llvm::ScalarEvolution& se,
                         std::vector<std::pair<const llvm::SCEV*, llvm::Value*>>& out) {
  using namespace llvm::PatternMatch;
  llvm::Value* a;
  llvm::Value* b;
  // trap when a || b: each may trap. Not trapping when a && b: each must hold.
  if (trap_when ? match(cond, m_LogicalOr(m_Value(a), m_Value(b))) : match(cond, m_LogicalAnd(m_Value(a), m_Value(b)))) {
    return collect_comparisons(a, trap_when, loop, se, out) && collect_comparisons(b, trap_when, loop, se, out);
  }
  auto* cmp = llvm::dyn_cast<llvm::ICmpInst>(cond);
  if (!cmp) return false;
  llvm::ICmpInst::Predicate p = cmp->getPredicate();
  if (!trap_when) p = llvm::ICmpInst::getInversePredicate(p);
  llvm::Value* end;
  llvm::Value* limit;
  if (p == llvm::ICmpInst::ICMP_UGT) {
    end = cmp->getOperand(0);
    limit = cmp->getOperand(1);
  } else if (p == llvm::ICmpInst::ICMP_ULT) {
    end = cmp->getOperand(1);
    limit = cmp->getOperand(0);
  } else {
    return false;
  }
  if (!end->getType()->isIntegerTy(64) || !loop.isLoopInvariant(limit)) return false;
  out.emplace_back(se.getSCEV(end), limit);
  return true;
}

// The branch of `bb` to an out-of-bounds trap, as a Check; nullopt if it is not one.
std::optional<Check> as_check(llvm::BasicBlock* bb, const llvm::Loop& loop, llvm::ScalarEvolution& se) {
  auto* br = llvm::dyn_cast<llvm::BranchInst>(bb->getTerminator());
  if (!br || !br->isConditional()) return std::nullopt;
  const unsigned trap_index = loop.contains(br->getSuccessor(0)) ? 1 : 0;
  if (loop.contains(br->getSuccessor(trap_index)) || !loop.contains(br->getSuccessor(1 - trap_index))) return std::nullopt;
  if (!is_oob_trap(br->getSuccessor(trap_index))) return std::nullopt;
  Check c{br, br->getSuccessor(1 - trap_index), {}};
  if (!collect_comparisons(br->getCondition(), trap_index == 0, loop, se, c.ends)) return std::nullopt;
  return c;
}

struct Candidate {
  llvm::Loop* loop;
  std::vector<Check> checks;
  const llvm::SCEV* exit_count;
};

std::optional<Candidate> candidate(llvm::Loop* loop, llvm::ScalarEvolution& se) {
  llvm::BasicBlock* latch = loop->getLoopLatch();
  if (!loop->isInnermost() || !loop->getLoopPreheader() || !latch) return std::nullopt;
  unsigned size = 0;
  for (llvm::BasicBlock* bb : loop->blocks()) size += static_cast<unsigned>(bb->size());
  if (size > kMaxLoopInstructions) return std::nullopt;
  Candidate c{loop, {}, nullptr};
  llvm::SmallVector<llvm::BasicBlock*, 8> exiting;
  loop->getExitingBlocks(exiting);
  for (llvm::BasicBlock* bb : exiting) {
    if (bb == latch) continue;
    auto check = as_check(bb, *loop, se);
    if (!check) return std::nullopt;  // another kind of exit: the copy would not vectorise
    c.checks.push_back(std::move(*check));
  }
  if (c.checks.empty()) return std::nullopt;
  // The latch must leave the loop normally, after a number of iterations known on entry.
  auto* latch_br = llvm::dyn_cast<llvm::BranchInst>(latch->getTerminator());
  if (!latch_br || !latch_br->isConditional()) return std::nullopt;
  for (llvm::BasicBlock* succ : latch_br->successors()) {
    if (!loop->contains(succ) && is_oob_trap(succ)) return std::nullopt;
  }
  c.exit_count = se.getExitCount(loop, latch);
  if (llvm::isa<llvm::SCEVCouldNotCompute>(c.exit_count) || !c.exit_count->getType()->isIntegerTy() ||
      c.exit_count->getType()->getIntegerBitWidth() > 64) {
    return std::nullopt;
  }
  return c;
}

// Bounds of a SCEV over iterations 0 ..= n of the loop, as exact integers in 128 bits: the
// mathematical value of the expression, whose machine value is the same modulo 2^width (add and
// multiply wrap consistently). Where the machine value is used at a greater width (zext, sext, and
// the 64-bit end address itself) the mathematical range must fit the narrow width, and then
// machine value = mathematical value. Conditions for that accumulate in `ok`.
class RangeBuilder {
 public:
  RangeBuilder(llvm::ScalarEvolution& se, const llvm::Loop& loop, llvm::Instruction* at, llvm::Value* n)
      : se_(se), loop_(loop), at_(at), b_(at), expander_(se, at->getModule()->getDataLayout(), "atl.bounds"), n_(n),
        ok_(b_.getTrue()) {}

  struct Range {
    llvm::Value* lo;
    llvm::Value* hi;
    unsigned bits;  // |value| < 2^bits, statically: keeps the 128-bit arithmetic exact
  };

  // The range of `s`, or nullopt if it is not of a shape understood here.
  std::optional<Range> range(const llvm::SCEV* s) {
    if (const auto* c = llvm::dyn_cast<llvm::SCEVConstant>(s)) {
      // Signed: constants subtracted appear as large unsigned ones; modulo 2^width it is the same.
      const llvm::APInt& v = c->getAPInt();
      if (v.getSignificantBits() > 64) return std::nullopt;
      llvm::Value* k = llvm::ConstantInt::get(wide(), v.sext(128));
      return Range{k, k, v.getSignificantBits()};
    }
    if (se_.isLoopInvariant(s, &loop_)) {
      if (!expander_.isSafeToExpandAt(s, at_)) return std::nullopt;
      llvm::Value* v = b_.CreateZExt(expander_.expandCodeFor(s, s->getType(), at_), wide());
      const unsigned w = s->getType()->getIntegerBitWidth();
      if (w > 64) return std::nullopt;
      return Range{v, v, w + 1};
    }
    if (const auto* z = llvm::dyn_cast<llvm::SCEVZeroExtendExpr>(s)) {
      auto r = range(z->getOperand());
      if (!r) return std::nullopt;
      require_within(*r, z->getOperand()->getType()->getIntegerBitWidth());
      return r;
    }
    if (const auto* x = llvm::dyn_cast<llvm::SCEVSignExtendExpr>(s)) {
      // From address_flags.cpp: zero extensions of values proven never negative.
      auto r = range(x->getOperand());
      if (!r) return std::nullopt;
      require_within_signed(*r, x->getOperand()->getType()->getIntegerBitWidth());
      return r;
    }
    if (const auto* add = llvm::dyn_cast<llvm::SCEVAddExpr>(s)) {
      std::optional<Range> sum;
      for (const llvm::SCEV* op : add->operands()) {
        auto r = range(op);
        if (!r) return std::nullopt;
        sum = sum ? Range{b_.CreateAdd(sum->lo, r->lo), b_.CreateAdd(sum->hi, r->hi), std::max(sum->bits, r->bits) + 1} : r;
      }
      return checked(sum);
    }
    if (const auto* mul = llvm::dyn_cast<llvm::SCEVMulExpr>(s)) {
      // Only constant * x.
      const auto* c = mul->getNumOperands() == 2 ? llvm::dyn_cast<llvm::SCEVConstant>(mul->getOperand(0)) : nullptr;
      if (!c || c->getAPInt().getSignificantBits() > 33) return std::nullopt;
      auto r = range(mul->getOperand(1));
      if (!r) return std::nullopt;
      return checked(scale(*r, c->getAPInt().sext(128), c->getAPInt().getSignificantBits()));
    }
    if (const auto* rec = llvm::dyn_cast<llvm::SCEVAddRecExpr>(s)) {
      // start + step * k for k in [0, n]: the extremes are at k = 0 and k = n.
      const auto* step = llvm::dyn_cast<llvm::SCEVConstant>(rec->getStepRecurrence(se_));
      if (rec->getLoop() != &loop_ || !rec->isAffine() || !step || step->getAPInt().getSignificantBits() > 33) {
        return std::nullopt;
      }
      auto start = range(rec->getStart());
      if (!start) return std::nullopt;
      Range travel = scale(Range{llvm::ConstantInt::get(wide(), 0), n_, kCountBits + 1}, step->getAPInt().sext(128),
                           step->getAPInt().getSignificantBits());
      return checked(Range{b_.CreateAdd(start->lo, travel.lo), b_.CreateAdd(start->hi, travel.hi),
                           std::max(start->bits, travel.bits) + 1});
    }
    return std::nullopt;
  }

  // The machine value of a `bits`-wide expression equals its mathematical value.
  void require_within(const Range& r, unsigned bits) {
    llvm::Value* top = llvm::ConstantInt::get(wide(), llvm::APInt::getOneBitSet(128, bits));
    ok_ = b_.CreateAnd(ok_, b_.CreateAnd(b_.CreateICmpSGE(r.lo, llvm::ConstantInt::get(wide(), 0)),
                                          b_.CreateICmpSLT(r.hi, top)));
  }
  // The same for a value read as signed.
  void require_within_signed(const Range& r, unsigned bits) {
    llvm::Value* top = llvm::ConstantInt::get(wide(), llvm::APInt::getOneBitSet(128, bits - 1));
    llvm::Value* bottom = llvm::ConstantInt::get(wide(), -llvm::APInt::getOneBitSet(128, bits - 1));
    ok_ = b_.CreateAnd(ok_, b_.CreateAnd(b_.CreateICmpSGE(r.lo, bottom), b_.CreateICmpSLT(r.hi, top)));
  }
  void require(llvm::Value* cond) { ok_ = b_.CreateAnd(ok_, cond); }
  llvm::IRBuilder<>& builder() { return b_; }
  llvm::Type* wide() { return b_.getIntNTy(128); }
  llvm::Value* ok() const { return ok_; }

  // Loops of more iterations than this take the checked copy (keeps the arithmetic in range).
  static constexpr unsigned kCountBits = 40;

 private:
  Range scale(const Range& r, const llvm::APInt& k, unsigned k_bits) {
    llvm::Value* kv = llvm::ConstantInt::get(wide(), k);
    llvm::Value* a = b_.CreateMul(r.lo, kv);
    llvm::Value* c = b_.CreateMul(r.hi, kv);
    if (k.isNegative()) std::swap(a, c);
    return Range{a, c, r.bits + k_bits};
  }
  std::optional<Range> checked(std::optional<Range> r) {
    if (r && r->bits > 120) return std::nullopt;
    return r;
  }

  llvm::ScalarEvolution& se_;
  const llvm::Loop& loop_;
  llvm::Instruction* at_;
  llvm::IRBuilder<> b_;
  llvm::SCEVExpander expander_;
  llvm::Value* n_;
  llvm::Value* ok_;
};

// In the preheader: true when no check of `c` can fail on iterations 0 ..= exit count. Null if
// some value cannot be computed there.
llvm::Value* emit_range_test(const Candidate& c, llvm::ScalarEvolution& se, llvm::Instruction* at) {
  llvm::SCEVExpander expander(se, at->getModule()->getDataLayout(), "atl.bounds");
  if (!expander.isSafeToExpandAt(c.exit_count, at)) return nullptr;
  llvm::Value* count = expander.expandCodeFor(c.exit_count, c.exit_count->getType(), at);
  llvm::IRBuilder<> b(at);
  llvm::Value* n = b.CreateZExt(count, b.getIntNTy(128));
  RangeBuilder rb(se, *c.loop, at, n);
  rb.require(b.CreateICmpULT(n, llvm::ConstantInt::get(n->getType(), uint64_t{1} << RangeBuilder::kCountBits)));
  for (const Check& check : c.checks) {
    for (const auto& [end, limit] : check.ends) {
      auto r = rb.range(end);
      if (!r) return nullptr;
      rb.require_within(*r, 64);  // the i64 end address is its mathematical value ...
      llvm::IRBuilder<>& ib = rb.builder();
      rb.require(ib.CreateICmpULE(r->hi, ib.CreateZExt(limit, rb.wide())));  // ... and within the memory
    }
  }
  return rb.ok();
}

// Values of `loop` used after it reach its exits through phis (LCSSA): give each phi the clone's
// value for the clone's edge.
void add_clone_edges(llvm::Loop& loop, llvm::ValueToValueMapTy& vmap) {
  llvm::SmallVector<llvm::BasicBlock*, 8> exits;
  loop.getUniqueExitBlocks(exits);
  for (llvm::BasicBlock* exit : exits) {
    for (llvm::PHINode& phi : exit->phis()) {
      const unsigned n = phi.getNumIncomingValues();
      for (unsigned k = 0; k < n; ++k) {
        llvm::BasicBlock* from = phi.getIncomingBlock(k);
        if (!loop.contains(from)) continue;
        llvm::Value* v = phi.getIncomingValue(k);
        llvm::Value* mapped = vmap.lookup(v);
        phi.addIncoming(mapped ? mapped : v, llvm::cast<llvm::BasicBlock>(vmap[from]));
      }
    }
  }
}

bool version(const Candidate& c, llvm::Function& f, llvm::LoopInfo& li, llvm::DominatorTree& dt,
             llvm::ScalarEvolution& se) {
  llvm::Loop* loop = c.loop;
  llvm::formLCSSA(*loop, dt, &li, &se);
  llvm::BasicBlock* test_bb = loop->getLoopPreheader();
  llvm::Value* in_bounds = emit_range_test(c, se, test_bb->getTerminator());
  if (!in_bounds) return false;  // the test's dead instructions are left for later passes
  llvm::BasicBlock* fast_ph = llvm::SplitBlock(test_bb, test_bb->getTerminator(), &dt, &li, nullptr, "atl.inbounds.ph");
  llvm::ValueToValueMapTy vmap;
  llvm::SmallVector<llvm::BasicBlock*, 16> cloned;
  llvm::Loop* slow = llvm::cloneLoopWithPreheader(fast_ph, test_bb, loop, vmap, ".checked", &li, &dt, cloned);
  llvm::remapInstructionsInBlocks(cloned, vmap);
  add_clone_edges(*loop, vmap);
  llvm::Instruction* old = test_bb->getTerminator();
  llvm::BranchInst::Create(fast_ph, slow->getLoopPreheader(), in_bounds, old);
  old->eraseFromParent();
  // The original loop is the copy that runs in bounds: its checks go.
  for (const Check& check : c.checks) {
    llvm::BasicBlock* from = check.branch->getParent();
    for (llvm::BasicBlock* succ : check.branch->successors()) {
      if (succ != check.in_bounds) succ->removePredecessor(from);  // its LCSSA phis, say
    }
    llvm::Value* cond = check.branch->getCondition();
    llvm::BranchInst::Create(check.in_bounds, check.branch);
    check.branch->eraseFromParent();
    // The comparisons go too: the vectorizer runs next, and an address still used by a dead
    // compare is not "only an address" to it (it then keeps the addresses in a vector and
    // extracts one per access).
    llvm::RecursivelyDeleteTriviallyDeadInstructions(cond);
  }
  dt.recalculate(f);
  se.forgetLoop(loop);
  return true;
}

}  // namespace

llvm::PreservedAnalyses BoundsVersioningPass::run(llvm::Function& f, llvm::FunctionAnalysisManager& fam) {
  if (f.isDeclaration() || f.hasOptNone()) return llvm::PreservedAnalyses::all();
  auto& li = fam.getResult<llvm::LoopAnalysis>(f);
  auto& dt = fam.getResult<llvm::DominatorTreeAnalysis>(f);
  auto& se = fam.getResult<llvm::ScalarEvolutionAnalysis>(f);
  std::vector<llvm::Loop*> innermost;
  for (llvm::Loop* l : li.getLoopsInPreorder()) {
    if (l->isInnermost()) innermost.push_back(l);
  }
  bool changed = false;
  for (llvm::Loop* l : innermost) {
    auto c = candidate(l, se);
    if (c && version(*c, f, li, dt, se)) changed = true;
  }
  return changed ? llvm::PreservedAnalyses::none() : llvm::PreservedAnalyses::all();
}

}  // namespace atl::compiler

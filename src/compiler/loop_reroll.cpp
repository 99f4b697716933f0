// Why: clang's wasm32 target unrolls small loops (four copies of the body per iteration, one
// accumulator), and wasm has no vector code unless the program was built for SIMD. The
// reduction `for (i) { s += (int64_t)v[i] * v[i]; m = max(m, v[i]); }` reaches atoll as
// `s = s + f(v[i]) + f(v[i+1]) + f(v[i+2]) + f(v[i+3])` with i stepping by 4. LLVM's loop
// vectorizer sees a stride-4 interleaved group there, which needs shuffles to split into lanes;
// at x86-64-v2 their cost makes it keep the loop scalar (bench/kernels/reduce.c: 1.3x native,
// which vectorises the plain loop with pmuldq and pmaxsd). LLVM's own loop reroller is gone
// (removed in LLVM 19). Rolling the copies back into one lets the vectorizer see the plain loop.
//
// What is rolled, and why it keeps wasm semantics:
// - The loop is innermost and straight-line (one exit, at the latch), with no stores, calls or
//   other side effects: only loads and pure arithmetic. Its accesses then cannot have been
//   checked (a check is a branch), so this is a loop bounds versioning proved in bounds, and no
//   access in it can trap; reordering its loads is unobservable.
// - Every header phi but the induction variable is a reduction: its next value is a chain of
//   one associative, commutative integer operation over the phi and K leaves, through steps
//   used only in the chain. Integer add and mul wrap, min/max/and/or/xor are exact: combining
//   the same K*n leaves in another order gives the same value. Floating point is never rolled.
// - The K leaves of every reduction are isomorphic trees: copy j is copy 0 with each load's
//   address moved by j * (step / K) bytes (proven with scalar evolution), and every other
//   operand identical. Nothing in a copy may be used outside the loop, and the induction
//   variable may only reach load addresses and the exit test.
// - The exit test is `iv.next == end` (or !=): `end` is reached by the smaller step too, after
//   K times as many iterations.
// Rolling keeps copy 0, divides the step by K, and makes each reduction `phi op leaf0`; the
// other copies are then dead.
#include "compiler/loop_reroll.h"

#include <llvm/ADT/DenseMap.h>
#include <llvm/ADT/SmallPtrSet.h>
#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/OptimizationRemarkEmitter.h>
#include <llvm/Analysis/ScalarEvolution.h>
#include <llvm/Analysis/ScalarEvolutionExpressions.h>
#include <llvm/Analysis/ValueTracking.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/Transforms/Utils/Local.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

namespace atl::compiler {
namespace {

constexpr unsigned kMaxCopies = 16;
constexpr unsigned kMaxChainSteps = 64;
constexpr unsigned kMaxLoopInstructions = 300;

// The operation of a reduction step: a binary opcode, or a min/max intrinsic.
struct StepKind {
  unsigned opcode = 0;
  llvm::Intrinsic::ID intrinsic = llvm::Intrinsic::not_intrinsic;
  bool operator==(const StepKind&) const = default;
  bool valid() const { return opcode != 0 || intrinsic != llvm::Intrinsic::not_intrinsic; }
};

StepKind kind_of(const llvm::Value* v) {
  if (!v->getType()->isIntegerTy()) return {};
  if (const auto* bo = llvm::dyn_cast<llvm::BinaryOperator>(v)) {
    switch (bo->getOpcode()) {
      case llvm::Instruction::Add: case llvm::Instruction::Mul: case llvm::Instruction::And:
      case llvm::Instruction::Or: case llvm::Instruction::Xor:
        return {bo->getOpcode(), llvm::Intrinsic::not_intrinsic};
      default: return {};
    }
  }
  if (const auto* mm = llvm::dyn_cast<llvm::MinMaxIntrinsic>(v)) return {0, mm->getIntrinsicID()};
  return {};
}

struct Reduction {
  llvm::PHINode* phi = nullptr;
  llvm::Instruction* root = nullptr;  // the phi's value from the latch
  StepKind kind;
  std::vector<llvm::Instruction*> steps;
  std::vector<llvm::Value*> leaves;
};

// The chain from `root` back to `phi` through steps of one kind used only by the next step.
std::optional<Reduction> reduction_of(llvm::PHINode* phi, llvm::BasicBlock* latch, const llvm::Loop* l) {
  Reduction r;
  r.phi = phi;
  r.root = llvm::dyn_cast<llvm::Instruction>(phi->getIncomingValueForBlock(latch));
  if (!r.root || !l->contains(r.root)) return std::nullopt;
  r.kind = kind_of(r.root);
  if (!r.kind.valid()) return std::nullopt;
  unsigned phi_seen = 0;
  std::vector<llvm::Value*> work{r.root};
  while (!work.empty()) {
    llvm::Value* v = work.back();
    work.pop_back();
    if (v == phi) {
      ++phi_seen;
      continue;
    }
    auto* i = llvm::dyn_cast<llvm::Instruction>(v);
    if (i && l->contains(i) && kind_of(i) == r.kind && (i == r.root || i->hasOneUse())) {
      if (r.steps.size() >= kMaxChainSteps) return std::nullopt;
      r.steps.push_back(i);
      work.push_back(i->getOperand(1));
      work.push_back(i->getOperand(0));
      continue;
    }
    r.leaves.push_back(v);
  }
  // The phi itself feeds only the chain: anything else would see its per-iteration values.
  if (phi_seen != 1 || !phi->hasOneUse()) return std::nullopt;
  return r;
}

class Reroller {
 public:
  Reroller(llvm::Loop* l, llvm::ScalarEvolution& se) : l_(l), se_(se) {}

  bool run() {
    if (!analyse()) return false;
    transform();
    return true;
  }
  unsigned copies() const { return copies_; }

 private:
  // The lane (copy) of a load, from its address's offset within its stream.
  std::optional<unsigned> lane_of(llvm::LoadInst* load) const {
    auto it = lane_.find(load);
    if (it == lane_.end()) return std::nullopt;
    return it->second;
  }

  bool analyse() {
    if (!l_->isInnermost() || l_->getNumBlocks() > 8) return false;
    header_ = l_->getHeader();
    latch_ = l_->getLoopLatch();
    if (!latch_ || !l_->getLoopPreheader() || l_->getExitingBlock() != latch_) return false;
    // Straight line: every block but the latch goes on unconditionally.
    unsigned count = 0;
    for (llvm::BasicBlock* bb : l_->blocks()) {
      if (bb != latch_) {
        auto* br = llvm::dyn_cast<llvm::BranchInst>(bb->getTerminator());
        if (!br || br->isConditional()) return false;
      }
      if (bb != header_ && llvm::isa<llvm::PHINode>(bb->front())) return false;  // phis only in the header
      for (llvm::Instruction& i : *bb) {
        if (++count > kMaxLoopInstructions) return false;
        if (auto* load = llvm::dyn_cast<llvm::LoadInst>(&i)) {
          if (!load->isSimple()) return false;
          loads_.push_back(load);
          continue;
        }
        if (i.mayReadOrWriteMemory() || i.mayHaveSideEffects() || !llvm::isSafeToSpeculativelyExecute(&i)) {
          if (!i.isTerminator() && !llvm::isa<llvm::PHINode>(&i) && !llvm::isa<llvm::DbgInfoIntrinsic>(&i)) return false;
        }
      }
    }
    if (!find_induction() || !find_reductions() || !assign_lanes() || !match_copies()) return false;
    return only_used_inside();
  }

  // iv = phi [start, preheader], [iv + step, latch]; exit when iv.next == end (or !=).
  bool find_induction() {
    auto* br = llvm::dyn_cast<llvm::BranchInst>(latch_->getTerminator());
    if (!br || !br->isConditional()) return false;
    auto* cmp = llvm::dyn_cast<llvm::ICmpInst>(br->getCondition());
    if (!cmp || !cmp->isEquality() || !cmp->hasOneUse()) return false;
    for (llvm::PHINode& phi : header_->phis()) {
      auto* next = llvm::dyn_cast<llvm::BinaryOperator>(phi.getIncomingValueForBlock(latch_));
      if (!next || next->getOpcode() != llvm::Instruction::Add || next->getOperand(0) != &phi) continue;
      auto* step = llvm::dyn_cast<llvm::ConstantInt>(next->getOperand(1));
      if (!step || step->isZero()) continue;
      const unsigned other = cmp->getOperand(0) == next ? 1 : cmp->getOperand(1) == next ? 0 : 2;
      if (other == 2 || !l_->isLoopInvariant(cmp->getOperand(other))) continue;
      iv_ = &phi;
      iv_next_ = next;
      step_ = step->getSExtValue();
      exit_cmp_ = cmp;
      return true;
    }
    return false;
  }

  bool find_reductions() {
    for (llvm::PHINode& phi : header_->phis()) {
      if (&phi == iv_) continue;
      auto r = reduction_of(&phi, latch_, l_);
      if (!r) return false;
      if (copies_ == 0) copies_ = static_cast<unsigned>(r->leaves.size());
      if (r->leaves.size() != copies_) return false;
      reductions_.push_back(std::move(*r));
    }
    if (reductions_.empty() || copies_ < 2 || copies_ > kMaxCopies) return false;
    return step_ % static_cast<int64_t>(copies_) == 0;
  }

  // Where a load reads, as scalar evolution sees it: either the address itself is an affine
  // recurrence of the loop (wasm addresses IndVars widened to i64), or it is a loop-invariant
  // pointer plus the zero or sign extension of a narrow affine recurrence (a wasm i32 address
  // whose wrapping nothing proves impossible). Loads are comparable (one group) when the rest
  // matches; within a group `start` differs by constants, in the recurrence's own type (so a
  // difference inside a wrapping i32 stays inside it).
  struct Access {
    const llvm::SCEV* invariant = nullptr;  // the pointer outside the recurrence (null: none)
    unsigned extension = 0;                 // 0, or llvm::Instruction::ZExt / SExt
    const llvm::SCEVAddRecExpr* rec = nullptr;
  };

  std::optional<Access> access_of(llvm::LoadInst* load) const {
    const llvm::SCEV* p = se_.getSCEV(load->getPointerOperand());
    auto affine_here = [&](const llvm::SCEV* s) -> const llvm::SCEVAddRecExpr* {
      const auto* rec = llvm::dyn_cast<llvm::SCEVAddRecExpr>(s);
      if (!rec || rec->getLoop() != l_ || !rec->isAffine() || !llvm::isa<llvm::SCEVConstant>(rec->getStepRecurrence(se_))) {
        return nullptr;
      }
      return rec;
    };
    if (const auto* rec = affine_here(p)) return Access{nullptr, 0, rec};
    const auto* sum = llvm::dyn_cast<llvm::SCEVAddExpr>(p);
    if (!sum) return std::nullopt;
    Access a;
    llvm::SmallVector<const llvm::SCEV*, 4> rest;
    for (const llvm::SCEV* op : sum->operands()) {
      if (se_.isLoopInvariant(op, l_)) {
        rest.push_back(op);
        continue;
      }
      if (a.rec) return std::nullopt;  // one varying part only
      const auto* cast = llvm::dyn_cast<llvm::SCEVIntegralCastExpr>(op);
      if (!cast || !(llvm::isa<llvm::SCEVZeroExtendExpr>(cast) || llvm::isa<llvm::SCEVSignExtendExpr>(cast))) return std::nullopt;
      a.rec = affine_here(cast->getOperand());
      if (!a.rec) return std::nullopt;
      a.extension = llvm::isa<llvm::SCEVZeroExtendExpr>(cast) ? llvm::Instruction::ZExt : llvm::Instruction::SExt;
    }
    if (!a.rec || rest.empty()) return std::nullopt;
    a.invariant = se_.getAddExpr(rest);
    return a;
  }

  // Each load's recurrence must advance by the same amount per iteration; loads of one group
  // whose starts are less than that apart are one stream, and a load's lane is its offset in its
  // stream divided by the per-copy distance.
  bool assign_lanes() {
    if (loads_.empty()) return false;
    struct Group {
      Access first;
      std::vector<std::pair<int64_t, llvm::LoadInst*>> offsets;
    };
    std::vector<Group> groups;
    for (llvm::LoadInst* load : loads_) {
      const auto access = access_of(load);
      if (!access) return false;
      const int64_t step = llvm::cast<llvm::SCEVConstant>(access->rec->getStepRecurrence(se_))->getAPInt().getSExtValue();
      if (step_per_iteration_ == 0) step_per_iteration_ = step;
      if (step != step_per_iteration_ || step <= 0) return false;
      Group* group = nullptr;
      for (Group& g : groups) {
        if (g.first.invariant == access->invariant && g.first.extension == access->extension &&
            g.first.rec->getType() == access->rec->getType()) {
          group = &g;
        }
      }
      if (!group) group = &groups.emplace_back(Group{*access, {}});
      const auto* diff = llvm::dyn_cast<llvm::SCEVConstant>(se_.getMinusSCEV(access->rec->getStart(), group->first.rec->getStart()));
      if (!diff || diff->getAPInt().getSignificantBits() > 40) return false;
      group->offsets.push_back({diff->getAPInt().getSExtValue(), load});
      group_[load] = static_cast<unsigned>(group - groups.data());
    }
    if (step_per_iteration_ % copies_ != 0) return false;
    distance_ = step_per_iteration_ / copies_;
    for (Group& g : groups) {
      std::sort(g.offsets.begin(), g.offsets.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      int64_t stream_base = g.offsets.front().first;
      for (const auto& [offset, load] : g.offsets) {
        if (offset - stream_base >= step_per_iteration_) stream_base = offset;
        const int64_t in_stream = offset - stream_base;
        if (in_stream % distance_ != 0) return false;
        lane_[load] = static_cast<unsigned>(in_stream / distance_);
        offset_[load] = offset;
      }
    }
    return true;
  }

  // The lane of a leaf: that of every load in its tree (the tree must have loads, and only
  // this loop's loads, pure instructions and loop invariants).
  std::optional<unsigned> leaf_lane(llvm::Value* leaf) const {
    std::optional<unsigned> lane;
    std::vector<llvm::Value*> work{leaf};
    llvm::SmallPtrSet<llvm::Value*, 16> seen;
    while (!work.empty()) {
      llvm::Value* v = work.back();
      work.pop_back();
      auto* i = llvm::dyn_cast<llvm::Instruction>(v);
      if (!i || !l_->contains(i) || !seen.insert(v).second) continue;
      if (llvm::isa<llvm::PHINode>(i)) return std::nullopt;  // the iv, or another reduction
      if (auto* load = llvm::dyn_cast<llvm::LoadInst>(i)) {
        const auto l = lane_of(load);
        if (!l || (lane && *lane != *l)) return std::nullopt;
        lane = l;
        continue;  // its address is scalar evolution's business
      }
      for (llvm::Value* op : i->operands()) work.push_back(op);
    }
    return lane;
  }

  // Copy `lane` of a tree is copy 0 with addresses moved by lane * distance.
  bool same_tree(llvm::Value* a, llvm::Value* b, unsigned lane, llvm::DenseMap<llvm::Value*, llvm::Value*>& map) const {
    auto* ia = llvm::dyn_cast<llvm::Instruction>(a);
    auto* ib = llvm::dyn_cast<llvm::Instruction>(b);
    const bool a_inside = ia && l_->contains(ia), b_inside = ib && l_->contains(ib);
    if (!a_inside || !b_inside) return !a_inside && !b_inside && a == b;
    if (auto it = map.find(a); it != map.end()) return it->second == b;
    if (ia->getOpcode() != ib->getOpcode() || ia->getType() != ib->getType() ||
        ia->getNumOperands() != ib->getNumOperands() || llvm::isa<llvm::PHINode>(ia)) {
      return false;
    }
    if (auto* la = llvm::dyn_cast<llvm::LoadInst>(ia)) {
      auto* lb = llvm::cast<llvm::LoadInst>(ib);
      const auto oa = offset_.find(la), ob = offset_.find(lb);
      if (oa == offset_.end() || ob == offset_.end() || group_.lookup(la) != group_.lookup(lb) ||
          ob->second - oa->second != lane * distance_) {
        return false;
      }
      map[a] = b;
      return true;
    }
    if (auto* ca = llvm::dyn_cast<llvm::CmpInst>(ia)) {
      if (ca->getPredicate() != llvm::cast<llvm::CmpInst>(ib)->getPredicate()) return false;
    }
    if (auto* ca = llvm::dyn_cast<llvm::CallInst>(ia)) {
      if (ca->getCalledOperand() != llvm::cast<llvm::CallInst>(ib)->getCalledOperand()) return false;
    }
    // The same flags too (nsw, exact, inbounds...): copy 0 will compute copy j's values, and a
    // flag only copy 0 had could make one of them poison.
    if (!ia->isSameOperationAs(ib, llvm::Instruction::CompareIgnoringAlignment) ||
        ia->getRawSubclassOptionalData() != ib->getRawSubclassOptionalData()) {
      return false;
    }
    map[a] = b;
    for (unsigned k = 0; k < ia->getNumOperands(); ++k) {
      if (!same_tree(ia->getOperand(k), ib->getOperand(k), lane, map)) return false;
    }
    return true;
  }

  // An operation that keeps a value derived from the induction variable a linear function of it
  // (modulo its width), so evaluating it at the rolled loop's in-between values of the variable
  // gives what the other copies computed: scalar evolution's view of an address holds for the
  // values the unrolled loop saw, and `iv & -16` or `or disjoint iv, 4` (exact for multiples of
  // 16) is not linear in between.
  bool linear_in_iv(const llvm::Instruction* user, const llvm::Value* from) const {
    if (llvm::isa<llvm::GetElementPtrInst, llvm::ZExtInst, llvm::SExtInst, llvm::TruncInst>(user)) return true;
    const auto* bo = llvm::dyn_cast<llvm::BinaryOperator>(user);
    if (!bo) return false;
    const llvm::Value* other = bo->getOperand(0) == from ? bo->getOperand(1) : bo->getOperand(0);
    switch (bo->getOpcode()) {
      case llvm::Instruction::Add: case llvm::Instruction::Sub: return true;
      case llvm::Instruction::Mul: return llvm::isa<llvm::ConstantInt>(other);
      case llvm::Instruction::Shl: return bo->getOperand(0) == from && llvm::isa<llvm::ConstantInt>(other);
      default: return false;
    }
  }

  bool match_copies() {
    std::vector<llvm::DenseMap<llvm::Value*, llvm::Value*>> maps(copies_);  // one mapping per lane
    for (Reduction& r : reductions_) {
      std::vector<llvm::Value*> by_lane(copies_, nullptr);
      for (llvm::Value* leaf : r.leaves) {
        const auto lane = leaf_lane(leaf);
        if (!lane || *lane >= copies_ || by_lane[*lane]) return false;
        by_lane[*lane] = leaf;
      }
      for (unsigned lane = 1; lane < copies_; ++lane) {
        if (!same_tree(by_lane[0], by_lane[lane], lane, maps[lane])) return false;
      }
      r.leaves = std::move(by_lane);
    }
    // The induction variable may only reach load addresses (and its own step and the exit test).
    std::vector<llvm::Value*> work{iv_};
    llvm::SmallPtrSet<llvm::Value*, 16> seen;
    while (!work.empty()) {
      llvm::Value* v = work.back();
      work.pop_back();
      if (!seen.insert(v).second) continue;
      for (llvm::User* u : v->users()) {
        auto* ui = llvm::dyn_cast<llvm::Instruction>(u);
        if (!ui || !l_->contains(ui)) return false;  // seen after the loop: its last value changes
        if (ui == iv_next_ || ui == exit_cmp_) continue;
        if (auto* load = llvm::dyn_cast<llvm::LoadInst>(ui)) {
          if (load->getPointerOperand() != v) return false;
          continue;
        }
        if (!linear_in_iv(ui, v)) return false;
        work.push_back(ui);
      }
    }
    return true;
  }

  // Values computed in the loop and seen after it: only the reductions' results and iv.next
  // (whose last value is `end` either way).
  bool only_used_inside() const {
    llvm::SmallPtrSet<const llvm::Value*, 8> allowed{iv_next_};
    for (const Reduction& r : reductions_) allowed.insert(r.root);
    for (llvm::BasicBlock* bb : l_->blocks()) {
      for (llvm::Instruction& i : *bb) {
        if (allowed.contains(&i)) continue;
        for (llvm::User* u : i.users()) {
          auto* ui = llvm::dyn_cast<llvm::Instruction>(u);
          if (!ui || !l_->contains(ui)) return false;
        }
      }
    }
    return true;
  }

  void transform() {
    iv_next_->setOperand(1, llvm::ConstantInt::get(iv_next_->getType(), step_ / static_cast<int64_t>(copies_)));
    llvm::SmallVector<llvm::WeakTrackingVH, 16> dead;
    for (Reduction& r : reductions_) {
      llvm::IRBuilder<> b(r.root);
      llvm::Value* next = r.kind.opcode
                              ? b.CreateBinOp(static_cast<llvm::Instruction::BinaryOps>(r.kind.opcode), r.phi, r.leaves[0])
                              : b.CreateBinaryIntrinsic(r.kind.intrinsic, r.phi, r.leaves[0]);
      next->takeName(r.root);
      r.root->replaceAllUsesWith(next);
      // Steps are erased from the root down, each once its user is gone.
      for (llvm::Instruction* step : r.steps) step->replaceAllUsesWith(llvm::PoisonValue::get(step->getType()));
      for (llvm::Instruction* step : r.steps) step->eraseFromParent();
      for (size_t lane = 1; lane < r.leaves.size(); ++lane) {
        if (auto* i = llvm::dyn_cast<llvm::Instruction>(r.leaves[lane])) dead.push_back(i);
      }
    }
    llvm::RecursivelyDeleteTriviallyDeadInstructionsPermissive(dead);
    se_.forgetLoop(l_);
  }

  llvm::Loop* l_;
  llvm::ScalarEvolution& se_;
  llvm::BasicBlock* header_ = nullptr;
  llvm::BasicBlock* latch_ = nullptr;
  llvm::PHINode* iv_ = nullptr;
  llvm::BinaryOperator* iv_next_ = nullptr;
  llvm::ICmpInst* exit_cmp_ = nullptr;
  int64_t step_ = 0;
  unsigned copies_ = 0;
  int64_t step_per_iteration_ = 0;  // of the loads' recurrences
  int64_t distance_ = 0;
  std::vector<llvm::LoadInst*> loads_;
  std::vector<Reduction> reductions_;
  llvm::DenseMap<const llvm::LoadInst*, unsigned> lane_;
  llvm::DenseMap<const llvm::LoadInst*, int64_t> offset_;
  llvm::DenseMap<const llvm::LoadInst*, unsigned> group_;
};

}  // namespace

llvm::PreservedAnalyses LoopRerollPass::run(llvm::Function& f, llvm::FunctionAnalysisManager& fam) {
  llvm::LoopInfo& li = fam.getResult<llvm::LoopAnalysis>(f);
  if (li.empty()) return llvm::PreservedAnalyses::all();
  llvm::ScalarEvolution& se = fam.getResult<llvm::ScalarEvolutionAnalysis>(f);
  auto& remarks = fam.getResult<llvm::OptimizationRemarkEmitterAnalysis>(f);
  bool changed = false;
  for (llvm::Loop* l : li.getLoopsInPreorder()) {
    Reroller r(l, se);
    if (!r.run()) continue;
    changed = true;
    // ATOLL_LLVM_ARGS=-pass-remarks=atoll-reroll shows them.
    remarks.emit([&] {
      return llvm::OptimizationRemark("atoll-reroll", "Rolled", l->getStartLoc(), l->getHeader())
             << "rolled " << llvm::ore::NV("Copies", r.copies()) << " copies of the loop body into one";
    });
  }
  if (!changed) return llvm::PreservedAnalyses::all();
  llvm::PreservedAnalyses pa;
  pa.preserveSet<llvm::CFGAnalyses>();
  pa.preserve<llvm::LoopAnalysis>();
  return pa;
}

}  // namespace atl::compiler

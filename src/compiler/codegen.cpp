// compile(): wasm::Module -> LLVM IR -> optimised x86-64 object -> sealed artifact.
#include <llvm/Analysis/AliasAnalysis.h>
#include <llvm/Analysis/AssumptionCache.h>
#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/ScalarEvolution.h>
#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/Analysis/TypeBasedAliasAnalysis.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Passes/StandardInstrumentations.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "abi/abi.h"
#include "artifact/artifact.h"
#include "artifact/elf_merge.h"
#include "compiler/compiler.h"
#include "compiler/debug_info.h"
#include "compiler/function_translator.h"
#include "compiler/address_flags.h"
#include "compiler/bounds_versioning.h"
#include "compiler/loop_reroll.h"
#include "compiler/call_entries.h"
#include "compiler/may_throw.h"
#include "compiler/guard_elision.h"
#include "compiler/module_context.h"
#include "compiler/shape.h"
#include "compiler/trampolines.h"
#include "support/process.h"

namespace atl::compiler {
namespace {

constexpr const char* kTriple = "x86_64-unknown-linux-gnu";

void init_llvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeX86AsmParser();  // the stack-overflow trap path is inline asm (function_translator.cpp)
    // The x86 pass that turns conditional moves into branches moves a load folded into a cmov
    // into the branch, volatile or not: a guard-page access would then not run on every path
    // (guard_elision.cpp relies on it running where the program put it).
    auto& options = llvm::cl::getRegisteredOptions();
    if (auto it = options.find("x86-cmov-converter"); it != options.end()) {
      static_cast<llvm::cl::opt<bool>*>(it->second)->setValue(false);
    }
    // Compiler developers: ATOLL_LLVM_ARGS="-pass-remarks-missed=loop-vectorize ..." passes
    // options to LLVM (remarks go to stderr), as clang's -mllvm does.
    if (std::getenv("ATOLL_LLVM_ARGS")) {
      const char* argv[] = {"atoll"};
      llvm::cl::ParseCommandLineOptions(1, argv, "", nullptr, "ATOLL_LLVM_ARGS");
    }
  });
}

struct TargetChoice {
  std::string cpu;
  std::string features;
  uint64_t required = 0;
};

Result<TargetChoice> choose_target(const std::string& requested) {
  TargetChoice t;
  if (requested == "native") {
    t.cpu = llvm::sys::getHostCPUName().str();
    for (auto& kv : llvm::sys::getHostCPUFeatures()) {
      if (!t.features.empty()) t.features += ',';
      t.features += (kv.second ? "+" : "-") + kv.first().str();
    }
    t.required = artifact::host_cpu_features();
    return t;
  }
  if (requested.rfind("x86-64", 0) != 0) {
    return make_error(ErrorKind::Usage, "unknown target CPU '" + requested +
                                            "' (use x86-64, x86-64-v2, x86-64-v3, x86-64-v4 or native)");
  }
  t.cpu = requested;
  t.required = artifact::features_of_level(requested);
  if (requested != "x86-64" && t.required == 0) {
    return make_error(ErrorKind::Usage, "unknown target CPU '" + requested + "'");
  }
  return t;
}

std::string symbol_name(const wasm::Module& m, uint32_t func_index) {
  std::string s = abi::kFuncSymbolPrefix + std::to_string(func_index);
  const std::string& name = m.func_name(func_index);
  if (!name.empty()) {
    s += '_';
    for (char c : name) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '$';
      s += ok ? c : '_';
    }
  }
  return s;
}

llvm::GlobalVariable* add_blob(llvm::Module& mod, const char* name, const char* section,
                               const std::vector<uint8_t>& bytes) {
  llvm::Constant* data = llvm::ConstantDataArray::get(
      mod.getContext(), llvm::ArrayRef<uint8_t>(bytes.data(), bytes.size()));
  auto* g = new llvm::GlobalVariable(mod, data->getType(), true, llvm::GlobalValue::ExternalLinkage,
                                     data, name);
  g->setSection(section);
  g->setAlignment(llvm::Align(8));
  return g;
}

}  // namespace

std::string fingerprint(const CompileOptions& options) {
  std::string s = "atoll 0.1.0 abi" + std::to_string(abi::kArtifactVersion) + " llvm " LLVM_VERSION_STRING;
  s += " O" + std::to_string(options.opt_level);
  s += options.bounds == BoundsMode::GuardPages ? " guard" : " explicit";
  s += " cpu=" + options.target_cpu;
  if (options.epoch_interruption) s += " epochs";
  if (options.consume_fuel) s += " fuel";
  return s;
}

namespace {

// Epoch checks go in after optimisation, at the entry and at every loop header of the optimised
// code: placed before, their atomic load and call would stop LLVM from vectorising and
// unrolling loops (a 4x slowdown on matmul); placed after, a vectorised loop pays one check per
// vector iteration. Innermost loops with a small constant trip count end by themselves and are
// left to the check of the loop around them. The check: engine epoch (atomic load) >= store
// deadline -> epoch_reached.
void insert_epoch_checks(llvm::Module& mod, ModuleContext& mc) {
  constexpr unsigned kUncheckedTrips = 65536;
  llvm::Function* reached = mc.builtin("epoch_reached");
  llvm::MDBuilder md(mc.ctx);
  llvm::TargetLibraryInfoImpl tlii(llvm::Triple(mod.getTargetTriple()));
  for (llvm::Function& f : mod) {
    if (f.isDeclaration() || !f.getName().starts_with(abi::kFuncSymbolPrefix)) continue;
    llvm::DominatorTree dt(f);
    llvm::LoopInfo li(dt);
    llvm::TargetLibraryInfo tli(tlii, &f);
    llvm::AssumptionCache ac(f);
    llvm::ScalarEvolution se(f, tli, ac, dt, li);
    std::vector<llvm::BasicBlock*> sites{&f.getEntryBlock()};
    for (llvm::Loop* l : li.getLoopsInPreorder()) {
      const unsigned trips = se.getSmallConstantMaxTripCount(l);
      if (l->isInnermost() && trips != 0 && trips <= kUncheckedTrips) continue;
      sites.push_back(l->getHeader());
    }
    for (llvm::BasicBlock* bb : sites) {
      // The check takes the location of the code it precedes (its wasm offset, and the chain of
      // calls LLVM inlined it through), so a backtrace or profile sample taken in epoch_reached
      // names the loop, not just the function it was inlined into.
      llvm::DebugLoc loc;
      for (llvm::Instruction& i : *bb) {
        if (!llvm::isa<llvm::PHINode>(i) && i.getDebugLoc() && i.getDebugLoc().getLine() != 0) {
          loc = i.getDebugLoc();
          break;
        }
      }
      llvm::BasicBlock* rest = bb->splitBasicBlock(bb->getFirstInsertionPt(), "epoch.ok");
      bb->getTerminator()->eraseFromParent();
      llvm::IRBuilder<> b(bb);
      b.SetCurrentDebugLocation(loc);
      llvm::Value* limits_slot = b.CreateConstInBoundsGEP1_64(mc.i8, f.getArg(0), offsetof(abi::VMContext, limits));
      llvm::LoadInst* limits = b.CreateAlignedLoad(mc.ptr, limits_slot, llvm::Align(8));
      limits->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(mc.ctx, {}));
      llvm::LoadInst* epoch_ptr = b.CreateAlignedLoad(
          mc.ptr, b.CreateConstInBoundsGEP1_64(mc.i8, limits, offsetof(abi::RuntimeLimits, epoch)), llvm::Align(8));
      llvm::LoadInst* epoch = b.CreateAlignedLoad(mc.i64, epoch_ptr, llvm::Align(8));
      epoch->setAtomic(llvm::AtomicOrdering::Monotonic);
      llvm::LoadInst* deadline = b.CreateAlignedLoad(
          mc.i64, b.CreateConstInBoundsGEP1_64(mc.i8, limits, offsetof(abi::RuntimeLimits, epoch_deadline)),
          llvm::Align(8));
      llvm::BasicBlock* slow = llvm::BasicBlock::Create(mc.ctx, "epoch.reached", &f);
      b.CreateCondBr(b.CreateICmpUGE(epoch, deadline), slow, rest, md.createBranchWeights(1, 1u << 20));
      b.SetInsertPoint(slow);
      b.CreateCall(reached, {f.getArg(0)});
      b.CreateBr(rest);
    }
  }
}

// One unit of parallel compilation: a contiguous range of defined functions in its own
// LLVMContext. The primary chunk also carries the trampolines and the metadata sections.
struct Chunk {
  uint32_t first;  // function indices [first, last)
  uint32_t last;
  bool primary;
  bool cheap = false;  // compiled as at -O0 (shape.h)
};

// Splits [begin, end) by size for parallel compilation.
void split_by_size(const wasm::Module& wm, uint32_t begin, uint32_t end, unsigned threads, uint64_t chunk_bytes,
                   bool cheap, std::vector<Chunk>& chunks) {
  uint64_t total = 0;
  for (uint32_t i = begin; i < end; ++i) total += wm.bodies[i - wm.num_imported_funcs].size;
  // Small modules stay whole: splitting costs cross-chunk inlining and thread start-up.
  const uint64_t wanted = threads <= 1 ? 1 : std::min<uint64_t>(threads * 2, total / std::max<uint64_t>(chunk_bytes, 1));
  const uint64_t target = total / std::max<uint64_t>(wanted, 1);
  uint64_t acc = 0;
  uint32_t first = begin;
  size_t made = 0;
  for (uint32_t i = begin; i < end && wanted > 1; ++i) {
    acc += wm.bodies[i - wm.num_imported_funcs].size;
    if (acc >= target && made + 1 < wanted && i + 1 < end) {
      chunks.push_back(Chunk{first, i + 1, chunks.empty(), cheap});
      ++made;
      first = i + 1;
      acc = 0;
    }
  }
  chunks.push_back(Chunk{first, end, chunks.empty(), cheap});
}

// Contiguous runs of functions that share a pipeline, each split by size.
std::vector<Chunk> partition(const wasm::Module& wm, unsigned threads, uint64_t chunk_bytes, int opt_level) {
  const uint32_t begin = wm.num_imported_funcs, end = wm.num_funcs();
  std::vector<bool> cheap = opt_level == 0 ? std::vector<bool>(wm.bodies.size()) : cheap_functions(wm);
  std::vector<Chunk> chunks;
  for (uint32_t i = begin; i < end;) {
    uint32_t j = i + 1;
    while (j < end && cheap[j - begin] == cheap[i - begin]) ++j;
    split_by_size(wm, i, j, threads, chunk_bytes, cheap[i - begin], chunks);
    i = j;
  }
  if (chunks.empty()) chunks.push_back(Chunk{begin, end, true});
  return chunks;
}

Result<std::vector<uint8_t>> compile_chunk(const wasm::Module& wm, const CompileOptions& module_options,
                                           const TargetChoice& target_choice, const Chunk& chunk,
                                           const std::vector<uint8_t>* may_throw, bool plain_bodies) {
  CompileOptions options = module_options;
  if (chunk.cheap) options.opt_level = 0;
  std::string err;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(kTriple, err);
  if (!target) return make_error(ErrorKind::Other, "LLVM has no x86-64 target: " + err);
  llvm::TargetOptions to;
  const llvm::CodeGenOptLevel cg_level = options.opt_level == 0 ? llvm::CodeGenOptLevel::None
                                         : options.opt_level == 1 ? llvm::CodeGenOptLevel::Less
                                         : options.opt_level == 2 ? llvm::CodeGenOptLevel::Default
                                                                  : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      kTriple, target_choice.cpu, target_choice.features, to, llvm::Reloc::PIC_,
      llvm::CodeModel::Small, cg_level));
  if (!tm) return make_error(ErrorKind::Other, "cannot create the LLVM target machine");

  llvm::LLVMContext ctx;
  auto mod = std::make_unique<llvm::Module>("wasm", ctx);
  mod->setTargetTriple(kTriple);
  mod->setDataLayout(tm->createDataLayout());
  CompileOptions resolved = options;
  resolved.target_cpu = target_choice.cpu;
  ModuleContext mc(ctx, *mod, wm, resolved);
  mc.may_throw = may_throw;
  DebugLocations locations(*mod);

  // Every defined function is declared (calls into other chunks become relocations the merge
  // resolves); only this chunk's are defined.
  for (uint32_t i = wm.num_imported_funcs; i < wm.num_funcs(); ++i) {
    llvm::Function* f = llvm::Function::Create(mc.signature(wm.func_types[i]),
                                               llvm::Function::ExternalLinkage, symbol_name(wm, i), *mod);
    mc.set_wasm_function_attributes(f);
    // No tail calls anywhere in the module: bodies use the plain convention (call_entries.cpp).
    if (plain_bodies) f->setCallingConv(llvm::CallingConv::Fast);
    mc.funcs[i] = f;
  }
  for (uint32_t i = chunk.first; i < chunk.last; ++i) {
    locations.attach(mc.funcs[i]);
    FunctionTranslator t(mc, i);
    Result<void> r = t.translate();
    if (!r.ok()) return r.take_error();
    if (plain_bodies) emit_wrapper(mc, i, mc.funcs[i]);
  }
  if (chunk.primary) {
    for (uint32_t t = 0; t < wm.types.size(); ++t) emit_trampolines(mc, t);
    artifact::MetaHeader meta{};
    std::memcpy(meta.magic, "ATOLLART", 8);
    meta.version = abi::kArtifactVersion;
    meta.bounds_mode = static_cast<uint32_t>(options.bounds);  // (never differs between chunks)
    meta.cpu_features = target_choice.required;
    meta.instrumentation = (options.epoch_interruption ? artifact::kEpochChecks : 0) |
                           (options.consume_fuel ? artifact::kFuelMetering : 0);
    const std::string fp = fingerprint(module_options);
    std::strncpy(meta.fingerprint, fp.c_str(), sizeof meta.fingerprint - 1);
    std::strncpy(meta.target_cpu, target_choice.cpu.c_str(), sizeof meta.target_cpu - 1);
    std::vector<uint8_t> meta_bytes(sizeof meta);
    std::memcpy(meta_bytes.data(), &meta, sizeof meta);
    std::vector<llvm::Constant*> used = {
        add_blob(*mod, "atl_meta", artifact::kMetaSection, meta_bytes),
        add_blob(*mod, "atl_module", artifact::kModuleSection, artifact::module_descriptor(wm))};
    auto* arr_ty = llvm::ArrayType::get(mc.ptr, used.size());
    auto* g = new llvm::GlobalVariable(*mod, arr_ty, false, llvm::GlobalValue::AppendingLinkage,
                                       llvm::ConstantArray::get(arr_ty, used), "llvm.used");
    g->setSection("llvm.metadata");
  }

  locations.finalize();
  std::string verify_errors;
  llvm::raw_string_ostream vs(verify_errors);
  if (llvm::verifyModule(*mod, &vs)) {
    return make_error(ErrorKind::Other, "internal compiler error: invalid LLVM IR: " + verify_errors.substr(0, 2000));
  }

  // Optimise with LLVM's standard pipeline; TBAA is part of the default alias analysis stack.
  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    // The standard instrumentation is what makes the new pass manager skip optnone functions
    // (see FunctionTranslator::degrade_if_pathological).
    llvm::PassInstrumentationCallbacks pic;
    llvm::StandardInstrumentations si(ctx, /*DebugLogging=*/false);
    si.registerCallbacks(pic, &mam);
    llvm::PassBuilder pb(tm.get(), llvm::PipelineTuningOptions(), std::nullopt, &pic);
    // No library functions exist for guest code: loop idioms stay loops (see
    // set_function_attributes). Registered first, so the default registration does not replace it.
    llvm::TargetLibraryInfoImpl tlii{llvm::Triple(kTriple)};
    tlii.disableAllFunctions();
    fam.registerPass([&] { return llvm::TargetLibraryAnalysis(tlii); });
    // Before the loop vectorizer: innermost loops whose accesses are all in bounds run without
    // their checks, whose early exits would keep the vectorizer away (bounds_versioning.cpp).
    if (options.opt_level >= 2 && !std::getenv("ATOLL_NO_LOOP_VERSIONING")) {
      pb.registerVectorizerStartEPCallback([](llvm::FunctionPassManager& fpm, llvm::OptimizationLevel) {
        fpm.addPass(BoundsVersioningPass());
        // Then the in-bounds loops clang unrolled, rolled back up (loop_reroll.cpp).
        if (!std::getenv("ATOLL_NO_REROLL")) fpm.addPass(LoopRerollPass());
      });
    }
    // Before the loop passes: overflow facts that let IndVars widen wasm's i32 induction
    // variables without masks (address_flags.cpp).
    if (options.opt_level >= 2 && !std::getenv("ATOLL_NO_ADDRESS_FLAGS")) {
      pb.registerPeepholeEPCallback([](llvm::FunctionPassManager& fpm, llvm::OptimizationLevel) {
        fpm.addPass(AddressFlagsPass());
      });
    }
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    const llvm::OptimizationLevel level = options.opt_level == 0 ? llvm::OptimizationLevel::O0
                                          : options.opt_level == 1 ? llvm::OptimizationLevel::O1
                                          : options.opt_level == 2 ? llvm::OptimizationLevel::O2
                                                                   : llvm::OptimizationLevel::O3;
    llvm::ModulePassManager mpm = options.opt_level == 0 ? pb.buildO0DefaultPipeline(level)
                                                         : pb.buildPerModuleDefaultPipeline(level);
    mpm.run(*mod, mam);
  }
#ifdef ATOLL_VERIFY_OPTIMISED_IR
  {
    std::string errors;
    llvm::raw_string_ostream es(errors);
    if (llvm::verifyModule(*mod, &es)) {
      return make_error(ErrorKind::Other, "internal compiler error: invalid LLVM IR after optimisation: " + errors.substr(0, 2000));
    }
  }
#endif
  if (options.bounds == BoundsMode::GuardPages) elide_guarded_checks(*mod);
  if (options.epoch_interruption) insert_epoch_checks(*mod, mc);
  // Compiler developers: ATOLL_DUMP_IR=FILE appends the IR the code generator gets.
  if (const char* dump = std::getenv("ATOLL_DUMP_IR")) {
    std::error_code ec;
    llvm::raw_fd_ostream out(dump, ec, llvm::sys::fs::OF_Append);
    if (!ec) mod->print(out, nullptr);
  }

  llvm::SmallVector<char, 0> buffer;
  {
    llvm::raw_svector_ostream os(buffer);
    llvm::legacy::PassManager pm;
    if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
      return make_error(ErrorKind::Other, "LLVM cannot emit an object file for this target");
    }
    pm.run(*mod);
  }
  return std::vector<uint8_t>(buffer.begin(), buffer.end());
}

}  // namespace

Result<std::vector<uint8_t>> compile(const wasm::Module& wm, const CompileOptions& options) {
  init_llvm();
  if (options.opt_level < 0 || options.opt_level > 3) {
    return make_error(ErrorKind::Usage, "optimisation level must be 0..3");
  }
  auto target_choice = choose_target(options.target_cpu);
  if (!target_choice.ok()) return target_choice.take_error();

  const unsigned threads = options.threads ? options.threads : usable_cpus();
  const std::vector<Chunk> chunks = partition(wm, threads, options.chunk_bytes, options.opt_level);
  // Modules with tags check after every call; the others after calls that may end with an
  // exception pending (may_throw.cpp).
  std::vector<uint8_t> may_throw;
  if (wm.tags.empty()) may_throw = functions_that_may_throw(wm);
  const bool plain_bodies = !uses_tail_calls(wm);
  std::vector<Result<std::vector<uint8_t>>> results(chunks.size(), Error{});
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t c = next++; c < chunks.size(); c = next++) {
      results[c] = compile_chunk(wm, options, *target_choice, chunks[c], wm.tags.empty() ? &may_throw : nullptr,
                                 plain_bodies);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::min<size_t>(threads, chunks.size()); ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();

  std::vector<std::vector<uint8_t>> objects;
  for (auto& r : results) {
    if (!r.ok()) return r.take_error();
    objects.push_back(std::move(r.value()));
  }
  artifact::DebugTableBuilder debug;
  for (const auto& o : objects) {
    Result<void> read = read_native_ranges(o, wm, debug);
    if (!read.ok()) return read.take_error();
  }
  read_guest_dwarf(wm, debug);
  std::vector<uint32_t> bodies;
  for (const wasm::FunctionBody& b : wm.bodies) bodies.push_back(static_cast<uint32_t>(b.offset));
  debug.set_bodies(wm.num_imported_funcs, std::move(bodies));
  auto merged = artifact::merge_objects(objects, {{artifact::kDebugSection, debug.finish()}});
  if (!merged.ok()) return merged.take_error();
  std::vector<uint8_t> out = std::move(merged.value());
  Result<void> sealed = artifact::seal(out);
  if (!sealed.ok()) return sealed.take_error();
  return out;
}

}  // namespace atl::compiler

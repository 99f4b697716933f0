// Translates one validated wasm function body to LLVM IR.
//
// The wasm operand stack becomes a stack of llvm::Value*; locals become allocas that SROA/mem2reg
// promote to SSA. Block results and loop parameters flow through PHI nodes at the branch
// targets. Code after an unconditional branch is skipped (it is unreachable, and validation
// already typed it), counting only its nested blocks so `else`/`end` are matched.
//
// Translation is split by opcode family: control (emit_control.cpp), numeric (emit_numeric.cpp),
// memory (emit_memory.cpp), variables, tables, references and calls (emit_variables.cpp).
#pragma once

#include <llvm/IR/IRBuilder.h>

#include <array>
#include <string>
#include <vector>

#include "abi/abi.h"
#include "compiler/module_context.h"
#include "support/reader.h"
#include "atoll/result.h"
#include "wasm/instr_reader.h"

namespace atl::compiler {

class FunctionTranslator {
 public:
  FunctionTranslator(ModuleContext& mc, uint32_t func_index);
  Result<void> translate();

 private:
  enum class FrameKind : uint8_t { Function, Block, Loop, If, Try };
  struct Frame {
    FrameKind kind;
    // Exception handling: where a pending exception goes from code in this frame (a try's
    // dispatch, or what the enclosing frame has; null in the function frame: return).
    llvm::BasicBlock* unwind = nullptr;
    // Legacy try: the dispatch block the next catch test goes into (null after catch_all),
    // the exception a catch body holds (for rethrow), and the unwind target outside the try.
    llvm::BasicBlock* dispatch_tail = nullptr;
    llvm::AllocaInst* caught = nullptr;
    llvm::BasicBlock* outer_unwind = nullptr;
    bool in_catch = false;
    llvm::BasicBlock* label;  // branch target: loop header, or the continuation after end
    llvm::BasicBlock* else_block = nullptr;  // If before its else
    std::vector<llvm::PHINode*> label_phis;  // loop: parameters; others: results
    std::vector<llvm::Type*> result_types;
    std::vector<llvm::Value*> if_params;  // If: parameter values, for the else branch
    size_t height;                        // operand-stack height below the block's values
  };

  // --- stack ----------------------------------------------------------------------------------
  llvm::Value* pop() {
    llvm::Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  void push(llvm::Value* v) { stack_.push_back(v); }
  std::vector<llvm::Value*> pop_n(size_t n);

  // --- dispatch -------------------------------------------------------------------------------
  bool instruction(const wasm::Instr& in, const std::vector<uint32_t>& targets);
  bool control(const wasm::Instr& in, const std::vector<uint32_t>& targets);
  bool skip_dead(const wasm::Instr& in);
  bool numeric(const wasm::Instr& in);
  bool memory(const wasm::Instr& in);
  bool variable(const wasm::Instr& in);
  bool call(const wasm::Instr& in);
  bool simd(const wasm::Instr& in);
  bool fail(std::string message);

  // --- control helpers ------------------------------------------------------------------------
  void block_types(const wasm::BlockType& bt, std::vector<llvm::Type*>& params,
                   std::vector<llvm::Type*>& results) const;
  std::vector<llvm::PHINode*> make_phis(llvm::BasicBlock* bb, const std::vector<llvm::Type*>& types);
  // Adds the top `phis.size()` stack values (not popped) as incoming from the current block.
  void add_incoming(const std::vector<llvm::PHINode*>& phis);
  const std::vector<llvm::PHINode*>& label_phis(uint32_t depth);
  llvm::BasicBlock* label_block(uint32_t depth);
  void end_frame();
  void finish_function();
  void set_unreachable();

  // --- traps ----------------------------------------------------------------------------------
  void trap_if(llvm::Value* cond, abi::TrapCode code);
  void trap_now(abi::TrapCode code);

  // --- exception handling (emit_exceptions.cpp) ------------------------------------------------
  bool exceptions(const wasm::Instr& in, const std::vector<wasm::CatchClause>& catches);
  llvm::BasicBlock* unwind_target();
  llvm::BasicBlock* propagate_block();
  void check_exception();  // after a call: a pending exception leaves for unwind_target()
  llvm::Value* pending_exception_ptr();
  llvm::Value* load_pending_exception();
  void clear_pending_exception();
  llvm::Value* tag_identity(uint32_t tag);
  void load_payload(llvm::Value* exn, uint32_t tag);  // pushes the tag's payload values
  void drop_caught(const Frame& f);
  void release_caught_on_return();
  llvm::AllocaInst* entry_alloca(llvm::Type* t, bool zeroed = false);

  // --- interruption ---------------------------------------------------------------------------
  void flush_fuel();   // subtract the instructions counted since the last flush

  // --- VM context access ----------------------------------------------------------------------
  llvm::Value* vmctx_field(unsigned offset, llvm::Type* type, bool invariant);
  llvm::Value* memory_size_bytes(uint32_t mem);
  llvm::Value* memory_base(uint32_t mem);
  // Memory 0 of 32 bits: base and size straight in the VM context, guard pages in that mode.
  bool fast_memory(uint32_t mem) const { return mem == 0 && !mc_.wm.memories[0].is64; }
  llvm::Value* global_cell(uint32_t index);
  llvm::Value* table_ptr(uint32_t index);
  llvm::Value* table_u32(llvm::Value* v);

  // --- numeric helpers ------------------------------------------------------------------------
  llvm::Value* intrinsic(llvm::Intrinsic::ID id, llvm::Type* type, std::vector<llvm::Value*> args);
  llvm::Value* int_div(const wasm::Instr& in, llvm::Value* a, llvm::Value* b);
  llvm::Value* trunc_trapping(llvm::Value* v, llvm::Type* to, bool is_signed);
  llvm::Value* constant_float(llvm::Type* t, uint64_t bits);

  // --- memory helpers -------------------------------------------------------------------------
  llvm::Value* effective_address(const wasm::MemArg& m, llvm::Value* addr, unsigned size);
  llvm::Value* load(llvm::Type* t, const wasm::MemArg& m, llvm::Value* addr, unsigned size, bool keep);
  void store(llvm::Value* v, const wasm::MemArg& m, llvm::Value* addr, unsigned size);
  llvm::Value* to_i64(llvm::Value* v);  // a 32-bit address or length, zero-extended

  // --- calls ----------------------------------------------------------------------------------
  // A call of wasm-convention code; `tail`: return_call, the call ends the function.
  void emit_call(llvm::FunctionType* ft, llvm::Value* callee, llvm::Value* callee_vmctx,
                 const wasm::FuncType& type, bool tail = false);

  ModuleContext& mc_;
  uint32_t func_index_;
  const wasm::FuncType& type_;
  llvm::Function* fn_;
  bool has_tail_calls_ = false;  // some return_call: tail calls are allowed in this function
  llvm::IRBuilder<> b_;
  llvm::Value* vmctx_ = nullptr;
  llvm::Value* memory_base_ = nullptr;
  llvm::BasicBlock* entry_ = nullptr;            // where loads of invariant memory bases go
  std::vector<llvm::Value*> memory_bases_;       // per memory index, loaded on first use
  llvm::Value* limits_ = nullptr;  // RuntimeLimits*, loaded once
  uint32_t pending_fuel_ = 0;
  std::vector<llvm::AllocaInst*> locals_;
  std::vector<llvm::Type*> local_types_;
  std::vector<llvm::Value*> stack_;
  std::vector<Frame> frames_;
  bool unreachable_ = false;
  uint32_t dead_depth_ = 0;  // blocks opened inside unreachable code
  bool next_load_dropped_ = false;

  std::string error_;
  llvm::BasicBlock* shared_oob_trap_ = nullptr;  // see trap_if
  llvm::BasicBlock* propagate_ = nullptr;        // returns with an exception pending
  llvm::AllocaInst* throw_slots_ = nullptr;      // payload slots for the throw builtin
  std::vector<llvm::AllocaInst*> caught_slots_;  // every legacy try's caught exception
  bool callee_may_throw_ = true;                 // the call being emitted (check_exception)
  bool exception_checks_ = false;                // the module has tags
  const std::vector<wasm::CatchClause>* catches_ = nullptr;  // of the try_table being read
  uint64_t error_offset_ = 0;
};

}  // namespace atl::compiler

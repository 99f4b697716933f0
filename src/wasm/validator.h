// Validation of function bodies, one instruction at a time (the algorithm of the spec's
// validation appendix: an operand-type stack and a control stack, with "unknown" operands in
// unreachable code).
//
// The body decoder feeds decoded instructions to FunctionValidator::on(). Later consumers (the
// compiler) run the validator in lock-step and may read its operand and control stacks, which is
// why those are exposed.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wasm/instr_reader.h"
#include "wasm/module.h"

namespace atl::wasm {

// Module-level facts the body validator needs beyond the Module itself.
struct ValidationContext {
  const Module* module = nullptr;
  std::vector<bool> declared_refs;  // function indices usable by ref.func
};

class FunctionValidator {
 public:
  struct Frame {
    Op kind;  // Block, Loop, If, Else; the function's own frame is a Block
    BlockType type;
    uint32_t height;
    bool unreachable;
    uint32_t inits = 0;  // size of the set-locals list when the block began
  };

  explicit FunctionValidator(const ValidationContext& ctx) : ctx_(ctx) {}

  // Starts a function: parameters and declared locals become the local types.
  void begin(uint32_t func_index, const FunctionBody& body);

  // Validates one instruction; false on the first error (see error()).
  bool on(const Instr& in, const std::vector<uint32_t>& br_targets, const std::vector<CatchClause>& catches = {});

  bool done() const { return ctrl_.empty(); }
  const std::string& error() const { return error_; }
  uint64_t error_offset() const { return error_offset_; }

  const std::vector<ValType>& locals() const { return locals_; }
  const std::vector<ValType>& operands() const { return stack_; }
  const std::vector<Frame>& frames() const { return ctrl_; }

 private:
  std::span<const ValType> params_of(const BlockType& bt) const;
  std::span<const ValType> results_of(const BlockType& bt) const;
  std::span<const ValType> label_types(const Frame& f) const {
    return f.kind == Op::Loop ? params_of(f.type) : results_of(f.type);
  }

  bool fail(const char* what, const std::string& detail = {});
  bool type_mismatch(ValType expected, ValType got);
  bool pop(ValType expected);
  bool pop_any(ValType* out);
  bool pop_many(std::span<const ValType> types);
  bool check_stack_exact(std::span<const ValType> types);
  void push(ValType t) { stack_.push_back(t); }
  void push_many(std::span<const ValType> types) {
    stack_.insert(stack_.end(), types.begin(), types.end());
  }
  void set_unreachable() {
    stack_.resize(ctrl_.back().height);
    ctrl_.back().unreachable = true;
  }
  bool check_block_type(const BlockType& bt);
  bool check_value_type(ValType t);
  void reset_inits(uint32_t to);
  bool branch_on_null(const Instr& in);
  bool call_ref(const Instr& in);
  bool check_tag(uint32_t index);
  bool try_table(const Instr& in, const std::vector<CatchClause>& catches);
  bool legacy_catch(const Instr& in);
  bool check_memory(uint32_t index);
  bool check_table(uint32_t index);
  ValType table_addr(uint32_t index) const { return m().tables[index].addr_type(); }
  bool address_types(const Instr& in, const OpInfo& info, ValType* params, ValType& result) const;
  const FuncType* callee_type(const Instr& in);
  bool return_call(const Instr& in);
  bool tail_call(const Instr& in, const FuncType& callee);
  bool all_match(std::span<const ValType> got, std::span<const ValType> want) const;
  bool check_label(uint32_t depth);
  bool check_align(const Instr& in, uint32_t natural_log2);

  bool on_special(const Instr& in, const std::vector<uint32_t>& br_targets);
  bool on_fixed(const Instr& in);

  const ValidationContext& ctx_;
  const Module& m() const { return *ctx_.module; }
  const Instr* current_ = nullptr;
  std::vector<ValType> locals_;
  // Non-defaultable locals (non-null references) must be set before they are read; a set
  // counts until the end of the block it is in (function references).
  std::vector<bool> local_set_;
  std::vector<uint32_t> inits_;
  std::vector<ValType> stack_;
  std::vector<Frame> ctrl_;
  uint32_t func_type_ = 0;
  std::vector<ValType> scratch_;
  std::string error_;
  uint64_t error_offset_ = 0;
};

}  // namespace atl::wasm

#include "wasm/validator.h"

#include <algorithm>

#include "wasm/subtyping.h"

namespace atl::wasm {

void FunctionValidator::begin(uint32_t func_index, const FunctionBody& body) {
  func_type_ = m().func_types[func_index];
  const FuncType& ft = m().types[func_type_];
  locals_.clear();
  locals_.reserve(ft.params.size() + body.num_locals);
  locals_.insert(locals_.end(), ft.params.begin(), ft.params.end());
  for (const auto& [count, type] : body.local_groups) locals_.insert(locals_.end(), count, type);
  local_set_.assign(locals_.size(), true);
  for (size_t i = ft.params.size(); i < locals_.size(); ++i) local_set_[i] = is_defaultable(locals_[i]);
  inits_.clear();
  stack_.clear();
  ctrl_.clear();
  BlockType bt;
  bt.kind = BlockType::Kind::Index;
  bt.index = func_type_;
  ctrl_.push_back(Frame{Op::Block, bt, 0, false});
  error_.clear();
}

std::span<const ValType> FunctionValidator::params_of(const BlockType& bt) const {
  if (bt.kind == BlockType::Kind::Index) return m().types[bt.index].params;
  return {};
}

std::span<const ValType> FunctionValidator::results_of(const BlockType& bt) const {
  switch (bt.kind) {
    case BlockType::Kind::Empty: return {};
    case BlockType::Kind::Value: return {&bt.type, 1};
    case BlockType::Kind::Index: return m().types[bt.index].results;
  }
  return {};
}

bool FunctionValidator::fail(const char* what, const std::string& detail) {
  if (!error_.empty()) return false;
  error_ = what;
  if (current_) {
    error_ += " in ";
    error_ += op_name(current_->op);
    error_offset_ = current_->offset;
  }
  if (!detail.empty()) {
    error_ += ": ";
    error_ += detail;
  }
  return false;
}

bool FunctionValidator::type_mismatch(ValType expected, ValType got) {
  std::string d = "expected ";
  d += valtype_name(expected);
  d += got == ValType::Bottom ? ", but the stack is empty" : std::string(", got ") + valtype_name(got);
  return fail("type mismatch", d);
}

bool FunctionValidator::pop_any(ValType* out) {
  const Frame& f = ctrl_.back();
  if (stack_.size() == f.height) {
    if (f.unreachable) {
      *out = ValType::Bottom;
      return true;
    }
    return fail("type mismatch", "expected a value, but the stack is empty");
  }
  *out = stack_.back();
  stack_.pop_back();
  return true;
}

bool FunctionValidator::pop(ValType expected) {
  const Frame& f = ctrl_.back();
  if (stack_.size() == f.height) {
    if (f.unreachable) return true;
    return type_mismatch(expected, ValType::Bottom);
  }
  const ValType got = stack_.back();
  stack_.pop_back();
  if (got != expected && expected != ValType::Bottom && !matches(m(), got, expected)) {
    return type_mismatch(expected, got);
  }
  return true;
}

void FunctionValidator::reset_inits(uint32_t to) {
  for (size_t i = to; i < inits_.size(); ++i) local_set_[inits_[i]] = false;
  inits_.resize(to);
}

// A type index in a value type must name a type of the module.
bool FunctionValidator::check_value_type(ValType t) {
  const int64_t idx = max_type_index(t);
  if (idx >= static_cast<int64_t>(m().types.size())) return fail("unknown type", "type " + std::to_string(idx));
  return true;
}

bool FunctionValidator::pop_many(std::span<const ValType> types) {
  for (size_t i = types.size(); i-- > 0;) {
    if (!pop(types[i])) return false;
  }
  return true;
}

// At the end of a block the stack must hold exactly the block's results.
bool FunctionValidator::check_stack_exact(std::span<const ValType> types) {
  if (!pop_many(types)) return false;
  if (stack_.size() != ctrl_.back().height) {
    return fail("type mismatch", "values remaining on the stack at the end of a block");
  }
  return true;
}

bool FunctionValidator::check_block_type(const BlockType& bt) {
  if (bt.kind == BlockType::Kind::Index && bt.index >= m().types.size()) {
    return fail("unknown type", "block type index " + std::to_string(bt.index));
  }
  return bt.kind != BlockType::Kind::Value || check_value_type(bt.type);
}

bool FunctionValidator::check_memory(uint32_t index) {
  if (index >= m().memories.size()) return fail("unknown memory", "memory " + std::to_string(index));
  return true;
}

bool FunctionValidator::check_table(uint32_t index) {
  if (index >= m().tables.size()) return fail("unknown table", "table " + std::to_string(index));
  return true;
}

bool FunctionValidator::check_label(uint32_t depth) {
  if (depth >= ctrl_.size()) return fail("unknown label", "depth " + std::to_string(depth));
  return true;
}

bool FunctionValidator::check_align(const Instr& in, uint32_t natural_log2) {
  if (!check_memory(in.mem.memory)) return false;
  if (in.mem.align > natural_log2) {
    return fail("alignment must not be larger than natural",
                "2^" + std::to_string(in.mem.align) + " > " + std::to_string(1u << natural_log2));
  }
  if (!m().memories[in.mem.memory].is64 && in.mem.offset > UINT32_MAX) {
    return fail("offset out of range", "offset " + std::to_string(in.mem.offset) + " of a 32-bit memory");
  }
  return true;
}

bool FunctionValidator::on(const Instr& in, const std::vector<uint32_t>& br_targets,
                           const std::vector<CatchClause>& catches) {
  current_ = &in;
  const OpInfo& info = op_info(in.op);
  if (in.op == Op::TryTable) return try_table(in, catches);
  if (info.special) return on_special(in, br_targets);
  return on_fixed(in);
}

// Instructions with a fixed signature from the opcode table: check immediates, then pop the
// parameters and push the result.
bool FunctionValidator::on_fixed(const Instr& in) {
  const OpInfo& info = op_info(in.op);
  switch (info.imm) {
    case ImmKind::MemArg:
      if (!check_align(in, info.aux)) return false;
      break;
    case ImmKind::MemLane:
      if (!check_align(in, info.aux)) return false;
      if (in.lane >= (16u >> info.aux)) return fail("invalid lane index");
      break;
    case ImmKind::Lane:
      if (in.lane >= info.aux) return fail("invalid lane index");
      break;
    case ImmKind::Shuffle:
      for (uint8_t lane : in.v128) {
        if (lane >= 32) return fail("invalid lane index");
      }
      break;
    case ImmKind::MemZero:
      if (!check_memory(in.mem.memory)) return false;
      break;
    case ImmKind::MemCopy:
      if (!check_memory(in.mem.memory) || !check_memory(in.index2)) return false;
      break;
    case ImmKind::MemInit:
    case ImmKind::Data:
      if (in.op == Op::MemoryInit && !check_memory(in.mem.memory)) return false;
      if (!m().data_count || in.index >= *m().data_count) {
        return fail("unknown data segment", "data " + std::to_string(in.index));
      }
      break;
    default: break;
  }
  // The opcode table's addresses are i32; a 64-bit memory's are i64.
  const ValType* params = info.params;
  ValType result = info.result;
  ValType wide[3];
  if (is_memory_imm(info.imm) && address_types(in, info, wide, result)) params = wide;
  // Fast path: all parameters present with exactly the expected types.
  const Frame& f = ctrl_.back();
  const size_t n = info.num_params;
  const size_t size = stack_.size();
  bool fast = size >= f.height + n;
  for (size_t i = 0; fast && i < n; ++i) fast = stack_[size - n + i] == params[i];
  if (fast) {
    stack_.resize(size - n);
  } else if (!pop_many({params, n})) {
    return false;
  }
  if (info.num_results) push(result);
  return true;
}

// The operand types of a memory instruction whose memories are not all 32-bit, into `params`
// (and `result`); false when the opcode table's i32 addresses are right.
bool FunctionValidator::address_types(const Instr& in, const OpInfo& info, ValType* params, ValType& result) const {
  const bool dst64 = m().memories[in.mem.memory].is64;
  const bool src64 = info.imm == ImmKind::MemCopy && m().memories[in.index2].is64;
  if (!dst64 && !src64) return false;
  std::copy(info.params, info.params + info.num_params, params);
  const ValType at = dst64 ? ValType::I64 : ValType::I32;
  switch (in.op) {
    case Op::MemorySize: result = at; break;
    case Op::MemoryGrow: params[0] = result = at; break;
    case Op::MemoryFill: params[0] = params[2] = at; break;
    case Op::MemoryCopy:
      params[0] = at;
      params[1] = src64 ? ValType::I64 : ValType::I32;
      params[2] = dst64 && src64 ? ValType::I64 : ValType::I32;  // the length fits both
      break;
    default: params[0] = at; break;  // loads, stores, lanes, memory.init: the address
  }
  return true;
}

bool FunctionValidator::on_special(const Instr& in, const std::vector<uint32_t>& br_targets) {
  switch (in.op) {
    case Op::Unreachable: set_unreachable(); return true;

    case Op::Block:
    case Op::Loop:
    case Op::Try:
    case Op::If: {
      if (!check_block_type(in.block)) return false;
      if (in.op == Op::If && !pop(ValType::I32)) return false;
      const auto params = params_of(in.block);
      if (!pop_many(params)) return false;
      ctrl_.push_back(Frame{in.op, in.block, static_cast<uint32_t>(stack_.size()), false,
                            static_cast<uint32_t>(inits_.size())});
      push_many(params);
      return true;
    }
    case Op::Else: {
      Frame& f = ctrl_.back();
      if (f.kind != Op::If) return fail("else without if");
      if (!check_stack_exact(results_of(f.type))) return false;
      Frame& g = ctrl_.back();
      g.kind = Op::Else;
      g.unreachable = false;
      reset_inits(g.inits);
      stack_.resize(g.height);
      push_many(params_of(g.type));
      return true;
    }
    case Op::End: {
      const Frame f = ctrl_.back();
      if (!check_stack_exact(results_of(f.type))) return false;
      if (f.kind == Op::If) {
        // An if without else behaves as if the else branch passed its parameters through.
        const auto p = params_of(f.type);
        const auto r = results_of(f.type);
        if (!all_match(p, r)) return fail("type mismatch", "if without else must have matching parameter and result types");
      }
      reset_inits(f.inits);
      ctrl_.pop_back();
      push_many(results_of(f.type));
      return true;
    }
    case Op::Br: {
      if (!check_label(in.index)) return false;
      if (!pop_many(label_types(ctrl_[ctrl_.size() - 1 - in.index]))) return false;
      set_unreachable();
      return true;
    }
    case Op::BrIf: {
      if (!check_label(in.index)) return false;
      if (!pop(ValType::I32)) return false;
      const auto types = label_types(ctrl_[ctrl_.size() - 1 - in.index]);
      if (!pop_many(types)) return false;
      push_many(types);
      return true;
    }
    case Op::BrTable: {
      if (!check_label(in.index)) return false;
      if (!pop(ValType::I32)) return false;
      const size_t arity = label_types(ctrl_[ctrl_.size() - 1 - in.index]).size();
      for (uint32_t target : br_targets) {
        if (!check_label(target)) return false;
        const auto types = label_types(ctrl_[ctrl_.size() - 1 - target]);
        if (types.size() != arity) {
          return fail("type mismatch", "br_table targets have different arities");
        }
        // Pop and push back what was actually there, as the spec's algorithm does, so unknown
        // operands stay unknown.
        scratch_.resize(types.size());
        for (size_t i = types.size(); i-- > 0;) {
          const bool present = stack_.size() > ctrl_.back().height;
          const ValType got = present ? stack_.back() : ValType::Bottom;
          if (!pop(types[i])) return false;
          scratch_[i] = got;
        }
        for (ValType t : scratch_) push(t);
      }
      if (!pop_many(label_types(ctrl_[ctrl_.size() - 1 - in.index]))) return false;
      set_unreachable();
      return true;
    }
    case Op::Return: {
      if (!pop_many(m().types[func_type_].results)) return false;
      set_unreachable();
      return true;
    }
    case Op::Call:
    case Op::CallIndirect: {
      const FuncType* t = callee_type(in);
      if (!t || !pop_many(t->params)) return false;
      push_many(t->results);
      return true;
    }
    case Op::ReturnCall:
    case Op::ReturnCallIndirect:
      return return_call(in);
    case Op::Drop: {
      ValType t;
      return pop_any(&t);
    }
    case Op::Select: {
      if (!pop(ValType::I32)) return false;
      ValType a, b;
      if (!pop_any(&a) || !pop_any(&b)) return false;
      if ((a != ValType::Bottom && is_ref(a)) || (b != ValType::Bottom && is_ref(b))) {
        return fail("type mismatch", "select without a type needs numeric or vector operands");
      }
      if (a != b && a != ValType::Bottom && b != ValType::Bottom) return type_mismatch(a, b);
      push(a == ValType::Bottom ? b : a);
      return true;
    }
    case Op::SelectT: {
      if (in.select_count != 1) return fail("invalid result arity", "select takes exactly one type");
      if (!check_value_type(in.ref_type)) return false;
      if (!pop(ValType::I32) || !pop(in.ref_type) || !pop(in.ref_type)) return false;
      push(in.ref_type);
      return true;
    }
    case Op::LocalGet:
    case Op::LocalSet:
    case Op::LocalTee: {
      if (in.index >= locals_.size()) {
        return fail("unknown local", "local " + std::to_string(in.index));
      }
      const ValType t = locals_[in.index];
      if (in.op == Op::LocalGet) {
        if (!local_set_[in.index]) return fail("uninitialized local", "local " + std::to_string(in.index));
        push(t);
        return true;
      }
      if (!pop(t)) return false;
      if (!local_set_[in.index]) {
        local_set_[in.index] = true;
        inits_.push_back(in.index);
      }
      if (in.op == Op::LocalTee) push(t);
      return true;
    }
    case Op::GlobalGet:
    case Op::GlobalSet: {
      if (in.index >= m().globals.size()) {
        return fail("unknown global", "global " + std::to_string(in.index));
      }
      const GlobalType& g = m().globals[in.index];
      if (in.op == Op::GlobalGet) {
        push(g.type);
        return true;
      }
      if (!g.is_mutable) return fail("global is immutable", "global " + std::to_string(in.index));
      return pop(g.type);
    }
    case Op::TableGet: {
      if (!check_table(in.index) || !pop(table_addr(in.index))) return false;
      push(m().tables[in.index].elem);
      return true;
    }
    case Op::TableSet: {
      if (!check_table(in.index)) return false;
      return pop(m().tables[in.index].elem) && pop(table_addr(in.index));
    }
    case Op::TableSize: {
      if (!check_table(in.index)) return false;
      push(table_addr(in.index));
      return true;
    }
    case Op::TableGrow: {
      if (!check_table(in.index)) return false;
      if (!pop(table_addr(in.index)) || !pop(m().tables[in.index].elem)) return false;
      push(table_addr(in.index));
      return true;
    }
    case Op::TableFill: {
      if (!check_table(in.index)) return false;
      return pop(table_addr(in.index)) && pop(m().tables[in.index].elem) && pop(table_addr(in.index));
    }
    case Op::TableCopy: {
      if (!check_table(in.index) || !check_table(in.index2)) return false;
      if (!matches(m(), m().tables[in.index2].elem, m().tables[in.index].elem)) {
        return fail("type mismatch", "table.copy from a table whose elements do not fit the destination's");
      }
      const ValType dst = table_addr(in.index), src = table_addr(in.index2);
      const ValType len = dst == ValType::I64 && src == ValType::I64 ? ValType::I64 : ValType::I32;
      return pop(len) && pop(src) && pop(dst);
    }
    case Op::TableInit: {
      if (!check_table(in.index2)) return false;
      if (in.index >= m().elems.size()) {
        return fail("unknown elem segment", "elem " + std::to_string(in.index));
      }
      if (!matches(m(), m().elems[in.index].type, m().tables[in.index2].elem)) {
        return fail("type mismatch", "table.init element type does not fit the table's");
      }
      return pop(ValType::I32) && pop(ValType::I32) && pop(table_addr(in.index2));
    }
    case Op::ElemDrop: {
      if (in.index >= m().elems.size()) {
        return fail("unknown elem segment", "elem " + std::to_string(in.index));
      }
      return true;
    }
    case Op::RefNull:
      if (!check_value_type(in.ref_type)) return false;
      push(in.ref_type);
      return true;
    case Op::RefIsNull: {
      ValType t;
      if (!pop_any(&t)) return false;
      if (t != ValType::Bottom && !is_ref(t)) {
        return fail("type mismatch", std::string("expected a reference, got ") + valtype_name(t));
      }
      push(ValType::I32);
      return true;
    }
    case Op::RefFunc: {
      if (in.index >= m().num_funcs()) {
        return fail("unknown function", "function " + std::to_string(in.index));
      }
      if (!ctx_.declared_refs[in.index]) {
        return fail("undeclared function reference", "function " + std::to_string(in.index));
      }
      // Its exact type: a non-null reference to the function's type.
      push(make_ref(heap::of_index(m().func_types[in.index]), false));
      return true;
    }
    case Op::RefAsNonNull: {
      ValType t;
      if (!pop_any(&t)) return false;
      if (t != ValType::Bottom && !is_ref(t)) {
        return fail("type mismatch", "expected a reference, got " + valtype_name(t));
      }
      push(t == ValType::Bottom ? t : make_ref(heap_type(t), false));
      return true;
    }
    case Op::BrOnNull:
    case Op::BrOnNonNull:
      return branch_on_null(in);
    case Op::Throw: {
      if (!check_tag(in.index) || !pop_many(m().types[m().tags[in.index]].params)) return false;
      set_unreachable();
      return true;
    }
    case Op::ThrowRef:
      if (!pop(make_ref(heap::Exn, true))) return false;
      set_unreachable();
      return true;
    case Op::Catch:
    case Op::CatchAll:
      return legacy_catch(in);
    case Op::Delegate: {
      const Frame f = ctrl_.back();
      if (f.kind != Op::Try) return fail("delegate without a matching try");
      if (!check_stack_exact(results_of(f.type))) return false;
      reset_inits(f.inits);
      ctrl_.pop_back();
      if (!check_label(in.index)) return false;
      push_many(results_of(f.type));
      return true;
    }
    case Op::Rethrow: {
      if (!check_label(in.index)) return false;
      const Op k = ctrl_[ctrl_.size() - 1 - in.index].kind;
      if (k != Op::Catch && k != Op::CatchAll) return fail("invalid rethrow label", "label " + std::to_string(in.index));
      set_unreachable();
      return true;
    }
    case Op::CallRef:
    case Op::ReturnCallRef:
      return call_ref(in);
    default: break;
  }
  return fail("internal error: unhandled instruction");
}

// The type of the function a call names: for the indirect forms, after checking the table and
// popping the element index. nullptr after failing.
const FuncType* FunctionValidator::callee_type(const Instr& in) {
  if (in.op == Op::Call || in.op == Op::ReturnCall) {
    if (in.index >= m().num_funcs()) {
      fail("unknown function", "function " + std::to_string(in.index));
      return nullptr;
    }
    return &m().func_type(in.index);
  }
  if (!check_table(in.index2)) return nullptr;
  if (!matches(m(), m().tables[in.index2].elem, ValType::FuncRef)) {
    fail("type mismatch", std::string(op_name(in.op)) + " table must hold function references");
    return nullptr;
  }
  if (in.index >= m().types.size()) {
    fail("unknown type", "type " + std::to_string(in.index));
    return nullptr;
  }
  if (!pop(table_addr(in.index2))) return nullptr;
  return &m().types[in.index];
}

// return_call and return_call_indirect: a call whose results are the function's own, then
// nothing (the callee's frame replaces this one).
bool FunctionValidator::return_call(const Instr& in) {
  const FuncType* t = callee_type(in);
  return t && tail_call(in, *t);
}

// Every tail call: the callee's results must fit the function's own.
bool FunctionValidator::tail_call(const Instr& in, const FuncType& callee) {
  if (!all_match(callee.results, m().types[func_type_].results)) {
    return fail("type mismatch", std::string(op_name(in.op)) + ": the callee's results do not fit the function's");
  }
  if (!pop_many(callee.params)) return false;
  set_unreachable();
  return true;
}

// Element by element got <: want, of equal lengths.
bool FunctionValidator::all_match(std::span<const ValType> got, std::span<const ValType> want) const {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!matches(m(), got[i], want[i])) return false;
  }
  return true;
}

// br_on_null l: [t* (ref null ht)] -> [t* (ref ht)], branching to l with t* when null.
// br_on_non_null l: [t* (ref null ht)] -> [t*], branching to l with t* (ref ht) when not null;
// l's last type must take that reference.
bool FunctionValidator::branch_on_null(const Instr& in) {
  if (!check_label(in.index)) return false;
  ValType t;
  if (!pop_any(&t)) return false;
  if (t != ValType::Bottom && !is_ref(t)) return fail("type mismatch", "expected a reference, got " + valtype_name(t));
  const ValType non_null = t == ValType::Bottom ? t : make_ref(heap_type(t), false);
  const auto label = label_types(ctrl_[ctrl_.size() - 1 - in.index]);
  if (in.op == Op::BrOnNull) {
    if (!pop_many(label)) return false;
    push_many(label);
    push(non_null);
    return true;
  }
  if (label.empty() || !is_ref(label.back())) {
    return fail("type mismatch", "br_on_non_null needs a label whose last type is a reference");
  }
  if (t != ValType::Bottom && !matches(m(), non_null, label.back())) return type_mismatch(label.back(), non_null);
  const auto rest = label.subspan(0, label.size() - 1);
  if (!pop_many(rest)) return false;
  push_many(rest);
  return true;
}

// call_ref $t and return_call_ref $t: [params (ref null $t)] -> [results].
bool FunctionValidator::call_ref(const Instr& in) {
  if (in.index >= m().types.size()) return fail("unknown type", "type " + std::to_string(in.index));
  if (!pop(make_ref(heap::of_index(in.index), true))) return false;
  const FuncType& t = m().types[in.index];
  if (in.op == Op::ReturnCallRef) return tail_call(in, t);
  if (!pop_many(t.params)) return false;
  push_many(t.results);
  return true;
}

bool FunctionValidator::check_tag(uint32_t index) {
  if (index >= m().tags.size()) return fail("unknown tag", "tag " + std::to_string(index));
  return true;
}

// try_table bt clauses: each clause's values (the tag's payload, then the exnref for the _ref
// forms) must fit its label; then a block.
bool FunctionValidator::try_table(const Instr& in, const std::vector<CatchClause>& catches) {
  if (!check_block_type(in.block)) return false;
  for (const CatchClause& c : catches) {
    const bool with_tag = c.kind == CatchClause::Catch || c.kind == CatchClause::CatchRef;
    if (with_tag && !check_tag(c.tag)) return false;
    if (!check_label(c.label)) return false;
    scratch_.clear();
    if (with_tag) {
      const auto& p = m().types[m().tags[c.tag]].params;
      scratch_.assign(p.begin(), p.end());
    }
    if (c.kind == CatchClause::CatchRef || c.kind == CatchClause::CatchAllRef) scratch_.push_back(make_ref(heap::Exn, false));
    if (!all_match(scratch_, label_types(ctrl_[ctrl_.size() - 1 - c.label]))) {
      return fail("type mismatch", "a catch clause's values do not fit its label");
    }
  }
  const auto params = params_of(in.block);
  if (!pop_many(params)) return false;
  ctrl_.push_back(Frame{Op::Block, in.block, static_cast<uint32_t>(stack_.size()), false,
                        static_cast<uint32_t>(inits_.size())});
  push_many(params);
  return true;
}

// Legacy catch x / catch_all: end the try body (or the previous catch) like else, then start a
// handler with the tag's payload (nothing for catch_all) on the stack.
bool FunctionValidator::legacy_catch(const Instr& in) {
  Frame& f = ctrl_.back();
  if (f.kind != Op::Try && f.kind != Op::Catch) {
    return fail(in.op == Op::Catch ? "catch without a matching try" : "catch_all without a matching try");
  }
  if (in.op == Op::Catch && !check_tag(in.index)) return false;
  if (!check_stack_exact(results_of(f.type))) return false;
  Frame& g = ctrl_.back();
  g.kind = in.op;
  g.unreachable = false;
  reset_inits(g.inits);
  stack_.resize(g.height);
  if (in.op == Op::Catch) push_many(m().types[m().tags[in.index]].params);
  return true;
}

}  // namespace atl::wasm

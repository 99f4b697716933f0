// WebAssembly 2.0 types: value, reference, function, limits, table, memory, global, extern kinds.
//
// Value types carry their binary encoding as the enum value so the decoder can map a byte to a
// type with one range check. `Bottom` is the validator's "unknown" operand type produced by
// unreachable code; it never appears in a module.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace atl::wasm {

enum class ValType : uint8_t {
  I32 = 0x7f,
  I64 = 0x7e,
  F32 = 0x7d,
  F64 = 0x7c,
  V128 = 0x7b,
  FuncRef = 0x70,
  ExternRef = 0x6f,
  Bottom = 0x00,
};

inline bool is_valid_valtype_byte(uint8_t b) {
  return (b >= 0x7b && b <= 0x7f) || b == 0x70 || b == 0x6f;
}
inline bool is_ref(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }
inline bool is_num(ValType t) {
  return t == ValType::I32 || t == ValType::I64 || t == ValType::F32 || t == ValType::F64;
}
const char* valtype_name(ValType t);

// Strongly typed indices keep function, table, memory, global and type spaces apart.
enum class TypeIndex : uint32_t {};
enum class FuncIndex : uint32_t {};

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};
std::string functype_to_string(const FuncType& t);

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
};

// 3.0 (memory64): a table or memory is indexed by i32 or, with `is64`, by i64 addresses.
struct TableType {
  ValType elem = ValType::FuncRef;
  Limits limits;
  bool is64 = false;
  ValType addr_type() const { return is64 ? ValType::I64 : ValType::I32; }
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
  bool is64 = false;
  ValType addr_type() const { return is64 ? ValType::I64 : ValType::I32; }
};

struct GlobalType {
  ValType type = ValType::I32;
  bool is_mutable = false;
};

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3 };
const char* extern_kind_name(ExternKind k);

constexpr uint32_t kPageSize = 65536;
constexpr uint64_t kMaxPages = 65536;  // 4 GiB for a 32-bit memory
constexpr uint64_t kMaxPages64 = uint64_t{1} << 48;  // the whole 64-bit space, for a 64-bit memory

}  // namespace atl::wasm

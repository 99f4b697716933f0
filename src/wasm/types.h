// WebAssembly types: value, reference, function, limits, table, memory, global, extern kinds.
//
// Value types carry their binary encoding as the enum value so the decoder can map a byte to a
// type with one range check. `Bottom` is the validator's "unknown" operand type produced by
// unreachable code; it never appears in a module.
//
// Typed references (3.0, function references): `(ref null? ht)` is encoded in the enum's 32 bits
// as the binary prefix (0x63 nullable, 0x64 not) in the low byte and the heap type above it: an
// abstract heap type as its byte (func 0x70, extern 0x6f, nofunc 0x73, noextern 0x72, exn 0x69,
// noexn 0x74), a type index i as kHeapTypeBase + i. The nullable func and extern references are
// always written FuncRef and ExternRef, so equal types are equal enums.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace atl::wasm {

enum class ValType : uint32_t {
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

// Heap types (see above).
namespace heap {
constexpr uint32_t Func = 0x70, Extern = 0x6f, NoFunc = 0x73, NoExtern = 0x72, Exn = 0x69, NoExn = 0x74;
constexpr uint32_t kTypeBase = 0x100;  // type index i is kTypeBase + i
constexpr uint32_t kMaxTypeIndex = (uint32_t{1} << 24) - 1 - kTypeBase;
inline bool is_index(uint32_t h) { return h >= kTypeBase; }
inline uint32_t index(uint32_t h) { return h - kTypeBase; }
inline uint32_t of_index(uint32_t i) { return kTypeBase + i; }
// The top of a heap type's hierarchy: func, extern or exn.
inline uint32_t top(uint32_t h) {
  if (is_index(h) || h == NoFunc) return Func;
  if (h == NoExtern) return Extern;
  if (h == NoExn) return Exn;
  return h;
}
}  // namespace heap

constexpr uint8_t kRefNullPrefix = 0x63, kRefPrefix = 0x64;
inline uint8_t type_code(ValType t) { return static_cast<uint8_t>(static_cast<uint32_t>(t)); }
inline bool is_ref(ValType t) {
  const uint8_t c = type_code(t);
  return c == 0x70 || c == 0x6f || c == kRefNullPrefix || c == kRefPrefix;
}
inline bool is_nullable(ValType t) { return type_code(t) != kRefPrefix; }
inline uint32_t heap_type(ValType t) {
  if (t == ValType::FuncRef) return heap::Func;
  if (t == ValType::ExternRef) return heap::Extern;
  return static_cast<uint32_t>(t) >> 8;
}
inline ValType make_ref(uint32_t heap_type, bool nullable) {
  if (nullable && heap_type == heap::Func) return ValType::FuncRef;
  if (nullable && heap_type == heap::Extern) return ValType::ExternRef;
  return static_cast<ValType>((heap_type << 8) | (nullable ? kRefNullPrefix : kRefPrefix));
}
// Locals of other types (non-null references) have no default value: they must be set first.
inline bool is_defaultable(ValType t) { return !is_ref(t) || is_nullable(t); }
// Whether a reference of this type is a funcref at run time (a FuncRef pointer, callable).
inline bool is_func_ref(ValType t) { return is_ref(t) && heap::top(heap_type(t)) == heap::Func; }
inline bool is_num(ValType t) {
  return t == ValType::I32 || t == ValType::I64 || t == ValType::F32 || t == ValType::F64;
}
// "i32", "funcref", "(ref null 3)", "(ref func)", ...
std::string valtype_name(ValType t);
const char* basic_valtype_name(ValType t);  // the 2.0 types' names; nullptr for typed references
std::string heap_type_name(uint32_t heap_type);  // "func", "nofunc", "3", ...

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

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3, Tag = 4 };
const char* extern_kind_name(ExternKind k);

constexpr uint32_t kPageSize = 65536;
constexpr uint64_t kMaxPages = 65536;  // 4 GiB for a 32-bit memory
constexpr uint64_t kMaxPages64 = uint64_t{1} << 48;  // the whole 64-bit space, for a 64-bit memory

}  // namespace atl::wasm

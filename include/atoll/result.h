// Errors as values.
//
// Every fallible operation in atoll returns Result<T>: either a T or an Error that says what went
// wrong and where (byte offset into the module, function index when inside a function body).
// No exceptions cross a component boundary; this keeps the signal path and generated code free
// of unwinding concerns later on.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

// Symbols of the shared library (libatoll.so) that embedders may use; everything else is
// hidden (the library is built with -fvisibility=hidden).
#ifndef ATOLL_API
#define ATOLL_API __attribute__((visibility("default")))
#endif

namespace atl {

enum class ErrorKind : uint8_t {
  Malformed,  // the bytes are not a WebAssembly binary (decoding failed)
  Invalid,    // decodes, but fails validation
  Io,         // reading or writing a file failed
  Usage,      // a bad argument from the user
  Link,       // imports do not match what the module needs
  Trap,       // guest execution trapped (trap_code says why)
  Unsupported,  // valid, but uses something atoll does not implement yet
  Other,
};

ATOLL_API const char* error_kind_name(ErrorKind kind);

// Why guest code trapped (Error::trap() of an ErrorKind::Trap error).
enum class TrapCode : uint32_t {
  None = 0,
  Unreachable = 1,
  MemoryOutOfBounds = 2,
  TableOutOfBounds = 3,
  IndirectCallNull = 4,          // an uninitialised table element
  IndirectCallTypeMismatch = 5,
  IntegerDivideByZero = 6,
  IntegerOverflow = 7,
  InvalidConversion = 8,         // float to integer out of range or NaN
  StackOverflow = 9,
  HostError = 10,                // a host function failed
  Interrupted = 11,              // an epoch deadline
  OutOfFuel = 12,
  IndirectCallOutOfBounds = 13,  // call_indirect past the table's end
  NullReference = 14,            // ref.as_non_null of null
  NullFunctionReference = 15,    // call_ref / return_call_ref of null
  NullExceptionReference = 16,   // throw_ref of null
  UncaughtException = 17,        // a wasm exception reached the host
  // A new code also needs abi::kNumTrapCodes and abi::trap_message (src/abi).
};

struct ATOLL_API Error {
  static constexpr uint64_t kNoOffset = ~uint64_t{0};
  static constexpr uint32_t kNoFunc = ~uint32_t{0};

  ErrorKind kind = ErrorKind::Other;
  std::string message;
  uint64_t offset = kNoOffset;  // absolute byte offset into the input
  uint32_t func = kNoFunc;      // function index (imports included) when inside a body
  uint32_t trap_code = 0;       // ErrorKind::Trap: a TrapCode
  std::string backtrace;        // ErrorKind::Trap: wasm frames, innermost first, one per line
  // The same frames, structured, innermost first. A function LLVM inlined into its caller is a
  // frame of its own (inlined = true), as is a source function the guest's compiler inlined
  // (the guest's DWARF says so; such frames share func_index and wasm_offset).
  struct Frame {
    uint32_t func_index = 0;        // imports included
    uint64_t native_offset = 0;     // in the machine code that holds the frame
    uint64_t wasm_offset = kNoOffset;  // of the instruction, in the module's bytes
    uint64_t func_offset = kNoOffset;  // of the instruction, from the start of its function's body
    bool inlined = false;
    std::string function;           // the guest's DWARF name, else name section or export; may be ""
    std::string file;               // from the guest's DWARF (clang -g), else ""
    uint32_t line = 0;
    uint32_t column = 0;
  };
  std::vector<Frame> frames;

  TrapCode trap() const { return static_cast<TrapCode>(trap_code); }

  // "invalid module: function 3 at offset 0x1f: type mismatch: ..." on one line.
  std::string to_string() const;
};

// Thrown when a failed Result is dereferenced (its message is the error's, so a forgotten check
// says what failed) or when a successful one is asked for its error.
class ATOLL_API BadResultAccess : public std::logic_error {
 public:
  explicit BadResultAccess(const std::string& what) : std::logic_error(what) {}
};
[[noreturn]] ATOLL_API void throw_bad_result_access(const Error* error);  // null: no error

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT(implicit)
  Result(Error error) : v_(std::move(error)) {}        // NOLINT(implicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return *checked(); }
  const T& value() const& { return *const_cast<Result*>(this)->checked(); }
  T&& value() && { return std::move(*checked()); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const {
    if (ok()) throw_bad_result_access(nullptr);
    return *std::get_if<1>(&v_);
  }
  Error&& take_error() {
    if (ok()) throw_bad_result_access(nullptr);
    return std::move(*std::get_if<1>(&v_));
  }

 private:
  T* checked() {
    if (!ok()) throw_bad_result_access(std::get_if<1>(&v_));
    return std::get_if<0>(&v_);
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)) {}  // NOLINT(implicit)

  bool ok() const { return !err_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    if (!err_) throw_bad_result_access(nullptr);
    return *err_;
  }
  Error&& take_error() {
    if (!err_) throw_bad_result_access(nullptr);
    return std::move(*err_);
  }

 private:
  std::optional<Error> err_;
};

inline Error make_error(ErrorKind kind, std::string message, uint64_t offset = Error::kNoOffset,
                        uint32_t func = Error::kNoFunc) {
  Error e;
  e.kind = kind;
  e.message = std::move(message);
  e.offset = offset;
  e.func = func;
  return e;
}

}  // namespace atl

// Errors as values.
//
// Every fallible operation in atoll returns Result<T>: either a T or an Error that says what went
// wrong and where (byte offset into the module, function index when inside a function body).
// No exceptions cross a component boundary; this keeps the signal path and generated code free
// of unwinding concerns later on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

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

const char* error_kind_name(ErrorKind kind);

struct Error {
  static constexpr uint64_t kNoOffset = ~uint64_t{0};
  static constexpr uint32_t kNoFunc = ~uint32_t{0};

  ErrorKind kind = ErrorKind::Other;
  std::string message;
  uint64_t offset = kNoOffset;  // absolute byte offset into the input
  uint32_t func = kNoFunc;      // function index (imports included) when inside a body
  uint32_t trap_code = 0;       // ErrorKind::Trap: an abi::TrapCode
  std::string backtrace;        // ErrorKind::Trap: wasm frames, innermost first, one per line

  // "invalid module: function 3 at offset 0x1f: type mismatch: ..." on one line.
  std::string to_string() const;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT(implicit)
  Result(Error error) : v_(std::move(error)) {}        // NOLINT(implicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)) {}  // NOLINT(implicit)

  bool ok() const { return !err_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *err_; }
  Error&& take_error() { return std::move(*err_); }

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

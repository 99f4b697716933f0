#include "abi/abi.h"

namespace atl::abi {

const char* trap_message(TrapCode code) {
  switch (code) {
    case TrapCode::None: return "no trap";
    case TrapCode::Unreachable: return "unreachable";
    case TrapCode::MemoryOutOfBounds: return "out of bounds memory access";
    case TrapCode::TableOutOfBounds: return "out of bounds table access";
    case TrapCode::IndirectCallNull: return "uninitialized element";
    case TrapCode::IndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapCode::IntegerDivideByZero: return "integer divide by zero";
    case TrapCode::IntegerOverflow: return "integer overflow";
    case TrapCode::InvalidConversion: return "invalid conversion to integer";
    case TrapCode::StackOverflow: return "call stack exhausted";
    case TrapCode::HostError: return "host function failed";
    case TrapCode::Interrupted: return "interrupted";
    case TrapCode::OutOfFuel: return "all fuel consumed";
    case TrapCode::IndirectCallOutOfBounds: return "undefined element";
    case TrapCode::NullReference: return "null reference";
    case TrapCode::NullFunctionReference: return "null function reference";
    case TrapCode::NullExceptionReference: return "null exception reference";
    case TrapCode::UncaughtException: return "uncaught exception";
  }
  return "unknown trap";
}

}  // namespace atl::abi

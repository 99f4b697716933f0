#include "abi/abi.h"

#include "atoll/result.h"

namespace {
// The public TrapCode (include/atoll/result.h) is this one, value for value.
constexpr bool same(atl::abi::TrapCode a, atl::TrapCode b) { return static_cast<uint32_t>(a) == static_cast<uint32_t>(b); }
static_assert(same(atl::abi::TrapCode::Unreachable, atl::TrapCode::Unreachable));
static_assert(same(atl::abi::TrapCode::MemoryOutOfBounds, atl::TrapCode::MemoryOutOfBounds));
static_assert(same(atl::abi::TrapCode::TableOutOfBounds, atl::TrapCode::TableOutOfBounds));
static_assert(same(atl::abi::TrapCode::IndirectCallNull, atl::TrapCode::IndirectCallNull));
static_assert(same(atl::abi::TrapCode::IndirectCallTypeMismatch, atl::TrapCode::IndirectCallTypeMismatch));
static_assert(same(atl::abi::TrapCode::IntegerDivideByZero, atl::TrapCode::IntegerDivideByZero));
static_assert(same(atl::abi::TrapCode::IntegerOverflow, atl::TrapCode::IntegerOverflow));
static_assert(same(atl::abi::TrapCode::InvalidConversion, atl::TrapCode::InvalidConversion));
static_assert(same(atl::abi::TrapCode::StackOverflow, atl::TrapCode::StackOverflow));
static_assert(same(atl::abi::TrapCode::HostError, atl::TrapCode::HostError));
static_assert(same(atl::abi::TrapCode::Interrupted, atl::TrapCode::Interrupted));
static_assert(same(atl::abi::TrapCode::OutOfFuel, atl::TrapCode::OutOfFuel));
static_assert(same(atl::abi::TrapCode::IndirectCallOutOfBounds, atl::TrapCode::IndirectCallOutOfBounds));
static_assert(atl::abi::kNumTrapCodes == 14, "a new trap code belongs in include/atoll/result.h too");
}  // namespace

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
  }
  return "unknown trap";
}

}  // namespace atl::abi

#include "support/host_cpu.h"

// glibc keeps what its dynamic loader learned from CPUID; asking it costs no CPUID, which in a
// virtual machine traps to the hypervisor (a few microseconds each: ten of them were 2% of a warm
// `atoll run`). Elsewhere, CPUID and XGETBV are asked once.
#if __has_include(<sys/platform/x86.h>)
// glibc 2.36's header spells its inline helpers' return type _Bool, which C++ does not have.
#define _Bool bool
#include <sys/platform/x86.h>
#undef _Bool
#define ATOLL_GLIBC_CPU_FEATURES 1
#else
#include <cpuid.h>
#endif

namespace atl {

#ifdef ATOLL_GLIBC_CPU_FEATURES

bool host_has(X86Feature feature) {
  switch (feature) {
    case X86Feature::SSE3: return CPU_FEATURE_ACTIVE(SSE3);
    case X86Feature::SSSE3: return CPU_FEATURE_ACTIVE(SSSE3);
    case X86Feature::SSE41: return CPU_FEATURE_ACTIVE(SSE4_1);
    case X86Feature::SSE42: return CPU_FEATURE_ACTIVE(SSE4_2);
    case X86Feature::POPCNT: return CPU_FEATURE_ACTIVE(POPCNT);
    case X86Feature::AVX: return CPU_FEATURE_ACTIVE(AVX);
    case X86Feature::FMA: return CPU_FEATURE_ACTIVE(FMA);
    case X86Feature::AVX2: return CPU_FEATURE_ACTIVE(AVX2);
    case X86Feature::BMI1: return CPU_FEATURE_ACTIVE(BMI1);
    case X86Feature::BMI2: return CPU_FEATURE_ACTIVE(BMI2);
    case X86Feature::AVX512F: return CPU_FEATURE_ACTIVE(AVX512F);
    case X86Feature::AVX512BW: return CPU_FEATURE_ACTIVE(AVX512BW);
    case X86Feature::AVX512DQ: return CPU_FEATURE_ACTIVE(AVX512DQ);
    case X86Feature::AVX512VL: return CPU_FEATURE_ACTIVE(AVX512VL);
    case X86Feature::LZCNT: return CPU_FEATURE_ACTIVE(LZCNT);
    case X86Feature::SHA: return CPU_FEATURE_ACTIVE(SHA);
  }
  return false;
}

#else

namespace {

struct Cpuid {
  unsigned l1c = 0, l7b = 0, l7c = 0, ext1c = 0;
  unsigned long long xcr0 = 0;
  Cpuid() {
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) l1c = c;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) l7b = b, l7c = c;
    if (__get_cpuid(0x80000001, &a, &b, &c, &d)) ext1c = c;
    if (l1c & bit_OSXSAVE) {
      unsigned lo, hi;
      __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
    }
  }
};

}  // namespace

bool host_has(X86Feature feature) {
  static const Cpuid id;
  const bool ymm = (id.xcr0 & 0x6) == 0x6, zmm = ymm && (id.xcr0 & 0xe0) == 0xe0;
  switch (feature) {
    case X86Feature::SSE3: return id.l1c & bit_SSE3;
    case X86Feature::SSSE3: return id.l1c & bit_SSSE3;
    case X86Feature::SSE41: return id.l1c & bit_SSE4_1;
    case X86Feature::SSE42: return id.l1c & bit_SSE4_2;
    case X86Feature::POPCNT: return id.l1c & bit_POPCNT;
    case X86Feature::AVX: return ymm && (id.l1c & bit_AVX);
    case X86Feature::FMA: return ymm && (id.l1c & bit_FMA);
    case X86Feature::AVX2: return ymm && (id.l7b & bit_AVX2);
    case X86Feature::BMI1: return id.l7b & bit_BMI;
    case X86Feature::BMI2: return id.l7b & bit_BMI2;
    case X86Feature::AVX512F: return zmm && (id.l7b & bit_AVX512F);
    case X86Feature::AVX512BW: return zmm && (id.l7b & bit_AVX512BW);
    case X86Feature::AVX512DQ: return zmm && (id.l7b & bit_AVX512DQ);
    case X86Feature::AVX512VL: return zmm && (id.l7b & bit_AVX512VL);
    case X86Feature::LZCNT: return id.ext1c & bit_LZCNT;
    case X86Feature::SHA: return id.l7b & bit_SHA;
  }
  return false;
}

#endif

}  // namespace atl

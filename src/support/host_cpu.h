// The x86-64 features this process may use: present in the CPU and enabled by the kernel (the
// AVX and AVX-512 register state), as the C library determined them at start-up.
#pragma once

namespace atl {

enum class X86Feature {
  SSE3, SSSE3, SSE41, SSE42, POPCNT, AVX, FMA, AVX2, BMI1, BMI2,
  AVX512F, AVX512BW, AVX512DQ, AVX512VL, LZCNT, SHA,
};

bool host_has(X86Feature feature);

}  // namespace atl

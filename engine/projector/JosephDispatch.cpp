#include "projector/JosephKernels.h"

namespace tomolive::joseph {

const KernelSet& bestKernels() {
  static const KernelSet best = [] {
    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
    // Everything -march=x86-64-v3 may emit: AVX2, FMA, BMI1/2, LZCNT, MOVBE, F16C.
    const bool avx2 = __builtin_cpu_supports("x86-64-v3");
    return avx512 ? avx512::kernels() : avx2 ? avx2::kernels() : baseline::kernels();
  }();
  return best;
}

}  // namespace tomolive::joseph

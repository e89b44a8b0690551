#include "projector/JosephKernels.h"

namespace tomolive::joseph {

const KernelSet& bestKernels() {
  static const KernelSet best = [] {
    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
    return avx512 ? avx512::kernels() : baseline::kernels();
  }();
  return best;
}

}  // namespace tomolive::joseph

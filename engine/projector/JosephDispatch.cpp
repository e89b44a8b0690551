#include "projector/JosephKernels.h"

#include <stdexcept>
#include <string>

namespace tomolive::joseph {

namespace {
bool runsAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
}
bool runsAvx2() {
  __builtin_cpu_init();
  // Everything -march=x86-64-v3 may emit: AVX2, FMA, BMI1/2, LZCNT, MOVBE, F16C.
  return __builtin_cpu_supports("x86-64-v3");
}
}  // namespace

const KernelSet& bestKernels() {
  static const KernelSet best = runsAvx512() ? avx512::kernels()
                                : runsAvx2() ? avx2::kernels()
                                             : baseline::kernels();
  return best;
}

const KernelSet& kernelsNamed(std::string_view name) {
  // Each set is made only once this CPU is known to run it: the AVX-512 translation unit's own
  // code may use its instructions.
  const auto unusable = [&] {
    return std::invalid_argument("kernel set " + std::string(name) + ": this CPU cannot run it");
  };
  if (name == "best") return bestKernels();
  if (name == "avx512") {
    if (!runsAvx512()) throw unusable();
    static const KernelSet set = avx512::kernels();
    return set;
  }
  if (name == "avx2") {
    if (!runsAvx2()) throw unusable();
    static const KernelSet set = avx2::kernels();
    return set;
  }
  if (name == "baseline") {
    static const KernelSet set = baseline::kernels();
    return set;
  }
  throw std::invalid_argument("kernel set \"" + std::string(name) +
                              "\": expected best, avx512, avx2 or baseline");
}

}  // namespace tomolive::joseph

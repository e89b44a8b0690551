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
  static const KernelSet sets[] = {avx512::kernels(), avx2::kernels(), baseline::kernels()};
  if (name == "best") return bestKernels();
  if (name == "avx512" || name == "avx2") {
    if (!(name == "avx512" ? runsAvx512() : runsAvx2()))
      throw std::invalid_argument("kernel set " + std::string(name) + ": this CPU cannot run it");
    return sets[name == "avx512" ? 0 : 1];
  }
  if (name == "baseline") return sets[2];
  throw std::invalid_argument("kernel set \"" + std::string(name) +
                              "\": expected best, avx512, avx2 or baseline");
}

}  // namespace tomolive::joseph

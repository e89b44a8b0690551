// Compiled twice (see engine/CMakeLists.txt): TOMOLIVE_KERNEL_ISA names the namespace and the
// compiler flags select the instruction set.
#include "projector/JosephKernels.h"

namespace tomolive::joseph::TOMOLIVE_KERNEL_ISA {
namespace {

template <int L>
struct Lanes {
  typedef float Vec __attribute__((vector_size(L * sizeof(float)), may_alias));
};

// Floor of f for f > −2, as an index into a padded line (pixel k at k + 2).
inline int paddedIndex(double f) { return static_cast<int>(f + kLinePadding); }

template <int L>
void forwardLanes(const LineBlock& lines, const RayBlock& rays) {
  using Vec = typename Lanes<L>::Vec;
  const std::size_t lineStride = std::size_t(lines.n + 2 * kLinePadding);
  for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
    const Vec* line = reinterpret_cast<const Vec*>(lines.data) + l * lineStride;
    for (int p = 0; p < rays.count; ++p) {
      const JosephRays& plan = rays.plans[p];
      const int begin = plan.rayBegin[l] > rays.rayBegin ? plan.rayBegin[l] : rays.rayBegin;
      const int end = plan.rayEnd[l] < rays.rayEnd ? plan.rayEnd[l] : rays.rayEnd;
      Vec* row = reinterpret_cast<Vec*>(rays.rows[p]);
      const double alpha = plan.alpha, beta = plan.beta0 + l * plan.betaStep;
      const float weight = plan.weight;
      for (int j = begin; j < end; ++j) {
        const double f = alpha * j + beta;
        const int k = paddedIndex(f);
        const float w = static_cast<float>(f - (k - kLinePadding));
        const Vec a = line[k], b = line[k + 1];
        row[j] += weight * (a + w * (b - a));
      }
    }
  }
}

template <int L>
void backLanes(const LineBlock& lines, const RayBlock& rays) {
  using Vec = typename Lanes<L>::Vec;
  const std::size_t lineStride = std::size_t(lines.n + 2 * kLinePadding);
  for (int p = 0; p < rays.count; ++p) {
    const JosephRays& plan = rays.plans[p];
    const Vec* row = reinterpret_cast<const Vec*>(rays.rows[p]);
    const double alpha = plan.alpha;
    const float weight = plan.weight;
    for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
      Vec* line = reinterpret_cast<Vec*>(lines.data) + l * lineStride;
      const int begin = plan.rayBegin[l] > rays.rayBegin ? plan.rayBegin[l] : rays.rayBegin;
      const int end = plan.rayEnd[l] < rays.rayEnd ? plan.rayEnd[l] : rays.rayEnd;
      const double beta = plan.beta0 + l * plan.betaStep;
      for (int j = begin; j < end; ++j) {
        const double f = alpha * j + beta;
        const int k = paddedIndex(f);
        const float w = static_cast<float>(f - (k - kLinePadding));
        const Vec v = weight * row[j];
        line[k] += v - w * v;
        line[k + 1] += w * v;
      }
    }
  }
}

void forward(const LineBlock& lines, const RayBlock& rays) {
  switch (lines.lanes) {
    case 4:
      return forwardLanes<4>(lines, rays);
    case 8:
      return forwardLanes<8>(lines, rays);
    default:
      return forwardLanes<16>(lines, rays);
  }
}

void back(const LineBlock& lines, const RayBlock& rays) {
  switch (lines.lanes) {
    case 4:
      return backLanes<4>(lines, rays);
    case 8:
      return backLanes<8>(lines, rays);
    default:
      return backLanes<16>(lines, rays);
  }
}

}  // namespace

KernelSet kernels() {
#define TOMOLIVE_STR2(x) #x
#define TOMOLIVE_STR(x) TOMOLIVE_STR2(x)
  return {TOMOLIVE_STR(TOMOLIVE_KERNEL_ISA), &forward, &back};
}

}  // namespace tomolive::joseph::TOMOLIVE_KERNEL_ISA

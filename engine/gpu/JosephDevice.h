#pragma once
// Per-thread arithmetic of the CUDA Joseph projectors, shared with the host so that a machine
// without a GPU can check it against the CPU projector (tests/test_gpu_math.cpp).
//
// The discretisation is the CPU one (engine/projector/JosephPlan.h, JosephKernels.cpp): ray j
// meets line l at f = alpha·j + (beta0 + l·betaStep), evaluated in double in that order; the
// sample interpolates pixels ⌊f⌋ and ⌊f⌋ + 1 (zero outside the grid) and is scaled by `weight`;
// only rays rayBegin[l] ≤ j < rayEnd[l] are traced on line l. The forward projector gathers
// along a ray; the back projector gathers, for one pixel, exactly the (ray, weight) pairs the
// forward projector scatters to it, so the pair is an exact transpose up to float rounding.
#include <cmath>

#include "gpu/GpuApi.h"
#include "gpu/HostDevice.h"

namespace tomolive::gpu::joseph {

/// Where ray j meets line l: the interpolation's first pixel k (may lie outside 0 … n−1) and the
/// weight w of pixel k + 1 (pixel k gets 1 − w).
struct Sample {
  int k;
  float w;
};

/// β of line l: where ray 0 meets it.
TOMOLIVE_HD inline double lineOffset(const JosephProjection& p, int line) {
  return p.beta0 + line * p.betaStep;
}

/// The sample of ray j on the line whose offset is `beta` (lineOffset).
TOMOLIVE_HD inline Sample sampleOnLine(const JosephProjection& p, double beta, int j) {
  const double f = p.alpha * j + beta;
  const int padded = static_cast<int>(f + 2);  // ⌊f⌋ for f > −2, as the CPU's padded lines
  return {padded - 2, static_cast<float>(f - (padded - 2))};
}

TOMOLIVE_HD inline Sample sample(const JosephProjection& p, int line, int j) {
  return sampleOnLine(p, lineOffset(p, line), j);
}

/// Row-major index of pixel k of line l in an n × n slice.
TOMOLIVE_HD inline int pixelOf(const JosephProjection& p, int line, int k, int n) {
  return p.alongColumns ? k * n + line : line * n + k;
}

/// A_p · x for ray j: Σ over the lines the ray touches. `read(pixel)` returns the pixel's value:
/// a float for one slice, or a vector of the slice lanes (the kernels), whose arithmetic is then
/// the float arithmetic lane by lane.
template <class Read>
TOMOLIVE_HD inline auto forwardRay(const JosephProjection& p, const int* rayBegin, const int* rayEnd,
                                   int n, int j, Read read) {
  using Value = decltype(read(0));
  Value sum{};
  for (int l = 0; l < n; ++l) {
    if (j < rayBegin[l] || j >= rayEnd[l]) continue;
    const Sample s = sample(p, l, j);
    const Value a = s.k >= 0 && s.k < n ? read(pixelOf(p, l, s.k, n)) : Value{};
    const Value b = s.k + 1 >= 0 && s.k + 1 < n ? read(pixelOf(p, l, s.k + 1, n)) : Value{};
    sum += p.weight * (a + s.w * (b - a));
  }
  return sum;
}

/// (A_pᵀ · y)[pixel k of line l]: the rays whose interpolation touches pixel k. Since
/// |alpha| ≥ 1, those rays lie within two columns of j = (k − β)/alpha; five candidates are
/// tested with the forward projector's own arithmetic. `read(j)` returns y_p[j] (a float or a
/// vector of lanes, as for forwardRay).
template <class Read>
TOMOLIVE_HD inline auto backPixel(const JosephProjection& p, const int* rayBegin, const int* rayEnd,
                                  int line, int k, Read read) {
  using Value = decltype(read(0));
  const double beta = lineOffset(p, line);
  const int centre = static_cast<int>(floor((k - beta) / p.alpha));
  const int first = centre - 2 > rayBegin[line] ? centre - 2 : rayBegin[line];
  const int last = centre + 3 < rayEnd[line] ? centre + 3 : rayEnd[line];
  Value sum{};
  for (int j = first; j < last; ++j) {
    const Sample s = sampleOnLine(p, beta, j);
    if (s.k != k && s.k + 1 != k) continue;
    const Value v = p.weight * read(j);
    if (s.k == k) sum += v - s.w * v;
    if (s.k + 1 == k) sum += s.w * v;
  }
  return sum;
}

/// 1/v for a row or column sum, zero for rays or pixels the window does not see (as the CPU).
TOMOLIVE_HD inline float reciprocalOrZero(float v) { return v > 1e-6f ? 1.0f / v : 0.0f; }

}  // namespace tomolive::gpu::joseph

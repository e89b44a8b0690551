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
#include <cstddef>

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

/// The window's traced projections and the stacks' shape, as the kernels see them (device
/// pointers there, host pointers in tests). Layouts: geometry/SliceStacks.h.
struct StackGeometry {
  const JosephProjection* projections;
  const int* rayBegin;  ///< [projection][line]
  const int* rayEnd;
  int n, columns, lanes, groups;
};

/// The L slice lanes of one pixel (or ray) of a stack, held in registers; arithmetic lane by lane,
/// so each lane computes exactly what the CPU projector computes for its slice.
template <int L>
struct Lanes {
  float v[L];
};

template <int L>
TOMOLIVE_HD inline Lanes<L> operator+(Lanes<L> a, const Lanes<L>& b) {
  for (int i = 0; i < L; ++i) a.v[i] += b.v[i];
  return a;
}
template <int L>
TOMOLIVE_HD inline Lanes<L> operator-(Lanes<L> a, const Lanes<L>& b) {
  for (int i = 0; i < L; ++i) a.v[i] -= b.v[i];
  return a;
}
template <int L>
TOMOLIVE_HD inline Lanes<L> operator*(float s, Lanes<L> a) {
  for (int i = 0; i < L; ++i) a.v[i] = s * a.v[i];
  return a;
}
template <int L>
TOMOLIVE_HD inline Lanes<L>& operator+=(Lanes<L>& a, const Lanes<L>& b) {
  for (int i = 0; i < L; ++i) a.v[i] += b.v[i];
  return a;
}

/// The lanes at `at`: L consecutive floats, 16-byte aligned (L is 4, 8 or 16 and stacks are
/// aligned), so the GPU reads and writes them with vector instructions.
template <int L>
TOMOLIVE_HD inline Lanes<L> loadLanes(const float* at) {
  Lanes<L> r;
#ifdef __CUDA_ARCH__
  const float4* q = reinterpret_cast<const float4*>(at);
  for (int i = 0; i < L / 4; ++i) {
    const float4 f = q[i];
    r.v[4 * i] = f.x, r.v[4 * i + 1] = f.y, r.v[4 * i + 2] = f.z, r.v[4 * i + 3] = f.w;
  }
#else
  for (int i = 0; i < L; ++i) r.v[i] = at[i];
#endif
  return r;
}
template <int L>
TOMOLIVE_HD inline void storeLanes(float* at, const Lanes<L>& r) {
#ifdef __CUDA_ARCH__
  float4* q = reinterpret_cast<float4*>(at);
  for (int i = 0; i < L / 4; ++i)
    q[i] = make_float4(r.v[4 * i], r.v[4 * i + 1], r.v[4 * i + 2], r.v[4 * i + 3]);
#else
  for (int i = 0; i < L; ++i) at[i] = r.v[i];
#endif
}

/// Offset of ray j of window projection p, slice group `group`, in a projection stack.
TOMOLIVE_HD inline std::size_t rayOffset(const StackGeometry& g, int p, int group, int j) {
  return ((std::size_t(p) * g.groups + group) * g.columns + j) * g.lanes;
}
/// Offset of pixel `pixel` (row-major) of slice group `group` in a volume stack.
TOMOLIVE_HD inline std::size_t pixelOffset(const StackGeometry& g, int group, int pixel) {
  return (std::size_t(group) * g.n * g.n + pixel) * g.lanes;
}

/// The forward kernel's thread (ray j of window projection p, slice group `group`, L = lanes):
/// the ray sums of the group's slices.
template <int L>
TOMOLIVE_HD inline Lanes<L> forwardThread(const StackGeometry& g, const float* x, int p, int group,
                                          int j) {
  return forwardRay(g.projections[p], g.rayBegin + std::size_t(p) * g.n,
                    g.rayEnd + std::size_t(p) * g.n, g.n, j,
                    [&](int pixel) { return loadLanes<L>(x + pixelOffset(g, group, pixel)); });
}

/// The back kernel's thread (pixel of slice group `group`): Σ over the window's `count`
/// projections of Aᵀ·y at that pixel, for the group's slices.
template <int L>
TOMOLIVE_HD inline Lanes<L> backThread(const StackGeometry& g, int count, const float* y,
                                       int group, int pixel) {
  const int row = pixel / g.n, column = pixel % g.n;
  Lanes<L> sum{};
  for (int p = 0; p < count; ++p) {
    const JosephProjection proj = g.projections[p];
    const int line = proj.alongColumns ? column : row;
    const int k = proj.alongColumns ? row : column;
    sum += backPixel(proj, g.rayBegin + std::size_t(p) * g.n, g.rayEnd + std::size_t(p) * g.n,
                     line, k, [&](int j) { return loadLanes<L>(y + rayOffset(g, p, group, j)); });
  }
  return sum;
}

/// 1/v for a row or column sum, zero for rays or pixels the window does not see (as the CPU).
TOMOLIVE_HD inline float reciprocalOrZero(float v) { return v > 1e-6f ? 1.0f / v : 0.0f; }

// SIRT's per-element steps, shared by the CUDA kernels and the plugin's CPU emulation
// (tests/FakeGpuPlugin.cpp), so both run the same arithmetic.

/// Row weight t (ray t of the one-slice stack, lane 0 of `lanes`): 1 / (A · mask), at most 1 (as
/// the CPU, sirt/SirtSolver.cpp: a ray that only grazes the field of view's edge is weighted as
/// one pixel long, not by the inverse of its sliver).
TOMOLIVE_HD inline float sirtRowWeight(const float* rowSums, std::size_t t, int lanes) {
  const float length = rowSums[t * lanes];
  return length > 1e-6f ? 1.0f / (length > 1.0f ? length : 1.0f) : 0.0f;
}
/// Column weight of pixel t: mask / (Aᵀ · 1), lane 0 of `lanes`.
TOMOLIVE_HD inline float sirtColumnWeight(const float* columnSums, const float* mask, std::size_t t,
                                          int lanes) {
  return mask[t] * reciprocalOrZero(columnSums[t * lanes]);
}

/// One ray's weighted residual w·(p − A·x) for its L slices, adding the squared residuals (plain
/// and weighted) to the iteration's norms.
template <int L>
TOMOLIVE_HD inline Lanes<L> sirtResidual(const Lanes<L>& measured, const Lanes<L>& projected,
                                         float w, double& weighted, double& plain) {
  Lanes<L> d = measured - projected;
#ifdef __CUDA_ARCH__  // the device pass
#pragma unroll
#endif
  for (int i = 0; i < L; ++i) {
    plain += double(d.v[i]) * d.v[i];
    weighted += double(w) * d.v[i] * d.v[i];
    d.v[i] = w * d.v[i];
  }
  return d;
}

/// One pixel's update x + c·Aᵀr for its L slices, clamped at zero where non-negative.
template <int L>
TOMOLIVE_HD inline Lanes<L> sirtUpdate(Lanes<L> x, const Lanes<L>& back, float c, bool nonNegative) {
#ifdef __CUDA_ARCH__  // the device pass
#pragma unroll
#endif
  for (int i = 0; i < L; ++i) {
    x.v[i] += c * back.v[i];
    if (nonNegative && x.v[i] < 0.0f) x.v[i] = 0.0f;
  }
  return x;
}

/// Where element `pixel` of slice `slice` lies in a volume stack of n² pixels and `lanes` lanes.
TOMOLIVE_HD inline std::size_t sliceElement(int n, int lanes, int slice, std::size_t pixel) {
  return (std::size_t(slice / lanes) * n * n + pixel) * lanes + slice % lanes;
}

}  // namespace tomolive::gpu::joseph

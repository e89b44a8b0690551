#include "sirt/Cgls.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <cmath>
#include <functional>

namespace tomolive {

namespace {

// Σ a·b over the listed projections of two stacks of the same shape.
double dot(const ProjectionStack& a, const ProjectionStack& b, std::span<const int> projections) {
  const std::size_t stride = a.projectionStride();
  return tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, projections.size()), 0.0,
      [&](const tbb::blocked_range<std::size_t>& r, double acc) {
        for (std::size_t i = r.begin(); i < r.end(); ++i) {
          const float* x = a.row(projections[i], 0);
          const float* y = b.row(projections[i], 0);
          for (std::size_t k = 0; k < stride; ++k) acc += double(x[k]) * y[k];
        }
        return acc;
      },
      std::plus<>());
}

double dot(const VolumeStack& a, const VolumeStack& b) {
  const auto x = a.raw(), y = b.raw();
  return tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, x.size(), 1 << 14), 0.0,
      [&](const tbb::blocked_range<std::size_t>& r, double acc) {
        for (std::size_t k = r.begin(); k < r.end(); ++k) acc += double(x[k]) * y[k];
        return acc;
      },
      std::plus<>());
}

// x ← x·mask (the mask is one slice, broadcast over lanes and groups).
void applyMask(VolumeStack& x, const VolumeStack& mask) {
  const std::size_t pixels = std::size_t(x.gridSize()) * x.gridSize();
  const int lanes = x.lanes(), maskLanes = mask.lanes();
  for (int g = 0; g < x.groups(); ++g) {
    float* v = x.group(g);
    for (std::size_t i = 0; i < pixels; ++i)
      if (mask.group(0)[i * maskLanes] == 0.0f)
        for (int l = 0; l < lanes; ++l) v[i * lanes + l] = 0.0f;
  }
}

}  // namespace

std::vector<SirtIteration> cglsIterate(const Projector& projector, const ProjectionStack& p,
                                       std::span<const int> projections, int iterations,
                                       const VolumeStack& mask, bool nonNegative, VolumeStack& x,
                                       const std::function<double(double)>& total) {
  checkSirtCall(x.gridSize(), x.slices(), projector.geometry(), p, projections, iterations);
  std::vector<SirtIteration> history;
  if (projections.empty() || iterations == 0) return history;
  const auto raw = [](auto& stack) { return stack.raw(); };
  ProjectionStack r(p.projections(), p.slices(), p.columns()), q = r;
  VolumeStack s(x.slices(), x.gridSize()), d(x.slices(), x.gridSize());
  // r = p − A·x
  projector.forward(x, projections, r);
  for (int i : projections)
    for (int g = 0; g < p.groups(); ++g) {
      const float* measured = p.row(i, g);
      float* res = r.row(i, g);
      for (std::size_t k = 0; k < std::size_t(p.columns()) * p.lanes(); ++k)
        res[k] = measured[k] - res[k];
    }
  projector.back(r, projections, s);
  applyMask(s, mask);
  std::copy(raw(s).begin(), raw(s).end(), raw(d).begin());
  const auto whole = [&](double part) { return total ? total(part) : part; };
  double gamma = whole(dot(s, s));
  for (int it = 0; it < iterations; ++it) {
    const double residual = std::sqrt(dot(r, r, projections));
    history.push_back({residual, residual});
    if (gamma <= 0.0) break;
    projector.forward(d, projections, q);
    const double qq = whole(dot(q, q, projections));
    if (qq <= 0.0) break;
    const float alpha = float(gamma / qq);
    const auto xs = raw(x);
    const auto ds = raw(d);
    for (std::size_t k = 0; k < xs.size(); ++k) xs[k] += alpha * ds[k];
    for (int i : projections) {
      float* res = r.row(i, 0);
      const float* qi = q.row(i, 0);
      for (std::size_t k = 0; k < r.projectionStride(); ++k) res[k] -= alpha * qi[k];
    }
    projector.back(r, projections, s);
    applyMask(s, mask);
    const double next = whole(dot(s, s));
    const float beta = float(next / gamma);
    gamma = next;
    const auto ss = raw(s);
    for (std::size_t k = 0; k < ds.size(); ++k) ds[k] = ss[k] + beta * ds[k];
  }
  if (nonNegative)
    for (float& v : raw(x)) v = v < 0.0f ? 0.0f : v;
  return history;
}

}  // namespace tomolive

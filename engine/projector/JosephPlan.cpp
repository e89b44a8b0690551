#include "projector/JosephPlan.h"

#include <algorithm>
#include <cmath>

namespace tomolive {

JosephPlan JosephPlan::make(const ParallelGeometry& g, int projection) {
  const double theta = g.anglesRad.at(projection);
  const double s = std::sin(theta), c = std::cos(theta);
  const double h = 0.5 * (g.gridSize - 1);
  JosephPlan p;
  p.m_alongColumns = std::abs(s) >= std::abs(c);
  // Along columns: f = (j − centre − (l − h)·cosθ)/sinθ + h; along rows sin and cos swap roles.
  const double major = p.m_alongColumns ? s : c;
  const double minor = p.m_alongColumns ? c : s;
  p.m_alpha = 1.0 / major;
  p.m_beta0 = (-g.centre + h * minor) / major + h;
  p.m_betaStep = -minor / major;
  p.m_weight = static_cast<float>(1.0 / std::abs(major));

  // Rays touching line l are those with −1 < f < n. The kernels evaluate f in double and the
  // lines carry two pixels of zero padding, so rounding at the ends cannot step outside.
  const int n = g.gridSize, columns = g.columns;
  p.m_rayBegin.resize(n);
  p.m_rayEnd.resize(n);
  for (int l = 0; l < n; ++l) {
    const double b = p.m_beta0 + l * p.m_betaStep;
    double lo = (-1.0 - b) / p.m_alpha, hi = (n - b) / p.m_alpha;
    if (lo > hi) std::swap(lo, hi);
    const double first = std::clamp(std::floor(lo) + 1.0, 0.0, double(columns));
    const double last = std::clamp(std::ceil(hi), 0.0, double(columns));
    p.m_rayBegin[l] = static_cast<int>(first);
    p.m_rayEnd[l] = std::max(static_cast<int>(last), p.m_rayBegin[l]);
  }
  return p;
}

JosephRays JosephPlan::rays() const {
  return {m_alpha, m_beta0, m_betaStep, m_weight, m_rayBegin.data(), m_rayEnd.data()};
}

std::int64_t JosephPlan::updates() const {
  std::int64_t total = 0;
  for (std::size_t l = 0; l < m_rayBegin.size(); ++l) total += m_rayEnd[l] - m_rayBegin[l];
  return total;
}

}  // namespace tomolive

#include "projector/ReferenceJoseph.h"

#include <cmath>

namespace tomolive {

namespace {

// Visits every (pixel, weight) pair of ray j of projection p.
template <class Visit>
void walkRay(const ParallelGeometry& g, int p, int j, Visit&& visit) {
  const int n = g.gridSize;
  const double theta = g.anglesRad[p], s = std::sin(theta), c = std::cos(theta);
  const double h = 0.5 * (n - 1), u = j - g.centre;
  const bool stepX = std::abs(s) >= std::abs(c);
  const double length = 1.0 / std::max(std::abs(s), std::abs(c));
  for (int i = 0; i < n; ++i) {
    // Coordinate of line i along the stepping axis, then the crossing on the other axis.
    const double a = i - h;
    const double b = stepX ? (u - a * c) / s : (u - a * s) / c;
    const double f = b + h;
    const int k = static_cast<int>(std::floor(f));
    const double w = f - k;
    for (int m : {k, k + 1}) {
      if (m < 0 || m >= n) continue;
      const double weight = length * (m == k ? 1.0 - w : w);
      const int row = stepX ? m : i, column = stepX ? i : m;
      visit(row * n + column, weight);
    }
  }
}

}  // namespace

std::vector<float> referenceForward(const ParallelGeometry& g, const std::vector<float>& slice,
                                    int p) {
  std::vector<float> row(g.columns, 0.0f);
  for (int j = 0; j < g.columns; ++j) {
    double sum = 0.0;
    walkRay(g, p, j, [&](int pixel, double weight) { sum += weight * slice[pixel]; });
    row[j] = static_cast<float>(sum);
  }
  return row;
}

void referenceBackAdd(const ParallelGeometry& g, const std::vector<float>& row, int p,
                      std::vector<float>& slice) {
  for (int j = 0; j < g.columns; ++j)
    walkRay(g, p, j, [&](int pixel, double weight) { slice[pixel] += float(weight * row[j]); });
}

}  // namespace tomolive

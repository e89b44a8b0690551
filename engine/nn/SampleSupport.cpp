#include "nn/SampleSupport.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tomolive {

namespace {

constexpr double kLargestAirDrift = 0.02;   // |air's line integral| a drifting beam leaves
constexpr int kFaintRun = 8;                // neighbouring columns above level + spread
constexpr double kAirShareOfAngles = 0.03;  // projections whose rays must read air, at least 2
constexpr float kGrownBack = 2.0f;          // pixels the support is grown back by at full weight
constexpr float kTaperedTo = 8.0f;          // and the distance at which its weight reaches 0

float quantile(std::vector<float>& values, double share) {
  const std::size_t k = std::min(values.size() - 1, std::size_t(share * double(values.size())));
  std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(k), values.end());
  return values[k];
}

}  // namespace

std::optional<AirLevel> airLevel(std::span<const float> rows, int columns) {
  if (columns < 1 || rows.size() % std::size_t(columns) != 0)
    throw std::invalid_argument("air level: " + std::to_string(rows.size()) +
                                " values are not rows of " + std::to_string(columns) + " columns");
  const int edge = std::max(2, columns / 50);
  if (2 * edge > columns) return std::nullopt;
  const std::size_t count = rows.size() / std::size_t(columns);
  std::vector<float> edges, all;
  for (std::size_t r = 0; r < count; ++r) {
    const float* row = rows.data() + r * std::size_t(columns);
    for (int j = 0; j < columns; ++j) {
      if (!std::isfinite(row[j])) continue;
      all.push_back(row[j]);
      if (j < edge || j >= columns - edge) edges.push_back(row[j]);
    }
  }
  if (edges.size() < 64) return std::nullopt;
  const double level = quantile(edges, 0.5);
  std::vector<float> below;  // the spread from the low side: its median is 0.6745 σ
  for (const float v : edges)
    if (v < level) below.push_back(float(level - v));
  if (below.size() < 16) return std::nullopt;
  const double spread = quantile(below, 0.5) / 0.6745;
  if (!(spread > 0.0)) return std::nullopt;
  const auto within = std::count_if(edges.begin(), edges.end(), [&](float v) {
    return std::abs(v - level) <= double(kAirNoiseWidths) * spread;
  });
  const bool edgesAreAir = double(within) >= 0.75 * double(edges.size());
  const bool nearZero = std::abs(level) <= std::max(3.0 * spread, kLargestAirDrift);
  const bool clear = quantile(all, 0.99) - level > 2.0 * double(kAirNoiseWidths) * spread;
  if (!edgesAreAir || !nearZero || !clear) return std::nullopt;
  return AirLevel{float(level), float(spread)};
}

Shadow rowShadow(std::span<const float> row, const AirLevel& air) {
  const float threshold = air.threshold(), faint = air.level + air.spread;
  const auto shadowed = [&](int j) { return !(row[std::size_t(j)] < threshold); };  // NaN: unknown
  const auto above = [&](int j) { return !(row[std::size_t(j)] < faint); };
  const int n = int(row.size());
  if (n == 1) return shadowed(0) ? Shadow{0, 0} : Shadow{};
  Shadow s;
  for (int j = 0; j + 1 < n && s.first > s.last; ++j)
    if (shadowed(j) && shadowed(j + 1)) s.first = j, s.last = j + 1;
  for (int j = n - 1; s.first <= s.last && j > s.last; --j)
    if (shadowed(j) && shadowed(j - 1)) s.last = j;
  // Faint parts: runs of kFaintRun columns above level + spread, beyond the shadow so far.
  for (int j = 0, run = 0; j < n && (s.first > s.last || j < s.first); ++j) {
    run = above(j) ? run + 1 : 0;
    if (run == kFaintRun) {
      if (s.first > s.last) s.last = j;
      s.first = j - kFaintRun + 1;
      break;
    }
  }
  for (int j = n - 1, run = 0; j >= 0 && j > s.last; --j) {
    run = above(j) ? run + 1 : 0;
    if (run == kFaintRun) {
      s.last = j + kFaintRun - 1;
      break;
    }
  }
  return s;
}

SliceShadows sliceShadows(const SliceSinogram& measured) {
  SliceShadows out;
  out.centre = measured.centre;
  out.columns = measured.columns;
  const std::optional<AirLevel> air =
      measured.columns < 1 ? std::nullopt : airLevel(measured.lineIntegrals, measured.columns);
  if (!air) return out;
  const std::size_t columns = std::size_t(measured.columns);
  for (std::size_t p = 0; p < measured.anglesRad.size(); ++p) {
    out.anglesRad.push_back(measured.anglesRad[p]);
    out.shadows.push_back(rowShadow(
        std::span<const float>(measured.lineIntegrals).subspan(p * columns, columns), *air));
  }
  return out;
}

std::vector<float> sampleSupport(const SliceShadows& shadows, int n) {
  if (n < 1 || shadows.anglesRad.size() != shadows.shadows.size())
    throw std::invalid_argument("sample support: a " + std::to_string(n) + "² grid, " +
                                std::to_string(shadows.anglesRad.size()) + " angles and " +
                                std::to_string(shadows.shadows.size()) + " shadows");
  const std::size_t pixels = std::size_t(n) * n;
  const int angles = int(shadows.anglesRad.size());
  const int enough = std::max(2, int(std::ceil(kAirShareOfAngles * angles)));
  if (angles < enough) return std::vector<float>(pixels, 1.0f);
  // Per row and angle, the columns whose ray falls in an interval of the detector form an
  // interval too (the detector position is linear along a row): counted by differences.
  std::vector<int> air(pixels, 0), change(std::size_t(n) + 1);
  const double h = 0.5 * (n - 1);
  const auto interval = [&](double k, double b0, double a, double b, int& from, int& to) {
    if (std::abs(k) < 1e-12) {  // the same position along the whole row
      from = 0, to = (b0 >= a && b0 <= b) ? n - 1 : -1;
      return;
    }
    double c0 = (a - b0) / k, c1 = (b - b0) / k;
    if (c0 > c1) std::swap(c0, c1);
    from = int(std::max(0.0, std::ceil(c0))), to = int(std::min(double(n - 1), std::floor(c1)));
  };
  for (int r = 0; r < n; ++r) {
    std::fill(change.begin(), change.end(), 0);
    const double y = r - h;
    for (int p = 0; p < angles; ++p) {
      const double theta = shadows.anglesRad[std::size_t(p)], k = std::cos(theta);
      const double b0 = y * std::sin(theta) - h * k + shadows.centre;
      int from = 0, to = -1;  // measured: on the detector
      interval(k, b0, -0.5, shadows.columns - 0.5, from, to);
      if (from > to) continue;
      change[std::size_t(from)] += 1, change[std::size_t(to) + 1] -= 1;
      const Shadow& s = shadows.shadows[std::size_t(p)];
      if (s.first > s.last) continue;
      int in0 = 0, in1 = -1;  // in the sample's shadow
      interval(k, b0, s.first - 0.5, s.last + 0.5, in0, in1);
      in0 = std::max(in0, from), in1 = std::min(in1, to);
      if (in0 <= in1) change[std::size_t(in0)] -= 1, change[std::size_t(in1) + 1] += 1;
    }
    int running = 0;
    for (int c = 0; c < n; ++c) air[std::size_t(r) * n + c] = running += change[std::size_t(c)];
  }
  // Grown back, then tapered: 1 within kGrownBack pixels of a pixel enough rays do not clear,
  // falling to 0 at kTaperedTo (distances by a two-pass chamfer, steps 1 and √2). A hard cut
  // beside a faint edge costs more than the little the network leaves there.
  constexpr float kFar = 1e9f, kDiagonal = 1.41421356f;
  std::vector<float> distance(pixels, kFar);
  for (std::size_t k = 0; k < pixels; ++k)
    if (air[k] < enough) distance[k] = 0.0f;
  // Forward pass from the left and above, backward from the right and below; the grid's edge
  // rows and columns see only their neighbours inside it.
  const auto pass = [&](int r, int c, int towards) {  // towards: 1 forward, −1 backward
    float* row = distance.data() + std::size_t(r) * n;
    float d = row[c];
    if (c - towards >= 0 && c - towards < n) d = std::min(d, row[c - towards] + 1.0f);
    const int rr = r - towards;
    if (rr >= 0 && rr < n) {
      const float* near = distance.data() + std::size_t(rr) * n;
      d = std::min(d, near[c] + 1.0f);
      if (c > 0) d = std::min(d, near[c - 1] + kDiagonal);
      if (c + 1 < n) d = std::min(d, near[c + 1] + kDiagonal);
    }
    row[c] = d;
  };
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) pass(r, c, 1);
  for (int r = n - 1; r >= 0; --r)
    for (int c = n - 1; c >= 0; --c) pass(r, c, -1);
  std::vector<float> support(pixels);
  for (std::size_t k = 0; k < pixels; ++k)
    support[k] = std::clamp((kTaperedTo - distance[k]) / (kTaperedTo - kGrownBack), 0.0f, 1.0f);
  return support;
}

std::vector<float> keptToSample(std::vector<float> enhanced, const SliceShadows& shadows, int n) {
  if (n < 1 || enhanced.size() != std::size_t(n) * n)
    throw std::invalid_argument(
        "enhancement kept to the sample: " + std::to_string(enhanced.size()) + " values for a " +
        std::to_string(n) + "² grid");
  if (shadows.shadows.empty() && shadows.anglesRad.empty()) return enhanced;  // none kept
  const std::vector<float> support = sampleSupport(shadows, n);
  for (std::size_t k = 0; k < enhanced.size(); ++k) enhanced[k] *= support[k];
  return enhanced;
}

}  // namespace tomolive

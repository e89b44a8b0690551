#include "preprocess/CentreFinder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

#include "geometry/ParallelGeometry.h"

namespace tomolive {

namespace {

constexpr int kMaxPairs = 8;
constexpr int kMaxRows = 16;

// Angle wrapped to (−π, π].
double wrap(double a) {
  a = std::remainder(a, 2 * std::numbers::pi);
  return a;
}

struct Pair {
  int a, b;
  double offset;  // |θb − θa − π| (wrapped)
};

constexpr const char* kNoPairs =
    "centre estimate: no two projections are 180° apart (within 1.5 angular steps and 10°, or 4 "
    "steps up to 2°); give the centre explicitly";

std::vector<Pair> opposingPairs(std::span<const double> angles) {
  const int n = static_cast<int>(angles.size());
  // Median spacing of the sorted angles (mod π) sets how far from 180° a pair may be.
  std::vector<double> folded(angles.begin(), angles.end());
  for (double& a : folded) a = foldedAngle(a);
  std::sort(folded.begin(), folded.end());
  std::vector<double> gaps;
  for (int i = 1; i < n; ++i)
    if (folded[i] - folded[i - 1] > 1e-9) gaps.push_back(folded[i] - folded[i - 1]);
  std::sort(gaps.begin(), gaps.end());
  const double step = gaps.empty() ? 0.0 : gaps[gaps.size() / 2];
  // Pairs within 1.5 angular steps of 180°; where there are none (a scan whose angles stop short
  // of 180° by more than a step, e.g. an interlaced scan cut before its last rotations), within
  // 4 steps but at most 2°, where the mirror is still close enough for a sub-pixel estimate.
  // At most 10° whatever the step: from a handful of projections (0° and 89°: a step of 89°) a
  // "pair" that far from 180° registers nothing.
  const double tolerance = std::max(std::min(1.5 * step, 10.0 * std::numbers::pi / 180), 1e-6);
  const double wider = std::max(tolerance, std::min(4.0 * step, 2.0 * std::numbers::pi / 180));

  // Each projection with its nearest opposite, as an unordered pair, so that the pairs — and
  // the centre — do not depend on the order the projections are stored in (keeping only pairs
  // whose first index was the lower one gave an interlaced record of i13 one pair where its
  // sequential file has two, and a centre 0.08 px apart). Ties go to the lower angle.
  std::vector<Pair> pairs;
  const auto lower = [&](int x, int y) {
    return angles[x] < angles[y] || (angles[x] == angles[y] && x < y);
  };
  for (int a = 0; a < n; ++a) {
    int best = -1;
    double bestOffset = std::numeric_limits<double>::max();
    for (int b = 0; b < n; ++b) {
      if (b == a) continue;
      const double offset = std::abs(wrap(angles[b] - angles[a] - std::numbers::pi));
      if (offset < bestOffset || (offset == bestOffset && best >= 0 && lower(b, best)))
        bestOffset = offset, best = b;
    }
    if (best < 0 || bestOffset > wider) continue;
    const Pair pair = lower(a, best) ? Pair{a, best, bestOffset} : Pair{best, a, bestOffset};
    if (std::none_of(pairs.begin(), pairs.end(),
                     [&](const Pair& p) { return p.a == pair.a && p.b == pair.b; }))
      pairs.push_back(pair);
  }
  const bool close =
      std::any_of(pairs.begin(), pairs.end(), [&](const Pair& p) { return p.offset <= tolerance; });
  if (close) std::erase_if(pairs, [&](const Pair& p) { return p.offset > tolerance; });
  std::sort(pairs.begin(), pairs.end(), [&](const Pair& x, const Pair& y) {
    return x.offset < y.offset || (x.offset == y.offset && lower(x.a, y.a));
  });
  if (pairs.size() > kMaxPairs) pairs.resize(kMaxPairs);
  return pairs;
}

// Profiles compared for one pair: row r of projection a and of projection b.
struct Profiles {
  std::vector<std::vector<float>> a, b;
};

// Mismatch between a(j) and b(2c − j) over the overlap (b interpolated linearly), each profile's
// mean over the overlap removed (a flat offset does not bias it), relative to the profiles' own
// variation there: Σ(a − b)² / Σ(a² + b²) over all profiles, 0 for a perfect match, about 1 for
// unrelated profiles. Relative, so that a short overlap of featureless background (air beside
// the sample, a holder's wall) cannot match better than the sample itself.
double mismatch(const Profiles& profiles, double c, int columns) {
  double difference = 0.0, variation = 0.0;
  for (std::size_t k = 0; k < profiles.a.size(); ++k) {
    const auto& a = profiles.a[k];
    const auto& b = profiles.b[k];
    double sumA = 0, sumB = 0, sumAA = 0, sumBB = 0, sumAB = 0;
    int n = 0;
    for (int j = 0; j < columns; ++j) {
      const double m = 2.0 * c - j;
      const int m0 = static_cast<int>(std::floor(m));
      if (m0 < 0 || m0 + 1 >= columns) continue;
      const double t = m - m0;
      const double va = a[j], vb = (1 - t) * b[m0] + t * b[m0 + 1];
      sumA += va, sumB += vb, sumAA += va * va, sumBB += vb * vb, sumAB += va * vb;
      ++n;
    }
    if (n < 2) continue;
    const double ma = sumA / n, mb = sumB / n;
    const double aa = sumAA - n * ma * ma, bb = sumBB - n * mb * mb, ab = sumAB - n * ma * mb;
    difference += aa + bb - 2.0 * ab;
    variation += aa + bb;
  }
  return variation > 0.0 ? difference / variation : std::numeric_limits<double>::max();
}

void checkAngles(const ProjectionStack& lineIntegrals, std::span<const double> anglesRad) {
  if (static_cast<int>(anglesRad.size()) > lineIntegrals.projections())
    throw std::invalid_argument("centre estimate: " + std::to_string(anglesRad.size()) +
                                " angles for " + std::to_string(lineIntegrals.projections()) +
                                " projections");
}

// The registration of `pairs` (not empty).
CentreEstimate registration(const ProjectionStack& lineIntegrals, const std::vector<Pair>& pairs) {
  const int columns = lineIntegrals.columns(), slices = lineIntegrals.slices();
  const int rowStep = std::max(1, slices / kMaxRows);
  Profiles profiles;
  CentreEstimate estimate;
  for (const Pair& pair : pairs) {
    for (int s = 0; s < slices; s += rowStep) {
      std::vector<float> a(columns), b(columns);
      for (int j = 0; j < columns; ++j) {
        a[j] = lineIntegrals.at(pair.a, s, j);
        b[j] = lineIntegrals.at(pair.b, s, j);
      }
      profiles.a.push_back(std::move(a));
      profiles.b.push_back(std::move(b));
    }
    estimate.worstPairOffsetDeg =
        std::max(estimate.worstPairOffsetDeg, pair.offset * 180 / std::numbers::pi);
  }
  estimate.pairs = static_cast<int>(pairs.size());

  // Coarse search over the middle 60 % of the detector in quarter-pixel steps on whole and half
  // pixels (a narrow detector's minimum is a fraction of a pixel wide, and whole or half pixels
  // are where it lies when the axis is where it was meant to be). A wide detector is searched
  // first on profiles binned to at most 256 columns, then at full resolution within ±2 binned
  // pixels of the best binned point: the search costs the same at 2560 columns as at 256.
  // Then golden-section refinement within ±0.25 px of the best point.
  const int bin = std::max(1, columns / 256);
  const auto bestOn = [](const Profiles& p, int n, double from, double to) {
    double best = 0.5 * (n - 1), bestCost = std::numeric_limits<double>::max();
    for (double c = std::ceil(4.0 * from) / 4.0; c <= to; c += 0.25) {
      const double cost = mismatch(p, c, n);
      if (cost < bestCost) bestCost = cost, best = c;
    }
    return best;
  };
  double best = 0.0;
  if (bin == 1) {
    best = bestOn(profiles, columns, 0.2 * columns, 0.8 * columns);
  } else {
    const int binned = columns / bin;
    const auto binProfile = [&](const std::vector<float>& profile) {
      std::vector<float> sums(std::size_t(binned), 0.0f);
      for (int j = 0; j < binned * bin; ++j) sums[std::size_t(j / bin)] += profile[j] / bin;
      return sums;
    };
    Profiles coarse;
    for (const auto& profile : profiles.a) coarse.a.push_back(binProfile(profile));
    for (const auto& profile : profiles.b) coarse.b.push_back(binProfile(profile));
    const double around = (bestOn(coarse, binned, 0.2 * binned, 0.8 * binned) + 0.5) * bin - 0.5;
    best = bestOn(profiles, columns, std::max(0.0, around - 2.0 * bin),
                  std::min(columns - 1.0, around + 2.0 * bin));
  }
  double lo = best - 0.25, hi = best + 0.25;
  const double ratio = 0.5 * (std::sqrt(5.0) - 1.0);
  double x1 = hi - ratio * (hi - lo), x2 = lo + ratio * (hi - lo);
  double f1 = mismatch(profiles, x1, columns), f2 = mismatch(profiles, x2, columns);
  for (int it = 0; it < 40; ++it) {
    if (f1 < f2) {
      hi = x2, x2 = x1, f2 = f1;
      x1 = hi - ratio * (hi - lo);
      f1 = mismatch(profiles, x1, columns);
    } else {
      lo = x1, x1 = x2, f1 = f2;
      x2 = lo + ratio * (hi - lo);
      f2 = mismatch(profiles, x2, columns);
    }
  }
  estimate.centre = 0.5 * (lo + hi);
  return estimate;
}

}  // namespace

CentreEstimate estimateCentre(const ProjectionStack& lineIntegrals,
                              std::span<const double> anglesRad) {
  checkAngles(lineIntegrals, anglesRad);
  const std::vector<Pair> pairs = opposingPairs(anglesRad);
  if (pairs.empty()) throw std::invalid_argument(kNoPairs);
  return registration(lineIntegrals, pairs);
}

std::optional<CentreEstimate> estimateCentreFromMass(const ProjectionStack& lineIntegrals,
                                                     std::span<const double> anglesRad) {
  const int n = static_cast<int>(anglesRad.size());
  if (n > lineIntegrals.projections())
    throw std::invalid_argument("centre estimate: " + std::to_string(n) + " angles for " +
                                std::to_string(lineIntegrals.projections()) + " projections");
  if (n < 8) return std::nullopt;
  const int columns = lineIntegrals.columns(), slices = lineIntegrals.slices();
  const int rowStep = std::max(1, slices / kMaxRows), edge = std::max(2, columns / 50);
  // Normal equations of c + a·cosθ + b·sinθ = centre of mass.
  double m[3][3] = {}, v[3] = {};
  std::vector<double> mass(n), centres(n);
  std::vector<double> profile(columns);
  for (int p = 0; p < n; ++p) {
    std::fill(profile.begin(), profile.end(), 0.0);
    for (int s = 0; s < slices; s += rowStep)
      for (int j = 0; j < columns; ++j) profile[j] += lineIntegrals.at(p, s, j);
    double background = 0.0, peak = 0.0;
    for (int j = 0; j < edge; ++j) background += profile[j] + profile[columns - 1 - j];
    background /= 2 * edge;
    for (double q : profile) peak = std::max(peak, q);
    if (!(std::abs(background) < 0.05 * peak)) return std::nullopt;  // edges that absorb
    peak = 0.0;
    for (double& q : profile) peak = std::max(peak, q -= background);
    double edgeLevel = 0.0;
    for (int j = 0; j < edge; ++j)
      edgeLevel = std::max({edgeLevel, std::abs(profile[j]), std::abs(profile[columns - 1 - j])});
    if (!(peak > 0.0) || edgeLevel > 0.05 * peak) return std::nullopt;  // truncated, or empty
    double m0 = 0.0, m1 = 0.0;
    for (int j = 0; j < columns; ++j)
      if (profile[j] > 0.0) m0 += profile[j], m1 += j * profile[j];
    mass[p] = m0, centres[p] = m1 / m0;
    const double basis[3] = {1.0, std::cos(anglesRad[p]), std::sin(anglesRad[p])};
    for (int a = 0; a < 3; ++a) {
      v[a] += basis[a] * centres[p];
      for (int b = 0; b < 3; ++b) m[a][b] += basis[a] * basis[b];
    }
  }
  // Solve by the inverse (3 × 3, by cofactors): its [0][0] entry also gives the error of c.
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  if (!(std::abs(det) > 1e-12)) return std::nullopt;
  double inv[3][3];
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      const int r0 = (b + 1) % 3, r1 = (b + 2) % 3, c0 = (a + 1) % 3, c1 = (a + 2) % 3;
      inv[a][b] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det;
    }
  double x[3] = {};
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) x[a] += inv[a][b] * v[b];
  double squares = 0.0;
  for (int p = 0; p < n; ++p) {
    const double r =
        centres[p] - (x[0] + x[1] * std::cos(anglesRad[p]) + x[2] * std::sin(anglesRad[p]));
    squares += r * r;
  }
  const double sigma = std::sqrt(squares / (n - 3));
  const double error = sigma * std::sqrt(std::max(0.0, inv[0][0]));
  if (sigma > 2.0 || error > 0.25 || !(x[0] >= 0.0 && x[0] <= columns - 1)) return std::nullopt;
  CentreEstimate e;
  e.centre = x[0];
  e.fromMass = true;
  e.standardError = error;
  return e;
}

std::vector<int> centreRows(int slices) {
  std::vector<int> rows;
  for (int s = 0; s < slices; s += std::max(1, slices / kMaxRows)) rows.push_back(s);
  return rows;
}

CentreEstimate chooseCentre(const ProjectionStack& lineIntegrals,
                            std::span<const double> anglesRad) {
  checkAngles(lineIntegrals, anglesRad);
  const std::vector<Pair> pairs = opposingPairs(anglesRad);
  std::vector<Pair> close;  // the pairs within kLoosePairDeg, where there are any
  for (const Pair& p : pairs)
    if (p.offset * 180 / std::numbers::pi < kLoosePairDeg) close.push_back(p);
  if (!close.empty()) return registration(lineIntegrals, close);
  if (const auto fromMass = estimateCentreFromMass(lineIntegrals, anglesRad)) return *fromMass;
  if (!pairs.empty()) return registration(lineIntegrals, pairs);
  throw std::invalid_argument(kNoPairs);
}

}  // namespace tomolive

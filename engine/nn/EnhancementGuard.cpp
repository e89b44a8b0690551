#include "nn/EnhancementGuard.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <string>

#include "geometry/ParallelGeometry.h"
#include "projector/JosephProjector.h"

namespace tomolive {

namespace {

// A·image on the sinogram's angles, [angle][column].
std::vector<float> project(const JosephProjector& projector, const SliceSinogram& measured,
                           std::span<const float> image, int n) {
  VolumeStack x(1, n);
  x.setSlice(0, image);
  const int count = int(measured.anglesRad.size());
  ProjectionStack ax(count, 1, measured.columns);
  std::vector<int> all(count);
  std::iota(all.begin(), all.end(), 0);
  projector.forward(x, all, ax);
  std::vector<float> out(std::size_t(count) * measured.columns);
  for (int p = 0; p < count; ++p)
    for (int j = 0; j < measured.columns; ++j)
      out[std::size_t(p) * measured.columns + j] = ax.at(p, 0, j);
  return out;
}

// Σ (p − A·x)² over the sinogram's rows.
double squaredResidual(const JosephProjector& projector, const SliceSinogram& measured,
                       std::span<const float> image, int n) {
  const std::vector<float> ax = project(projector, measured, image, n);
  double sum = 0.0;
  for (std::size_t i = 0; i < ax.size(); ++i) {
    const double d = measured.lineIntegrals[i] - ax[i];
    sum += d * d;
  }
  return sum;
}

void checkSizes(const char* what, const SliceSinogram& measured, std::size_t first,
                std::size_t second, int n) {
  const std::size_t pixels = std::size_t(n) * n;
  if (n < 1 || first != pixels || second != pixels || measured.columns < 1 ||
      measured.lineIntegrals.size() != measured.anglesRad.size() * std::size_t(measured.columns) ||
      measured.anglesRad.empty())
    throw std::invalid_argument(std::string(what) + ": slices of " + std::to_string(first) +
                                " and " + std::to_string(second) + " values for a " +
                                std::to_string(n) + "² grid, sinogram of " +
                                std::to_string(measured.lineIntegrals.size()) + " values for " +
                                std::to_string(measured.anglesRad.size()) + " angles × " +
                                std::to_string(measured.columns) + " columns");
}

// Adds ⟨p_o − A_o·x_h, A_o·(e_h − x_h)⟩ and ‖A_o·(e_h − x_h)‖² of half h on the other half o,
// e_h kept to the pixels h's projections measure.
void addHeldOutTerms(const HeldOutHalf& h, const HeldOutHalf& o, int n, double& cross,
                     double& square) {
  const JosephProjector projector(
      ParallelGeometry{o.measured.anglesRad, o.measured.centre, o.measured.columns, n});
  const std::vector<float> ax = project(projector, o.measured, h.reconstruction, n);
  const std::vector<float> ae =
      project(projector, o.measured, keptToMeasured(h.enhanced, h.measured, n), n);
  for (std::size_t i = 0; i < ax.size(); ++i) {
    const double r = double(o.measured.lineIntegrals[i]) - ax[i], d = double(ae[i]) - ax[i];
    cross += r * d;
    square += d * d;
  }
}

double ramp(double value, double zeroAt, double oneAt) {
  return std::clamp((value - zeroAt) / (oneAt - zeroAt), 0.0, 1.0);
}

}  // namespace

SliceSinogram joinedSinogram(const SliceSinogram& a, const SliceSinogram& b) {
  if (a.columns != b.columns || a.centre != b.centre)
    throw std::invalid_argument("joining sinograms of " + std::to_string(a.columns) + " and " +
                                std::to_string(b.columns) + " columns, centres " +
                                std::to_string(a.centre) + " and " + std::to_string(b.centre));
  SliceSinogram out = a;
  out.anglesRad.insert(out.anglesRad.end(), b.anglesRad.begin(), b.anglesRad.end());
  out.lineIntegrals.insert(out.lineIntegrals.end(), b.lineIntegrals.begin(),
                           b.lineIntegrals.end());
  return out;
}

std::vector<float> keptToMeasured(std::vector<float> enhanced, const SliceSinogram& measured,
                                  int n) {
  if (n < 1 || enhanced.size() != std::size_t(n) * n || measured.columns < 1)
    throw std::invalid_argument(
        "enhancement kept to the measured pixels: " + std::to_string(enhanced.size()) +
        " values for a " + std::to_string(n) + "² grid read by " +
        std::to_string(measured.columns) + " columns");
  const std::vector<float> seen = seenByEveryProjection(n, measured.centre, measured.columns,
                                                        coversFullTurn(measured.anglesRad));
  for (std::size_t k = 0; k < enhanced.size(); ++k)
    if (seen[k] == 0.0f) enhanced[k] = 0.0f;
  return enhanced;
}

double relativeResidual(const SliceSinogram& measured, std::span<const float> image, int n) {
  checkSizes("data residual", measured, image.size(), image.size(), n);
  double data = 0.0;
  for (const float v : measured.lineIntegrals) data += double(v) * v;
  if (!(data > 0.0)) return 0.0;
  const JosephProjector projector(
      ParallelGeometry{measured.anglesRad, measured.centre, measured.columns, n});
  return std::sqrt(squaredResidual(projector, measured, image, n) / data);
}

double enhancedResidualRatio(const SliceSinogram& measured, std::span<const float> enhanced,
                             std::span<const float> reconstruction, int n) {
  checkSizes("enhancement guard", measured, enhanced.size(), reconstruction.size(), n);
  const JosephProjector projector(
      ParallelGeometry{measured.anglesRad, measured.centre, measured.columns, n});
  const double base = squaredResidual(projector, measured, reconstruction, n);
  if (!(base > 0.0))
    throw std::invalid_argument("enhancement guard: the reconstruction fits the data exactly");
  return std::sqrt(squaredResidual(projector, measured, enhanced, n) / base);
}

double heldOutWeight(const HeldOutHalf& a, const HeldOutHalf& b, int n) {
  for (const HeldOutHalf* h : {&a, &b})
    checkSizes("held-out enhancement check", h->measured, h->reconstruction.size(),
               h->enhanced.size(), n);
  if (a.measured.columns != b.measured.columns || a.measured.centre != b.measured.centre)
    throw std::invalid_argument("held-out enhancement check: the halves' geometries differ (" +
                                std::to_string(a.measured.columns) + " and " +
                                std::to_string(b.measured.columns) + " columns)");
  double cross = 0.0, square = 0.0;
  addHeldOutTerms(a, b, n, cross, square);
  addHeldOutTerms(b, a, n, cross, square);
  if (!(square > 0.0)) return 0.0;
  return std::clamp(cross / square, 0.0, 1.0);
}

std::vector<float> blendEnhancement(std::span<const float> enhanced,
                                    std::span<const float> reconstruction, double weight) {
  if (enhanced.size() != reconstruction.size())
    throw std::invalid_argument("enhancement blend: " + std::to_string(enhanced.size()) +
                                " enhanced values for " + std::to_string(reconstruction.size()));
  std::vector<float> out(enhanced.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = float(weight * enhanced[i] + (1.0 - weight) * reconstruction[i]);
  return out;
}

double enhancementWeight(double residualRatio, std::optional<double> change,
                         bool trainedForTheInput, std::optional<double> heldOut) {
  if (!trainedForTheInput) return 0.0;
  const double agreement = 1.0 - ramp(residualRatio, kAgreementRatio, kDisagreementRatio);
  const double moving = change ? ramp(*change, kConvergedChange, kMovingChange) : 1.0;
  return std::min({agreement, moving, heldOut ? heldOutCap(*heldOut) : 1.0});
}

std::string enhancementLimit(double residualRatio, std::optional<double> change,
                             std::optional<double> heldOut) {
  const double agreement = 1.0 - ramp(residualRatio, kAgreementRatio, kDisagreementRatio);
  const double moving = change ? ramp(*change, kConvergedChange, kMovingChange) : 1.0;
  const double cap = heldOut ? heldOutCap(*heldOut) : 1.0;
  const double weight = std::min({agreement, moving, cap});
  if (weight >= 1.0) return {};
  char text[96];
  if (agreement == weight) {
    std::snprintf(text, sizeof text, "%s with the data (residual ratio %.2f)",
                  weight > 0.0 ? "partly disagrees" : "disagrees", residualRatio);
  } else if (cap == weight) {
    std::snprintf(text, sizeof text, "%s by held-out projections (w* %.2f)",
                  weight > 0.0 ? "partly supported" : "not supported", *heldOut);
  } else {
    return weight > 0.0 ? "converging" : "converged";
  }
  return text;
}

double heldOutCap(double heldOutWeight) { return std::clamp(2.0 * heldOutWeight - 1.0, 0.0, 1.0); }

}  // namespace tomolive

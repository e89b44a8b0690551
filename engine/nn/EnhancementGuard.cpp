#include "nn/EnhancementGuard.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "projector/JosephProjector.h"

namespace tomolive {

namespace {

// Σ (p − A·x)² over the sinogram's rows.
double squaredResidual(const JosephProjector& projector, const SliceSinogram& measured,
                       std::span<const float> image, int n) {
  VolumeStack x(1, n);
  x.setSlice(0, image);
  const int count = int(measured.anglesRad.size());
  ProjectionStack ax(count, 1, measured.columns);
  std::vector<int> all(count);
  std::iota(all.begin(), all.end(), 0);
  projector.forward(x, all, ax);
  double sum = 0.0;
  for (int p = 0; p < count; ++p)
    for (int j = 0; j < measured.columns; ++j) {
      const double d =
          measured.lineIntegrals[std::size_t(p) * measured.columns + j] - ax.at(p, 0, j);
      sum += d * d;
    }
  return sum;
}

double ramp(double value, double zeroAt, double oneAt) {
  return std::clamp((value - zeroAt) / (oneAt - zeroAt), 0.0, 1.0);
}

}  // namespace

double enhancedResidualRatio(const SliceSinogram& measured, std::span<const float> enhanced,
                             std::span<const float> reconstruction, int n) {
  const std::size_t pixels = std::size_t(n) * n;
  if (n < 1 || enhanced.size() != pixels || reconstruction.size() != pixels ||
      measured.columns < 1 ||
      measured.lineIntegrals.size() != measured.anglesRad.size() * std::size_t(measured.columns) ||
      measured.anglesRad.empty())
    throw std::invalid_argument("enhancement guard: slices of " + std::to_string(enhanced.size()) +
                                " and " + std::to_string(reconstruction.size()) + " values for a " +
                                std::to_string(n) + "² grid, sinogram of " +
                                std::to_string(measured.lineIntegrals.size()) + " values for " +
                                std::to_string(measured.anglesRad.size()) + " angles × " +
                                std::to_string(measured.columns) + " columns");
  const JosephProjector projector(
      ParallelGeometry{measured.anglesRad, measured.centre, measured.columns, n});
  const double base = squaredResidual(projector, measured, reconstruction, n);
  if (!(base > 0.0))
    throw std::invalid_argument("enhancement guard: the reconstruction fits the data exactly");
  return std::sqrt(squaredResidual(projector, measured, enhanced, n) / base);
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
                         bool trainedForTheInput) {
  if (!trainedForTheInput) return 0.0;
  const double agreement = 1.0 - ramp(residualRatio, kAgreementRatio, kDisagreementRatio);
  const double moving = change ? ramp(*change, kConvergedChange, kMovingChange) : 1.0;
  return std::min(agreement, moving);
}

}  // namespace tomolive

#include "pipeline/HeldOutCheck.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/VolumeEnhancement.h"

namespace tomolive {

namespace {

HeldOutHalf replayHalf(const ProjectionStack& p, std::span<const double> anglesRad, double centre,
                       const std::vector<int>& half, int window, int iterations,
                       const LiveOptions& options, Denoiser& denoiser, int s) {
  const int n = p.columns();
  LiveReconstruction live(n, p.slices(), n, centre, options);
  replayInWindows(live, p, anglesRad, half, window, iterations);
  HeldOutHalf h;
  h.measured.centre = centre;
  h.measured.columns = n;
  for (int i : half) {
    h.measured.anglesRad.push_back(anglesRad[std::size_t(i)]);
    for (int j = 0; j < n; ++j) h.measured.lineIntegrals.push_back(p.at(i, s, j));
  }
  const VolumeStack image = live.estimate();
  h.reconstruction = image.slice(s);
  h.enhanced = enhanceSlice(denoiser, image, s);
  return h;
}

}  // namespace

std::pair<HeldOutHalf, HeldOutHalf> replayHeldOutHalves(const ProjectionStack& p,
                                                        std::span<const double> anglesRad,
                                                        double centre, std::span<const int> order,
                                                        int window, int iterations,
                                                        const LiveOptions& options,
                                                        Denoiser& denoiser, int s) {
  if (order.size() < 2 || s < 0 || s >= p.slices())
    throw std::invalid_argument("held-out halves of slice " + std::to_string(s) + " (of " +
                                std::to_string(p.slices()) + ") from " +
                                std::to_string(order.size()) + " projections");
  // As a session's halves are dealt (pipeline/LiveQuality.h): the window method by arrival, the
  // others every other projection in angle order (each half then covers the angles evenly);
  // each half keeps the arrival order.
  std::vector<std::size_t> half(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) half[k] = k % 2;
  if (options.method != LiveMethod::window) {
    std::vector<double> angles;
    for (int i : order) angles.push_back(anglesRad[std::size_t(i)]);
    const std::vector<int> sorted = orderByFoldedAngle(angles);
    for (std::size_t rank = 0; rank < sorted.size(); ++rank)
      half[std::size_t(sorted[rank])] = rank % 2;
  }
  std::vector<int> a, b;
  for (std::size_t k = 0; k < order.size(); ++k) (half[k] == 0 ? a : b).push_back(order[k]);
  const int halfWindow = std::max(1, window / 2);
  // As a session's halves iterate (pipeline/LiveQuality.cpp): the window method as the session
  // does, the others once per update (their images are the SIRT-K of everything received).
  const int halfIterations = options.method == LiveMethod::window ? iterations : 1;
  return {replayHalf(p, anglesRad, centre, a, halfWindow, halfIterations, options, denoiser, s),
          replayHalf(p, anglesRad, centre, b, halfWindow, halfIterations, options, denoiser, s)};
}

}  // namespace tomolive

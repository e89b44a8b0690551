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
  std::vector<int> a, b;
  for (std::size_t k = 0; k < order.size(); ++k) (k % 2 == 0 ? a : b).push_back(order[k]);
  const int halfWindow = std::max(1, window / 2);
  return {replayHalf(p, anglesRad, centre, a, halfWindow, iterations, options, denoiser, s),
          replayHalf(p, anglesRad, centre, b, halfWindow, iterations, options, denoiser, s)};
}

}  // namespace tomolive

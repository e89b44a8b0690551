#include "bench/QualityReplay.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "metrics/ImageMetrics.h"
#include "pipeline/LiveReconstruction.h"

namespace tomolive {

std::vector<ReplayStep> replayWithQuality(const ProjectionStack& p, std::span<const double> angles,
                                          std::span<const int> order, int window, int iterations,
                                          double centre, const VolumeStack* truth,
                                          ComputeBackend backend) {
  LiveReconstruction live(p.columns(), p.slices(), p.columns(), centre, {.backend = backend});
  LiveQuality quality;
  std::vector<ReplayStep> steps;
  std::vector<VolumeStack> images;
  const std::vector<int> view = {p.slices() / 2};
  for (std::size_t first = 0; first < order.size(); first += std::size_t(window)) {
    const int count = int(std::min<std::size_t>(std::size_t(window), order.size() - first));
    ProjectionStack w(count, p.slices(), p.columns());
    std::vector<double> a;
    for (int k = 0; k < count; ++k) {
      std::copy_n(p.row(order[first + k], 0), p.projectionStride(), w.row(k, 0));
      a.push_back(angles[std::size_t(order[first + k])]);
    }
    live.receive(w, a);
    const LiveUpdate u = live.update(iterations);
    ReplayStep s;
    s.quality = quality.assess(
        live, u, view, {.received = live.receivedCount(), .scanProjections = int(order.size())});
    images.push_back(live.estimate());
    if (truth) {
      s.reference = ssimVolume(images.back(), *truth);
      s.sampleReference = scoreInFieldOfView(images.back(), *truth).ssimSample;
    }
    steps.push_back(std::move(s));
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    steps[i].stillReference = ssimVolume(images[i], images.back());
    if (!truth) steps[i].reference = steps[i].stillReference;
  }
  return steps;
}

int plateauUpdate(std::span<const ReplayStep> steps, double tolerance, ReplayScore score) {
  std::vector<double> values;
  for (const ReplayStep& s : steps) {
    if (score == ReplayScore::whole)
      values.push_back(s.reference);
    else if (score == ReplayScore::still)
      values.push_back(s.stillReference);
    else if (s.sampleReference)
      values.push_back(*s.sampleReference);
    else
      throw std::invalid_argument(
          "plateau over the sample: the replay has no ground truth to score the sample against");
  }
  int from = int(values.size());
  while (from > 1 && std::abs(values[std::size_t(from - 2)] - values.back()) <= tolerance) --from;
  return from;
}

int adviceUpdate(std::span<const ReplayStep> steps) {
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].quality.advice && steps[i].quality.advice->stop) return int(i) + 1;
  return 0;
}

}  // namespace tomolive

#include "pipeline/LiveQuality.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

#include "metrics/FourierRingCorrelation.h"
#include "timing/Timing.h"

namespace tomolive {

namespace {

// Most projections of each half the held-out check re-projects (spread evenly over the half).
constexpr int kHeldOutProjections = 128;

// ‖a − b‖ / ‖a‖, or none when a is zero.
std::optional<double> relativeChange(const std::vector<float>& a, const std::vector<float>& b) {
  double difference = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(a[i]) * a[i];
  }
  if (!(norm > 0.0)) return std::nullopt;
  return std::sqrt(difference / norm);
}

// The slices in view and their neighbours, ascending, at most `most` (nearest the view first).
std::vector<int> frcSlicesFor(std::span<const int> view, int slices, int neighbours, int most) {
  std::vector<int> out;
  for (int d = 0; d <= neighbours; ++d)
    for (int s : view)
      for (int candidate : {s - d, s + d})
        if (candidate >= 0 && candidate < slices && int(out.size()) < most &&
            std::find(out.begin(), out.end(), candidate) == out.end())
          out.push_back(candidate);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// The two half reconstructions: projections of even and of odd arrival index, on `slices`.
struct LiveQuality::Halves {
  std::vector<int> slices;
  std::unique_ptr<LiveReconstruction> half[2];
  int fed = 0;  ///< projections of the live reconstruction handed to the halves

  Halves(const LiveReconstruction& live, std::vector<int> which) : slices(std::move(which)) {
    const LiveOptions& o = live.options();
    for (auto& h : half)
      h = std::make_unique<LiveReconstruction>(live.gridSize(), int(slices.size()),
                                               live.received().columns(), live.centre(),
                                               LiveOptions{.method = LiveMethod::filtered,
                                                           .targetIterations = o.targetIterations,
                                                           .sirt = o.sirt,
                                                           .backend = o.backend});
  }

  // Hands over what `live` received since the last call, dealt by arrival index.
  void feed(const LiveReconstruction& live) {
    const ProjectionStack& p = live.received();
    const int count = live.receivedCount(), columns = p.columns();
    const std::span<const double> angles = live.receivedAngles();
    for (int parity = 0; parity < 2; ++parity) {
      std::vector<int> take;
      for (int k = fed; k < count; ++k)
        if (k % 2 == parity) take.push_back(k);
      if (take.empty()) continue;
      ProjectionStack window(int(take.size()), int(slices.size()), columns);
      std::vector<double> windowAngles;
      for (std::size_t i = 0; i < take.size(); ++i) {
        for (std::size_t s = 0; s < slices.size(); ++s)
          for (int c = 0; c < columns; ++c)
            window.at(int(i), int(s), c) = p.at(take[i], slices[s], c);
        windowAngles.push_back(angles[std::size_t(take[i])]);
      }
      half[parity]->receive(window, windowAngles);
    }
    fed = count;
  }
};

LiveQuality::LiveQuality(QualityOptions options) : m_options(options), m_advisor(options.rule) {
  if (options.pixelSizeMicrometres && !(*options.pixelSizeMicrometres > 0.0))
    throw std::invalid_argument("pixel size " + std::to_string(*options.pixelSizeMicrometres) +
                                " µm must be positive");
  if (options.neighbours < 0 || options.maxSlices < 1)
    throw std::invalid_argument("live quality: neighbours " + std::to_string(options.neighbours) +
                                " must be ≥ 0 and slices " + std::to_string(options.maxSlices) +
                                " at least 1");
}

LiveQuality::~LiveQuality() = default;

std::optional<std::string> LiveQuality::whyNoResolution(LiveMethod method) {
  if (method == LiveMethod::window)
    return std::string(
        "the window method keeps only the newest window's projections (bounded memory for endless "
        "streams), so there are no two halves of everything received to compare: choose "
        "filtered, cgls or sirt");
  return std::nullopt;
}

QualityAssessment LiveQuality::assess(const LiveReconstruction& live, const LiveUpdate& update,
                                      std::span<const int> view, const ScanProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  QualityAssessment q;
  const int slices = live.sliceCount();
  std::vector<int> inView;
  for (int s : view) inView.push_back(std::clamp(s, 0, slices - 1));
  if (inView.empty()) inView.push_back(slices / 2);

  const int first[] = {inView.front()};
  std::vector<float> image = live.slices(first);
  if (m_previousSlice == first[0]) q.change = relativeChange(image, m_previousImage);
  m_previousImage = std::move(image);
  m_previousSlice = first[0];
  q.residual = update.relativeResidual;

  const bool measurable = m_options.resolution && !whyNoResolution(live.options().method) &&
                          live.gridSize() >= 8 && live.receivedCount() >= 2;
  if (measurable) {
    std::vector<int> which =
        frcSlicesFor(inView, slices, m_options.neighbours, m_options.maxSlices);
    if (!m_halves || m_halves->slices != which)
      m_halves = std::make_unique<Halves>(live, std::move(which));
    m_halves->feed(live);
    std::vector<float> images[2];
    std::vector<int> all(m_halves->slices.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = int(i);
    for (int h = 0; h < 2; ++h) {
      m_halves->half[h]->setCentre(live.centre());
      m_halves->half[h]->update(1);
      images[h] = m_halves->half[h]->slices(all);
    }
    auto halves = std::make_shared<HalfReconstructions>();
    const auto at = std::find(m_halves->slices.begin(), m_halves->slices.end(), inView.front());
    halves->viewIndex = int(at - m_halves->slices.begin());
    for (int h = 0; h < 2; ++h) {
      halves->image[h] = VolumeStack::fromSliceMajor(images[h], int(all.size()), live.gridSize());
      halves->measured[h] = m_halves->half[h]->sinogram(halves->viewIndex, kHeldOutProjections);
    }
    q.halves = std::move(halves);
    q.resolutionPixels = frcResolutionPixels(
        fourierRingCorrelation(images[0], images[1], live.gridSize(), int(all.size())));
    if (m_options.pixelSizeMicrometres)
      q.resolutionMicrometres = *q.resolutionPixels * *m_options.pixelSizeMicrometres;
    q.advice = m_advisor.advise({.update = update.update,
                                 .resolutionPixels = q.resolutionPixels,
                                 .change = q.change,
                                 .received = progress.received},
                                progress);
  }
  q.seconds = secondsSince(start);
  return q;
}

}  // namespace tomolive

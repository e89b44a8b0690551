#include "pipeline/LiveQuality.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <utility>

#include "metrics/FourierRingCorrelation.h"
#include "metrics/ImageMetrics.h"
#include "timing/Timing.h"

namespace tomolive {

namespace {

// Most projections of each half the held-out check re-projects (spread evenly over the half).
constexpr int kHeldOutProjections = 128;
// The residual's projections at most: one slice's forward projection of these bounds its cost.
constexpr int kResidualProjections = 512;

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

// 1 − SSIM of `now` to `before` (stacked n × n slices), SSIM as the simulator's scores measure
// it against the ground truth (metrics/ImageMetrics.h, ssimVolume: mean over the slices, one
// data range, `before`'s). None where it cannot be measured (a grid smaller than SSIM's window,
// a flat image).
std::optional<double> structuralChange(const std::vector<float>& now,
                                       const std::vector<float>& before, int n) {
  if (n < 11 || now.empty() || now.size() != before.size()) return std::nullopt;
  if (!(dataRange(before) > 0.0)) return std::nullopt;
  const int slices = int(now.size() / (std::size_t(n) * n));
  return 1.0 - ssimVolume(now, before, n, n, slices);
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

// The two half reconstructions on `slices`. Every method but window: filtered halves of everything
// received, dealt alternately in angle order (sorted angles, every other one) and rebuilt at each
// update, so that each half covers the angles as evenly as the whole: dealt by arrival, an
// interlaced scan's halves had systematic gaps (interlaced:8 gave one half only the angles in
// [0°, 22.5°) + 45°k) and the resolution depended on the arrival order, not the data (the tooth:
// 14.2 px interlaced, 5.8 px sequential, from identical images). Window: window-method halves
// fed each window's projections by arrival before the live reconstruction forgets them, so that
// they hold only their newest window too; each keeps its own line integrals of one slice (the
// first in view) for the held-out check, the newest kHeldOutProjections.
struct LiveQuality::Halves {
  std::vector<int> slices;
  bool window;
  std::unique_ptr<LiveReconstruction> half[2];
  std::int64_t fed = 0;  ///< projections handed to the halves (window: since they were built)
  int sinogramSlice;     ///< window: the slice (index into `slices`) whose line integrals are kept
  std::deque<std::pair<double, std::vector<float>>> kept[2];  ///< window: (angle, row), newest last

  Halves(const LiveReconstruction& live, std::vector<int> which, int keptSlice)
      : slices(std::move(which)),
        window(live.options().method == LiveMethod::window),
        sinogramSlice(keptSlice) {
    const LiveOptions& o = live.options();
    for (auto& h : half)
      h = std::make_unique<LiveReconstruction>(
          live.gridSize(), int(slices.size()), live.received().columns(), live.centre(),
          LiveOptions{.method = window ? LiveMethod::window : LiveMethod::filtered,
                      .targetIterations = o.targetIterations,
                      .sirt = o.sirt,
                      .backend = o.backend});
  }

  // Hands over what `live` received since the last call (window: the window its update just
  // used), dealt by arrival index; the other methods: everything received, dealt in angle order.
  void feed(const LiveReconstruction& live, const LiveUpdate& update) {
    if (!window) return rebuild(live);
    const ProjectionStack& p = live.received();
    const int count = live.receivedCount(), columns = p.columns();
    const int first = window ? (update.projections > 0 ? 0 : count) : int(fed);
    const std::int64_t arrival = window ? fed - first : 0;  // arrival index of held position 0
    const std::span<const double> angles = live.receivedAngles();
    for (int parity = 0; parity < 2; ++parity) {
      std::vector<int> take;
      for (int k = first; k < count; ++k)
        if ((arrival + k) % 2 == parity) take.push_back(k);
      if (take.empty()) continue;
      ProjectionStack part(int(take.size()), int(slices.size()), columns);
      std::vector<double> partAngles;
      for (std::size_t i = 0; i < take.size(); ++i) {
        for (std::size_t s = 0; s < slices.size(); ++s)
          for (int c = 0; c < columns; ++c) part.at(int(i), int(s), c) = p.at(take[i], slices[s], c);
        partAngles.push_back(angles[std::size_t(take[i])]);
        if (window) {
          std::vector<float> line(static_cast<std::size_t>(columns));
          for (int c = 0; c < columns; ++c) line[std::size_t(c)] = part.at(int(i), sinogramSlice, c);
          kept[parity].emplace_back(partAngles.back(), std::move(line));
          if (int(kept[parity].size()) > kHeldOutProjections) kept[parity].pop_front();
        }
      }
      half[parity]->receive(part, partAngles);
    }
    fed += count - first;
  }

  void rebuild(const LiveReconstruction& live) {
    const ProjectionStack& p = live.received();
    const int count = live.receivedCount(), columns = p.columns();
    const std::span<const double> angles = live.receivedAngles();
    const std::vector<int> sorted = orderByFoldedAngle(angles.first(std::size_t(count)));
    const LiveOptions options = half[0]->options();
    for (int parity = 0; parity < 2; ++parity) {
      std::vector<int> take;
      for (std::size_t k = std::size_t(parity); k < sorted.size(); k += 2)
        take.push_back(sorted[k]);
      half[parity] = std::make_unique<LiveReconstruction>(live.gridSize(), int(slices.size()),
                                                          columns, live.centre(), options);
      if (take.empty()) continue;
      ProjectionStack part(int(take.size()), int(slices.size()), columns);
      std::vector<double> partAngles;
      for (std::size_t i = 0; i < take.size(); ++i) {
        for (std::size_t s = 0; s < slices.size(); ++s)
          for (int c = 0; c < columns; ++c)
            part.at(int(i), int(s), c) = p.at(take[i], slices[s], c);
        partAngles.push_back(angles[std::size_t(take[i])]);
      }
      half[parity]->receive(part, partAngles);
    }
    fed = count;
  }

  // Half h's measured line integrals of the kept slice (window) or of `s` (the others).
  SliceSinogram measured(int h, int s, double centre) const {
    if (!window) return half[h]->sinogram(s, kHeldOutProjections);
    SliceSinogram out;
    out.centre = centre;
    out.columns = half[h]->received().columns();
    for (const auto& [angle, line] : kept[h]) {
      out.anglesRad.push_back(angle);
      out.lineIntegrals.insert(out.lineIntegrals.end(), line.begin(), line.end());
    }
    return out;
  }
};

LiveQuality::LiveQuality(QualityOptions options) : m_options(options), m_advisor(options.rule) {
  if (options.pixelSizeMicrometres && !(*options.pixelSizeMicrometres > 0.0))
    throw std::invalid_argument("pixel size " + std::to_string(*options.pixelSizeMicrometres) +
                                " µm must be positive");
  if (options.share && !(*options.share > 0.0 && std::isfinite(*options.share)))
    throw std::invalid_argument("live quality: share " + std::to_string(*options.share) +
                                " of the reconstruction's time must be positive");
  if (options.every < 1)
    throw std::invalid_argument("live quality: every " + std::to_string(options.every) +
                                " updates: must be at least 1");
  if (options.neighbours < 0 || options.maxSlices < 1)
    throw std::invalid_argument("live quality: neighbours " + std::to_string(options.neighbours) +
                                " must be ≥ 0 and slices " + std::to_string(options.maxSlices) +
                                " at least 1");
}

LiveQuality::~LiveQuality() = default;

std::optional<double> LiveQuality::madeGood(const std::vector<float>& image, bool comparable) {
  const auto distance = [](const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) sum += double(a[i] - b[i]) * double(a[i] - b[i]);
    return sum;
  };
  if (!comparable || m_run.empty() || m_run.back().size() != image.size()) {
    m_run.clear();
    m_runSteps.clear();
  } else {
    m_runSteps.push_back(distance(image, m_run.back()));
  }
  // A full run gives its oldest image's memory to the newest (no allocation per update).
  std::vector<float> slot;
  if (int(m_run.size()) > kMadeGoodUpdates) {
    slot = std::move(m_run.front());
    m_run.pop_front();
    m_runSteps.pop_front();
  }
  slot.assign(image.begin(), image.end());
  m_run.push_back(std::move(slot));
  if (int(m_run.size()) <= kMadeGoodUpdates) return std::nullopt;
  double path = 0.0;
  for (double step : m_runSteps) path += step;
  if (!(path > 0.0)) return std::nullopt;  // an image that did not move at all
  return distance(m_run.back(), m_run.front()) / path;
}

std::optional<std::string> LiveQuality::whyNoResolution(LiveMethod method) {
  if (method == LiveMethod::window)
    return std::string(
        "the window method's image lags what it received (each projection takes part only in "
        "its own window's iterations), so the agreement of two half reconstructions measures "
        "that lag, not what the data resolve: choose filtered, cgls or sirt");
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
  // The residual of the image shown (the update's own steps measured it before their last step,
  // which for the filtered method is the image of its filtered start).
  if (live.receivedCount() > 0)
    q.residual = relativeResidual(live.sinogram(first[0], kResidualProjections), m_previousImage,
                                  live.gridSize());

  const bool window = live.options().method == LiveMethod::window;
  const bool wanted = window ? m_options.heldOutHalves : m_options.resolution;
  std::vector<int> which = frcSlicesFor(inView, slices, m_options.neighbours, m_options.maxSlices);
  // The advice's structural change compares these slices with the last update's.
  std::vector<float> structure;
  if (wanted && !window) structure = live.slices(which);
  // Images of other slices, or made with another I (the filtered method recomputes from zero:
  // I sets how close it comes to SIRT-K; the others iterate faster), differ by more than the
  // new projections did: no change is measured between them.
  std::optional<std::string> whyNoChange;
  if (!m_previousStructureSlices.empty() && m_previousStructureSlices != which)
    whyNoChange = "other slices in view";
  else if (!m_previousStructureSlices.empty() && m_previousIterations != update.iterations)
    whyNoChange = "I changed from " + std::to_string(m_previousIterations) + " to " +
                  std::to_string(update.iterations);
  const bool comparable = !whyNoChange;
  if (wanted && !window) q.changeMadeGood = madeGood(m_previousImage, comparable);
  std::vector<float> before = std::exchange(m_previousStructure, std::move(structure));
  m_previousStructureSlices = which;
  m_previousIterations = update.iterations;
  const std::int64_t receivedBefore =
      std::exchange(m_previousStructureReceived, std::int64_t(live.receivedCount()));
  // Between every k-th update, or while the halves have cost more than their share: no halves,
  // the last advice stands (the filtered halves recompute from everything received, so they lose
  // nothing by skipping).
  m_workSeconds += update.seconds;
  const bool due = m_assessments++ % m_options.every == 0 &&
                   (!m_options.share || m_spentSeconds <= *m_options.share * m_workSeconds);
  if (wanted && !window && !due) {
    q.advice = m_lastAdvice;
    q.halves = m_lastHalves;
    q.seconds = secondsSince(start);
    return q;
  }
  if (wanted && !window && comparable)
    q.structuralChange = structuralChange(m_previousStructure, before, live.gridSize());
  if (wanted && !window && live.receivedCount() > 0)
    q.coverage = angularCoverage(live.receivedAngles());
  if (wanted && live.gridSize() >= 8 && live.receivedCount() >= (window ? 1 : 2)) {
    const int viewIndex =
        int(std::find(which.begin(), which.end(), inView.front()) - which.begin());
    if (!m_halves || m_halves->slices != which)
      m_halves = std::make_unique<Halves>(live, std::move(which), viewIndex);
    m_halves->feed(live, update);
    std::vector<float> images[2];
    std::vector<int> all(m_halves->slices.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = int(i);
    for (int h = 0; h < 2; ++h) {
      m_halves->half[h]->setCentre(live.centre());
      m_halves->half[h]->update(window ? std::max(1, update.iterations) : 1);
      images[h] = m_halves->half[h]->slices(all);
    }
    auto halves = std::make_shared<HalfReconstructions>();
    halves->viewIndex = viewIndex;
    for (int h = 0; h < 2; ++h) {
      halves->image[h] = VolumeStack::fromSliceMajor(images[h], int(all.size()), live.gridSize());
      halves->measured[h] = m_halves->measured(h, viewIndex, live.centre());
    }
    q.halves = std::move(halves);
    m_lastHalves = q.halves;
    // The halves' change: each half's image to the whole's, on the same slices.
    if (!window) {
      std::optional<double> change[2];
      for (int h = 0; h < 2; ++h)
        change[h] = structuralChange(images[h], m_previousStructure, live.gridSize());
      if (change[0] && change[1]) q.halvesChange = 0.5 * (*change[0] + *change[1]);
    }
    if (!window && q.coverage->enough()) {
      q.resolutionPixels = frcResolutionPixels(
          fourierRingCorrelation(images[0], images[1], live.gridSize(), int(all.size())));
      if (m_options.pixelSizeMicrometres)
        q.resolutionMicrometres = *q.resolutionPixels * *m_options.pixelSizeMicrometres;
    }
  }
  // Every update with something received gets an advice (one projection: "continue", and why).
  if (q.coverage) {
    ScanProgress atGrid = progress;
    atGrid.gridSize = live.gridSize();
    q.advice = m_advisor.advise({.update = update.update,
                                 .resolutionPixels = q.resolutionPixels,
                                 .structuralChange = q.structuralChange,
                                 .received = live.receivedCount(),
                                 .receivedBefore = receivedBefore,
                                 .coverage = q.coverage,
                                 .halvesChange = q.halvesChange,
                                 .whyNoChange = whyNoChange,
                                 .changeMadeGood = q.changeMadeGood},
                                atGrid);
    m_lastAdvice = q.advice;
  }
  q.seconds = secondsSince(start);
  m_spentSeconds += q.seconds;
  return q;
}

}  // namespace tomolive

#include "pipeline/EnhancementScheduler.h"

#include <algorithm>
#include <stdexcept>

#include "nn/EnhancementGuard.h"
#include "nn/SampleSupport.h"
#include "nn/VolumeEnhancement.h"
#include "pipeline/StreamingSession.h"
#include "timing/Timing.h"

namespace tomolive {

EnhancementScheduler::EnhancementScheduler(Denoiser& denoiser, LiveMethod liveMethod,
                                           Clock::duration publishEvery)
    : m_denoiser(denoiser),
      m_trainedOn(denoiser.inputMethod()),
      m_liveMethod(liveMethodName(liveMethod)),
      m_trainedForTheInput(m_trainedOn.empty() || m_trainedOn == liveMethodName(liveMethod)),
      m_publishEvery(publishEvery),
      m_lastVersion(Clock::now()) {}

std::string EnhancementScheduler::mismatch() const {
  if (m_trainedForTheInput) return "";
  return "the model was trained on " + m_trainedOn + " reconstructions, the live method is " +
         m_liveMethod +
         ": the after view shows the reconstruction (enhancement weight 0) until a model trained "
         "for it is loaded (docs/quality.md)";
}

bool EnhancementScheduler::isNew(const Snapshot& latest) const {
  return !m_base || latest.metrics.update != m_base->metrics.update ||
         latest.volume != m_base->volume || latest.viewVolume != m_base->viewVolume;
}

void EnhancementScheduler::begin(std::shared_ptr<const Snapshot> update) {
  m_base = std::move(update);
  const Snapshot& b = *m_base;
  const VolumeStack& source = b.viewVolume ? *b.viewVolume : *b.volume;
  m_work = std::make_shared<VolumeStack>(source.slices(), source.gridSize());
  m_done.assign(std::size_t(source.slices()), 0);
  m_wanted.assign(m_done.size(), 1);
  if (b.viewVolume) {  // the neighbours are context: only slices whose neighbours are there
    const int all = b.volume->slices(), reach = m_denoiser.depth() / 2;
    for (std::size_t i = 0; i < m_wanted.size(); ++i)
      for (int d = -reach; d <= reach; ++d) {
        const int s = b.viewSlices[i] + d;
        if (s >= 0 && s < all && b.enhancedIndex(s) < 0) m_wanted[i] = 0;
      }
  }
  m_wantedCount = int(std::count(m_wanted.begin(), m_wanted.end(), 1));
  m_count = 0, m_spent = 0.0;
  m_ratio.reset(), m_heldOut.reset(), m_guardSeconds.reset();
}

EnhancementScheduler::Step EnhancementScheduler::step(std::span<const int> view,
                                                      Clock::time_point now) {
  if (!m_base || finished())
    throw std::logic_error("enhancement: no slice left to enhance in this update");
  const Snapshot& b = *m_base;
  const VolumeStack& source = b.viewVolume ? *b.viewVolume : *b.volume;
  const int slices = source.slices();
  const auto pending = [&](int i) { return i >= 0 && i < slices && m_wanted[i] && !m_done[i]; };
  // The slices in view first (in the order given), then the nearest to the view.
  int next = -1;
  for (int s : view)
    if (pending(b.enhancedIndex(s))) {
      next = b.enhancedIndex(s);
      break;
    }
  if (next < 0) {
    const int first = view.empty() ? -1 : b.enhancedIndex(view.front());
    const int centre = first >= 0 ? first : slices / 2;
    for (int d = 0; next < 0 && d < slices; ++d)
      for (int i : {centre - d, centre + d})
        if (pending(i)) {
          next = i;
          break;
        }
  }
  Step step;
  const auto start = Clock::now();
  std::vector<float> enhanced = enhanceSlice(m_denoiser, source, next);
  // Nothing where the reconstruction is not defined (nn/EnhancementGuard.h keptToMeasured).
  if (b.guardSinogram)
    enhanced = keptToMeasured(std::move(enhanced), *b.guardSinogram, source.gridSize());
  if (b.guardSinogram && !m_guardFailed && next == b.enhancedIndex(b.guardSlice)) {
    const auto guardStart = Clock::now();
    try {
      m_ratio = enhancedResidualRatio(*b.guardSinogram, enhanced, source.slice(next),
                                      source.gridSize());
      if (const HalfReconstructions* h = b.guardHalves.get()) {
        HeldOutHalf half[2];
        for (int k = 0; k < 2; ++k)
          half[k] = {h->measured[k], h->image[k].slice(h->viewIndex),
                     enhanceSlice(m_denoiser, h->image[k], h->viewIndex)};
        m_heldOut = heldOutWeight(half[0], half[1], source.gridSize());
      }
    } catch (const std::invalid_argument& e) {
      step.log = std::string("enhancement guard: ") + e.what() + "; shown without the guard";
      m_guardFailed = true;
    }
    m_guardSeconds = secondsSince(guardStart);
  }
  // Nothing where the measurements show air (nn/SampleSupport.h): a certainty the guard does
  // not weigh — it weighs what the network adds or takes away where the sample may be.
  if (b.sampleShadows)
    enhanced = keptToSample(std::move(enhanced), b.sampleShadows->at(std::size_t(next)),
                            source.gridSize());
  m_work->setSlice(next, enhanced);
  m_done[std::size_t(next)] = 1;
  ++m_count;
  step.seconds = secondsSince(start);
  m_spent += step.seconds;

  bool viewDone = true, inView = false;
  for (int s : view) {
    const int i = b.enhancedIndex(s);
    viewDone = viewDone && !pending(i);
    inView = inView || i == next;
  }
  if (finished() || (inView && viewDone) || now - m_lastVersion > m_publishEvery) {
    step.version = version();
    m_lastVersion = now;
  }
  return step;
}

// The update in hand with what is enhanced so far, as shown: the network's output blended with
// the reconstruction by the guard's weight (nn/EnhancementGuard.h).
std::shared_ptr<const Snapshot> EnhancementScheduler::version() const {
  const Snapshot& b = *m_base;
  const VolumeStack& source = b.viewVolume ? *b.viewVolume : *b.volume;
  auto snapshot = std::make_shared<Snapshot>(b);
  const double weight =
      enhancementWeight(m_ratio.value_or(1.0), b.metrics.change, m_trainedForTheInput, m_heldOut);
  auto shown = std::make_shared<VolumeStack>(*m_work);
  if (weight < 1.0)
    for (int i = 0; i < source.slices(); ++i)
      if (m_done[std::size_t(i)])
        shown->setSlice(i, blendEnhancement(shown->slice(i), source.slice(i), weight));
  snapshot->enhanced = std::move(shown);
  UpdateMetrics& m = snapshot->metrics;
  m.enhancedResidualRatio = m_ratio;
  m.enhancementWeight = weight;
  m.enhancementHeldOutWeight = m_heldOut;
  m.enhancementGuardSeconds = m_guardSeconds;
  m.enhancementNote = m_trainedForTheInput
                          ? enhancementLimit(m_ratio.value_or(1.0), b.metrics.change, m_heldOut)
                          : "trained on " + m_trainedOn + " images";
  snapshot->enhancedSlices = m_done;
  snapshot->enhancedCount = m_count;
  snapshot->enhanceSeconds = m_spent;
  return snapshot;
}

}  // namespace tomolive

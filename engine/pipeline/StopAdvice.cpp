#include "pipeline/StopAdvice.h"

#include <cstdio>
#include <stdexcept>

namespace tomolive {

StopAdvisor::StopAdvisor(StopRule rule) : m_rule(rule) {
  if (!(rule.structuralChangeLimit >= 0.0) || rule.stableUpdates < 1 || rule.minimumUpdates < 1)
    throw std::invalid_argument(
        "stop rule: structural change limit " + std::to_string(rule.structuralChangeLimit) +
        " must be ≥ 0, stable updates " + std::to_string(rule.stableUpdates) +
        " and minimum updates " + std::to_string(rule.minimumUpdates) + " at least 1");
}

StopAdvice StopAdvisor::advise(const QualityReading& reading, const ScanProgress& progress) {
  // An update without new projections (a finishing pass after the scan's end) moves the image
  // without saying anything about what more projections would do: the last advice stands.
  if (m_last && reading.received > 0 && reading.received <= m_lastReceived) return *m_last;
  m_lastReceived = reading.received;
  m_last = decide(reading, progress);
  return *m_last;
}

StopAdvice StopAdvisor::decide(const QualityReading& reading, const ScanProgress& progress) {
  const auto& change = reading.structuralChange;
  const bool stable = change && *change <= m_rule.structuralChangeLimit;
  m_stableRun = stable ? m_stableRun + 1 : 0;
  StopAdvice advice;
  char text[256];
  std::string resolution;
  if (reading.resolutionPixels) {
    std::snprintf(text, sizeof text, ", resolution %.1f px", *reading.resolutionPixels);
    resolution = text;
  }
  if (m_stableRun >= m_rule.stableUpdates && reading.update >= m_rule.minimumUpdates) {
    advice.stop = true;
    advice.stableSince = reading.update + 1 - m_stableRun;
    std::snprintf(text, sizeof text, "image stable since update %d", advice.stableSince);
    advice.reason = text + resolution;
    const std::int64_t left = std::int64_t(progress.scanProjections) - progress.received;
    if (progress.scanProjections > 0 && left > 0) {
      std::snprintf(text, sizeof text,
                    " — stopping now saves %lld projections, %.0f %% of the scan",
                    static_cast<long long>(left), 100.0 * double(left) / progress.scanProjections);
      advice.reason += text;
      if (progress.projectionsPerSecond > 0.0) {
        const double seconds = double(left) / progress.projectionsPerSecond;
        if (seconds < 1.0)
          std::snprintf(text, sizeof text, ", less than 1 s of beam");
        else
          std::snprintf(text, sizeof text, ", about %.0f s of beam", seconds);
        advice.reason += text;
      }
    }
    return advice;
  }
  if (!change)
    std::snprintf(text, sizeof text, "image change not measured yet");
  else if (!stable)
    std::snprintf(text, sizeof text,
                  "image still changing: 1 − SSIM to the last update %.2f %% (limit %.2f %%)",
                  100.0 * *change, 100.0 * m_rule.structuralChangeLimit);
  else if (m_stableRun < m_rule.stableUpdates)
    std::snprintf(text, sizeof text, "image stable for %d of %d updates", m_stableRun,
                  m_rule.stableUpdates);
  else
    std::snprintf(text, sizeof text, "image stable, too early to judge (update %d of at least %d)",
                  reading.update, m_rule.minimumUpdates);
  advice.reason = text + resolution;
  return advice;
}

}  // namespace tomolive

#include "pipeline/StopAdvice.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace tomolive {

StopAdvisor::StopAdvisor(StopRule rule) : m_rule(rule) {
  if (!(rule.resolutionTolerance >= 0.0) || !(rule.changeLimit >= 0.0) ||
      !(rule.dataLimitedChangeLimit >= 0.0) || !(rule.gridLimitedPixels >= 2.0) ||
      rule.stableUpdates < 1 || rule.minimumUpdates < 1)
    throw std::invalid_argument(
        "stop rule: resolution tolerance " + std::to_string(rule.resolutionTolerance) +
        " and change limits " + std::to_string(rule.changeLimit) + ", " +
        std::to_string(rule.dataLimitedChangeLimit) + " must be ≥ 0, the grid-limited resolution " +
        std::to_string(rule.gridLimitedPixels) + " px ≥ 2, stable updates " +
        std::to_string(rule.stableUpdates) + " and minimum updates " +
        std::to_string(rule.minimumUpdates) + " at least 1");
}

bool StopAdvisor::stable(std::size_t i) const {
  if (i == 0) return false;
  const auto& now = m_steps[i].smoothedResolution;
  const auto& before = m_steps[i - 1].smoothedResolution;
  const auto& change = m_steps[i].reading.change;
  return now && before && change && (*before - *now) < m_rule.resolutionTolerance * *now &&
         *change < m_rule.changeLimitAt(*now);
}

StopAdvice StopAdvisor::advise(const QualityReading& reading, const ScanProgress& progress) {
  Step step{reading, std::nullopt};
  std::vector<double> recent;  // the resolutions of the last 3 updates
  if (reading.resolutionPixels) recent.push_back(*reading.resolutionPixels);
  for (std::size_t k = 0; k < 2 && k < m_steps.size(); ++k)
    if (const auto& r = m_steps[m_steps.size() - 1 - k].reading.resolutionPixels)
      recent.push_back(*r);
  if (reading.resolutionPixels && !recent.empty()) {
    std::nth_element(recent.begin(), recent.begin() + recent.size() / 2, recent.end());
    step.smoothedResolution = recent[recent.size() / 2];
  }
  m_steps.push_back(step);

  const std::size_t last = m_steps.size() - 1;
  std::size_t run = 0;  // stable updates ending at this one
  while (run <= last && stable(last - run)) ++run;
  StopAdvice advice;
  char text[256];
  const auto& smoothed = m_steps[last].smoothedResolution;
  if (!smoothed) {
    advice.reason = "resolution not measured yet";
    return advice;
  }
  if (run >= std::size_t(m_rule.stableUpdates) && reading.update >= m_rule.minimumUpdates) {
    advice.stop = true;
    advice.stableSince = m_steps[last + 1 - run].reading.update;
    std::snprintf(text, sizeof text, "resolution stable at %.1f px since update %d", *smoothed,
                  advice.stableSince);
    advice.reason = text;
    const std::int64_t left = std::int64_t(progress.scanProjections) - progress.received;
    if (progress.scanProjections > 0 && left > 0) {
      std::snprintf(text, sizeof text,
                    " — stopping now saves %lld projections, %.0f %% of the scan",
                    static_cast<long long>(left), 100.0 * double(left) / progress.scanProjections);
      advice.reason += text;
      if (progress.projectionsPerSecond > 0.0) {
        std::snprintf(text, sizeof text, ", about %.0f s of beam",
                      double(left) / progress.projectionsPerSecond);
        advice.reason += text;
      }
    }
    return advice;
  }
  const auto& change = m_steps[last].reading.change;
  const auto& before = last > 0 ? m_steps[last - 1].smoothedResolution : std::nullopt;
  if (before && (*before - *smoothed) >= m_rule.resolutionTolerance * *smoothed)
    std::snprintf(text, sizeof text, "resolution improving: %.1f → %.1f px in the last update",
                  *before, *smoothed);
  else if (const double limit = m_rule.changeLimitAt(*smoothed); change && *change >= limit)
    std::snprintf(text, sizeof text,
                  "image still changing %.1f %% per update (limit %.1f %% at %.1f px)",
                  100.0 * *change, 100.0 * limit, *smoothed);
  else if (run > 0 && run < std::size_t(m_rule.stableUpdates))
    std::snprintf(text, sizeof text, "resolution %.1f px, stable for %zu of %d updates", *smoothed,
                  run, m_rule.stableUpdates);
  else
    std::snprintf(text, sizeof text, "resolution %.1f px, too early to judge", *smoothed);
  advice.reason = text;
  return advice;
}

}  // namespace tomolive

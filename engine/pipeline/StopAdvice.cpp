#include "pipeline/StopAdvice.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "geometry/ParallelGeometry.h"

namespace tomolive {

AngularCoverage angularCoverage(std::span<const double> anglesRad) {
  AngularCoverage coverage;
  if (anglesRad.empty()) return coverage;
  std::vector<double> folded;
  folded.reserve(anglesRad.size());
  for (double a : anglesRad) folded.push_back(foldedAngle(a) * 180.0 / std::numbers::pi);
  std::sort(folded.begin(), folded.end());
  double gap = folded.front() + 180.0 - folded.back();  // across 0° = 180°
  for (std::size_t i = 1; i < folded.size(); ++i) gap = std::max(gap, folded[i] - folded[i - 1]);
  coverage.largestGapDegrees = gap;
  coverage.limitDegrees = std::min(90.0, 8.0 * 180.0 / double(anglesRad.size()));
  return coverage;
}

std::optional<double> expectedGain(const QualityReading& reading, int scanProjections) {
  const std::int64_t n = reading.received, added = n - reading.receivedBefore;
  if (!reading.structuralChange || added <= 0 || n <= 0) return std::nullopt;
  const double rest = scanProjections > 0 ? std::max(0.0, 1.0 - double(n) / scanProjections) : 0.5;
  // SSIM cannot rise by more than 1: early on (a few projections, the 1/n model not yet
  // applying) the model's value is capped there.
  return std::min(1.0, *reading.structuralChange * double(n) / double(added) * rest);
}

StopAdvisor::StopAdvisor(StopRule rule) : m_rule(rule) {
  if (!(rule.expectedGainLimit >= 0.0) || rule.minimumUpdates < 1)
    throw std::invalid_argument(
        "stop rule: expected gain limit " + std::to_string(rule.expectedGainLimit) +
        " must be ≥ 0 and minimum updates " + std::to_string(rule.minimumUpdates) + " at least 1");
}

StopAdvice StopAdvisor::advise(const QualityReading& reading, const ScanProgress& progress) {
  // An update without new projections (a finishing pass after the scan's end) moves the image
  // without saying anything about what more projections would do: the last advice stands.
  if (m_last && reading.received > 0 && reading.received <= m_lastReceived) return *m_last;
  m_lastReceived = reading.received;
  m_last = decide(reading, progress);
  return *m_last;
}

StopAdvice StopAdvisor::decide(const QualityReading& reading, const ScanProgress& progress) const {
  StopAdvice advice;
  advice.expectedGain = expectedGain(reading, progress.scanProjections);
  char text[256];
  std::string resolution;
  if (reading.resolutionPixels) {
    std::snprintf(text, sizeof text, ", resolution %.1f px", *reading.resolutionPixels);
    resolution = text;
  }
  const char* horizon =
      progress.scanProjections > 0 ? "to the end of the scan" : "from as many projections again";
  std::string gain;
  if (advice.expectedGain) {
    std::snprintf(text, sizeof text, "expected gain %s %.3f SSIM (limit %.3f)", horizon,
                  *advice.expectedGain, m_rule.expectedGainLimit);
    gain = text;
  }
  const std::int64_t left = std::int64_t(progress.scanProjections) - progress.received;
  const std::int64_t added = reading.received - reading.receivedBefore;
  if (reading.coverage && !reading.coverage->enough()) {
    std::snprintf(text, sizeof text,
                  "angular coverage incomplete: the %lld angle%s received leave%s a %.0f° gap "
                  "(a resolution and an advice need at most %.0f°)",
                  static_cast<long long>(reading.received), reading.received == 1 ? "" : "s",
                  reading.received == 1 ? "s" : "", reading.coverage->largestGapDegrees,
                  reading.coverage->limitDegrees);
    advice.reason = text;
  } else if (!advice.expectedGain) {
    advice.reason = "image change not measured yet" + resolution;
  } else if (progress.scanProjections > 0 && left < added) {
    // Stopping now would save less than one more update: nothing worth advising.
    if (left > 0)
      std::snprintf(text, sizeof text, "the scan ends with the next update (%lld projections left)",
                    static_cast<long long>(left));
    else
      std::snprintf(text, sizeof text, "all %d projections of the scan received",
                    progress.scanProjections);
    advice.reason = text + resolution;
  } else if (*advice.expectedGain > m_rule.expectedGainLimit) {
    advice.reason = "image still improving: " + gain + resolution;
  } else if (reading.update < m_rule.minimumUpdates) {
    std::snprintf(text, sizeof text,
                  "image settling, too early to judge (update %d of at least %d)", reading.update,
                  m_rule.minimumUpdates);
    advice.reason = text + resolution;
  } else {
    advice.stop = true;
    std::snprintf(text, sizeof text, "image settled at update %d: ", reading.update);
    advice.reason = text + gain + resolution;
    if (progress.scanProjections > 0) {
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
  }
  return advice;
}

}  // namespace tomolive

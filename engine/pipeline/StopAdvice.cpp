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

namespace {

// A change that was measured and is a number (an image with a NaN in it is not evidence of
// anything: its reading counts as not measured, never as settled).
bool measured(const std::optional<double>& change) { return change && std::isfinite(*change); }

// The FRC's finest resolution, the Nyquist limit (metrics/FourierRingCorrelation.h).
constexpr double kGridLimitPixels = 2.0;

// The 1/n model's gain from a change c between the images of m and n > m > 0 projections.
double oneTermGain(double change, double m, double n, int scanProjections) {
  const double rest = scanProjections > 0 ? std::max(0.0, 1.0 - n / scanProjections) : 0.5;
  // SSIM cannot rise by more than 1: early on (a few projections, the 1/n model not yet
  // applying) the model's value is capped there.
  return std::min(1.0, change * m / (n - m) * rest);
}

// a, b ≥ 0 minimising Σ ((a·u + b·v) / c − 1)² with u = 1/m − 1/n, v = 1/m² − 1/n² (m = n − Δn
// projections in the image compared with): the unconstrained solution where both are ≥ 0, else
// the better of a alone and b alone.
std::optional<std::pair<double, double>> fitApproach(std::span<const ChangePoint> points) {
  double suu = 0, svv = 0, suv = 0, su = 0, sv = 0;
  for (const ChangePoint& p : points) {
    const double n = p.received, m = p.received - p.added;
    const double u = (1.0 / m - 1.0 / n) / p.change, v = (1.0 / (m * m) - 1.0 / (n * n)) / p.change;
    suu += u * u;
    svv += v * v;
    suv += u * v;
    su += u;
    sv += v;
  }
  const auto error = [&](double a, double b) {
    // Σ (a·u + b·v − 1)², expanded.
    return a * a * suu + b * b * svv + 2 * a * b * suv - 2 * a * su - 2 * b * sv + points.size();
  };
  const double det = suu * svv - suv * suv;
  if (det > 0.0) {
    const double a = (su * svv - sv * suv) / det, b = (suu * sv - suv * su) / det;
    if (a >= 0.0 && b >= 0.0) return std::pair{a, b};
  }
  if (!(suu > 0.0) || !(svv > 0.0)) return std::nullopt;
  const double a = su / suu, b = sv / svv;
  return error(a, 0.0) <= error(0.0, b) ? std::pair{a, 0.0} : std::pair{0.0, b};
}

}  // namespace

std::optional<double> expectedGain(const QualityReading& reading, int scanProjections) {
  const std::int64_t n = reading.received, before = reading.receivedBefore;
  if (!measured(reading.structuralChange) || before <= 0 || n <= before) return std::nullopt;
  return oneTermGain(*reading.structuralChange, double(before), double(n), scanProjections);
}

std::optional<double> expectedGain(std::span<const ChangePoint> recent, int scanProjections,
                                   int gridSize) {
  if (recent.empty()) return std::nullopt;
  const ChangePoint& last = recent.back();
  const double n = last.received, m = last.received - last.added;
  if (!(m > 0.0) || !(last.added > 0.0)) return std::nullopt;
  const double newest = oneTermGain(last.change, m, n, scanProjections);
  const bool streaksFading = gridSize > 0 && n < std::numbers::pi / 2.0 * gridSize;
  const bool measurable = std::all_of(recent.begin(), recent.end(), [](const ChangePoint& p) {
    return p.change > 0.0 && p.added > 0.0 && p.received > p.added;
  });
  if (!streaksFading || recent.size() < 3 || !measurable) return newest;
  const std::optional<std::pair<double, double>> ab = fitApproach(recent);
  if (!ab) return newest;
  const double whole = scanProjections > 0 ? std::max(n, double(scanProjections)) : 2.0 * n;
  const auto [a, b] = *ab;
  return std::min(1.0, a * (1.0 / n - 1.0 / whole) + b * (1.0 / (n * n) - 1.0 / (whole * whole)));
}

StopAdvisor::StopAdvisor(StopRule rule) : m_rule(rule) {
  if (!(rule.expectedGainLimit >= 0.0) || !(rule.halvesGainLimit >= 0.0) ||
      !(rule.sureHalvesGainLimit >= 0.0) || !(rule.sureExpectedGainLimit >= 0.0) ||
      rule.minimumUpdates < 1 || rule.fittedUpdates < 3)
    throw std::invalid_argument(
        "stop rule: expected gain limits " + std::to_string(rule.expectedGainLimit) + ", " +
        std::to_string(rule.halvesGainLimit) + " (halves), " +
        std::to_string(rule.sureExpectedGainLimit) + " and " +
        std::to_string(rule.sureHalvesGainLimit) +
        " (where the halves are sure) must be ≥ 0, minimum updates " +
        std::to_string(rule.minimumUpdates) + " at least 1 and fitted updates " +
        std::to_string(rule.fittedUpdates) + " at least 3");
}

StopAdvice StopAdvisor::advise(const QualityReading& reading, const ScanProgress& progress) {
  // An update without new projections (a finishing pass after the scan's end) moves the image
  // without saying anything about what more projections would do: the last advice stands.
  if (m_last && reading.received > 0 && reading.received <= m_lastReceived) return *m_last;
  m_lastReceived = reading.received;
  const auto keep = [this](std::vector<ChangePoint>& recent, ChangePoint point) {
    recent.push_back(point);
    if (int(recent.size()) > m_rule.fittedUpdates) recent.erase(recent.begin());
  };
  if (measured(reading.structuralChange) && reading.received > reading.receivedBefore) {
    // At the grid's resolution limit, only what the image made good of its recent path counts.
    const bool gridLimited =
        reading.resolutionPixels && *reading.resolutionPixels <= kGridLimitPixels;
    const double madeGood = gridLimited && measured(reading.changeMadeGood)
                                ? std::min(1.0, *reading.changeMadeGood)
                                : 1.0;
    keep(m_recent, {double(reading.received), double(reading.received - reading.receivedBefore),
                    *reading.structuralChange * madeGood});
  }
  // Each half holds half the received projections: a change from n/2 to n.
  if (measured(reading.halvesChange) && reading.received > 1)
    keep(m_recentHalves,
         {double(reading.received), 0.5 * double(reading.received), *reading.halvesChange});
  const bool wasStop = m_last && m_last->stop;
  m_last = decide(reading, progress);
  if (m_last->stop && !wasStop) m_settledSince = reading.update;
  return *m_last;
}

StopAdvice StopAdvisor::decide(const QualityReading& reading, const ScanProgress& progress) const {
  StopAdvice advice;
  // The fit over this reading's change and those before it; without a change, none.
  const bool changed =
      measured(reading.structuralChange) && reading.received > reading.receivedBefore;
  // Not comparable with the image before (other slices, another I): the last change's gain stands.
  const bool carried = !changed && reading.whyNoChange && !m_recent.empty();
  if (changed || carried)
    advice.expectedGain = expectedGain(m_recent, progress.scanProjections, progress.gridSize);
  if (measured(reading.halvesChange) && reading.received > 1)
    advice.halvesGain = expectedGain(m_recentHalves, progress.scanProjections, progress.gridSize);
  // Near the grid's limit, where the halves are sure, the looser limit on the expected gain.
  const bool halvesSure = advice.halvesGain && *advice.halvesGain <= m_rule.sureHalvesGainLimit &&
                          reading.resolutionPixels &&
                          *reading.resolutionPixels <= kNearGridLimitPixels &&
                          m_rule.sureExpectedGainLimit > m_rule.expectedGainLimit;
  const double gainLimit = halvesSure ? m_rule.sureExpectedGainLimit : m_rule.expectedGainLimit;
  char text[320];
  std::string resolution;
  if (reading.resolutionPixels) {
    std::snprintf(text, sizeof text, ", resolution %.1f px", *reading.resolutionPixels);
    resolution = text;
  }
  const char* horizon =
      progress.scanProjections > 0 ? "to the end of the scan" : "from as many projections again";
  std::string gain;
  if (advice.expectedGain) {
    std::snprintf(text, sizeof text, "expected gain %s %.3f SSIM (limit %.3f", horizon,
                  *advice.expectedGain, gainLimit);
    gain = text;
    if (halvesSure) {
      std::snprintf(text, sizeof text,
                    " where the halves' gain is at most %.3f at %.1f px or finer",
                    m_rule.sureHalvesGainLimit, kNearGridLimitPixels);
      gain += text;
    }
    gain += ")";
    if (carried) gain += " as the last update measured it (" + *reading.whyNoChange + ")";
    if (advice.halvesGain) {
      std::snprintf(text, sizeof text, ", by the halves %.3f (limit %.3f)", *advice.halvesGain,
                    m_rule.halvesGainLimit);
      gain += text;
    }
  }
  const bool improving =
      advice.expectedGain && (*advice.expectedGain > gainLimit ||
                              (advice.halvesGain && *advice.halvesGain > m_rule.halvesGainLimit));
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
    advice.reason = "image change not measured yet" +
                    (reading.whyNoChange ? " (" + *reading.whyNoChange + ")" : "") + resolution;
  } else if (progress.scanProjections > 0 && left < added) {
    // Stopping now would save less than one more update: nothing worth advising.
    advice.scanComplete = left <= 0;
    if (left > 0)
      std::snprintf(text, sizeof text, "the scan ends with the next update (%lld projections left)",
                    static_cast<long long>(left));
    else if (progress.stopped)
      std::snprintf(text, sizeof text, "acquisition stopped after %d projections, all in the image",
                    progress.scanProjections);
    else
      std::snprintf(text, sizeof text, "all %d projections of the scan received",
                    progress.scanProjections);
    advice.reason = text + resolution;
  } else if (improving) {
    advice.reason = "image still improving: " + gain + resolution;
  } else if (reading.update < m_rule.minimumUpdates) {
    std::snprintf(text, sizeof text,
                  "image settling, too early to judge (update %d of at least %d)", reading.update,
                  m_rule.minimumUpdates);
    advice.reason = text + resolution;
  } else {
    advice.stop = true;
    // Since the first of the unbroken run of "stop" advice this one continues.
    const int since = m_last && m_last->stop ? m_settledSince : reading.update;
    std::snprintf(text, sizeof text,
                  "image settled %s update %d: ", since < reading.update ? "since" : "at", since);
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

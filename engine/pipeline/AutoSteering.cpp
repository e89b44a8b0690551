#include "pipeline/AutoSteering.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace tomolive {

namespace {
// Windows are sized this much larger than keeping up needs, and updates this much shorter than
// the target: the cost estimate lags a cost that grows with every projection received, and an
// update that starts late adds its wait to the refresh.
constexpr double kHeadroom = 1.25;
constexpr int kMaxWindow = 100000;  ///< the largest W the CLI accepts
// At most this many updates per target refresh time: more would only add per-update overhead,
// and windows of a few projections turn any hiccup of the machine into a lag of many windows.
constexpr double kUpdatesPerTarget = 4.0;
// More iterations are chosen only while their cost per projection takes at most this share of a
// projection's arrival time (r·k ≤ 0.5). The W that keeps up leaves an update busy for
// 0.8·(1 − r·k) + r·k of its window's arrival time, which tends to all of it as r·k → 1: a busy
// moment of the machine would then grow the lag by windows. At 0.5 at least 10 % stays free.
constexpr double kMostBusyPerProjection = 0.5;
}  // namespace

int projectorPasses(LiveMethod method, int iterations) {
  switch (method) {
    case LiveMethod::filtered:
      return 1 + 2 * iterations;
    case LiveMethod::cgls:
      return 2 + 2 * iterations;
    case LiveMethod::sirt:
    case LiveMethod::window:
      return 2 * iterations;
  }
  return 2 * iterations;
}

AutoSteering::AutoSteering(double targetRefreshSeconds, int maxIterations)
    : m_target(targetRefreshSeconds), m_maxIterations(maxIterations) {
  if (!(targetRefreshSeconds > 0.0) || !std::isfinite(targetRefreshSeconds) || maxIterations < 1)
    throw std::invalid_argument("auto-steering: target refresh " +
                                std::to_string(targetRefreshSeconds) +
                                " s must be positive and at most " + std::to_string(maxIterations) +
                                " iterations at least 1");
}

SteeringDecision AutoSteering::decide(const SteeringInput& u) {
  const double used = std::max(1, u.projectionsUsed);
  const double perPass = u.workSeconds / (used * projectorPasses(u.method, u.iterations));
  const double fixed = std::max(0.0, u.updateSeconds - u.workSeconds);
  // A cost that falls is taken at once (the first update's one-off setup — weights, masks,
  // buffers — made a pass look 6× dearer, and the average took five updates to forget it); one
  // that rises is averaged in (a busy spell).
  const auto learn = [](std::optional<double>& known, double now) {
    known = known && now > *known ? 0.5 * (*known + now) : now;
  };
  learn(m_secondsPerPass, perPass);
  learn(m_fixedSeconds, fixed);
  const double c = *m_secondsPerPass, o = *m_fixedSeconds, r = u.projectionsPerSecond;
  const double kept = u.method == LiveMethod::window ? 0.0 : double(u.projectionsUsed);
  const auto seconds = [&](int iterations, double window) {
    return o + c * projectorPasses(u.method, iterations) * (kept + window);
  };
  // The smallest W that keeps up at I, or none when the detector outruns any window.
  const auto keepingUp = [&](int iterations) -> std::optional<double> {
    if (!(r > 0.0)) return double(u.window);
    const double k = c * projectorPasses(u.method, iterations);
    if (r * k >= 1.0) return std::nullopt;
    const double shortest = std::ceil(r * m_target / kUpdatesPerTarget);
    return std::clamp(std::ceil(kHeadroom * r * (o + k * kept) / (1.0 - r * k)),
                      std::max(1.0, shortest), double(kMaxWindow));
  };
  if (u.keepWindow) return decideIterations(u.window, u.iterations, r, seconds);
  SteeringDecision d;
  char text[256];
  for (int i = m_maxIterations; i >= 1; --i)
    if (const auto w = keepingUp(i);
        w && (i == 1 || r * c * projectorPasses(u.method, i) <= kMostBusyPerProjection) &&
        kHeadroom * seconds(i, *w) <= m_target) {
      d.iterations = i, d.window = int(*w), d.predictedSeconds = seconds(i, *w);
      if (r > 0.0)
        std::snprintf(text, sizeof text,
                      "W %d, I %d: keeps up with %.0f proj/s, update %.2f s ≤ %.2f s", d.window,
                      d.iterations, r, d.predictedSeconds, m_target);
      else
        std::snprintf(text, sizeof text, "I %d: update %.2f s ≤ %.2f s (detector rate unknown)",
                      d.iterations, d.predictedSeconds, m_target);
      d.reason = text;
      return d;
    }
  d.iterations = 1;
  const auto w = keepingUp(1);
  d.window = w ? int(*w)
               : int(std::clamp(std::ceil(r * seconds(1, u.window)), double(u.window),
                                double(kMaxWindow)));
  d.predictedSeconds = seconds(1, d.window);
  if (!w)
    std::snprintf(text, sizeof text,
                  "W %d, I 1: falling behind — %.0f proj/s arrive faster than %.0f proj/s can be "
                  "reconstructed",
                  d.window, r, 1.0 / (c * projectorPasses(u.method, 1)));
  else
    std::snprintf(text, sizeof text,
                  "W %d, I 1: update %.2f s, above or within 25 %% of the %.2f s target even "
                  "at I = 1 (the projections used cost that much)",
                  d.window, d.predictedSeconds, m_target);
  d.reason = text;
  return d;
}

SteeringDecision AutoSteering::decideIterations(int window, int current, double rate,
                                                const std::function<double(int, double)>& seconds) {
  // The window arrives in W/r seconds; unknown rate: only the target limits the update.
  const double arrival = rate > 0.0 ? window / rate : m_target;
  const double budget = std::min(m_target, arrival);
  SteeringDecision d;
  d.window = window;
  d.iterations = 1;
  // I comes down as soon as its update, 25 % larger, no longer fits; after the first decision it
  // rises only where the larger I fits with that margin twice over. A cost that falls is taken at
  // once, so one update measured quick (the machine's noise) would otherwise raise I for an
  // update and the next lower it again, the image's texture flickering with it.
  const auto fits = [&](int i) {
    const double margin = m_decided && i > current ? kHeadroom * kHeadroom : kHeadroom;
    return margin * seconds(i, window) <= budget;
  };
  for (int i = m_maxIterations; i >= 1; --i)
    if (fits(i)) {
      d.iterations = i;
      break;
    }
  d.predictedSeconds = seconds(d.iterations, window);
  char text[320];
  const bool fitted = fits(d.iterations);
  m_decided = true;
  if (fitted) {
    if (rate > 0.0)
      std::snprintf(text, sizeof text,
                    "I %d: update %.2f s, the window arrives every %.2f s, target %.2f s",
                    d.iterations, d.predictedSeconds, arrival, m_target);
    else
      std::snprintf(text, sizeof text, "I %d: update %.2f s ≤ %.2f s (detector rate unknown)",
                    d.iterations, d.predictedSeconds, m_target);
  } else {
    // Name the limit that binds, and the figure compared with it (the update and its margin).
    const bool arrivalBinds = rate > 0.0 && arrival < m_target;
    std::snprintf(text, sizeof text,
                  "I 1: update %.2f s (%.2f s with the 25 %% margin) even at I = 1, more than %s "
                  "%.2f s: %s",
                  d.predictedSeconds, kHeadroom * d.predictedSeconds,
                  arrivalBinds ? "the window's arrival every" : "the target of", budget,
                  arrivalBinds ? "a larger W or fewer slices keep up"
                               : "a longer target, a larger W or fewer slices");
  }
  d.reason = text;
  return d;
}

}  // namespace tomolive

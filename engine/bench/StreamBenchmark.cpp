#include "bench/StreamBenchmark.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "bench/ProjectorBenchmark.h"
#include "pipeline/LiveReconstruction.h"
#include "pipeline/StreamingSession.h"
#include "pipeline/VolumeReadBack.h"
#include "preprocess/FlatDarkCorrection.h"
#include "projector/JosephProjector.h"
#include "sim/ScanSimulator.h"
#include "sources/SourceFactory.h"
#include "timing/Timing.h"

namespace tomolive {
namespace {

AutoSteerBenchRow runSession(const StreamBenchOptions& o, LiveMethod method, double rate,
                             bool automatic) {
  SourceSpec spec;
  spec.uri = "sim:glass";
  spec.framesPerSecond = rate;
  spec.size = o.size;
  spec.rows = o.slices;
  spec.projections = o.projections;
  spec.window = o.windows.front();
  spec.seed = 11;
  StreamOptions s;
  s.window = o.windows.front();
  s.iterations = o.iterations.front();
  s.method = method;
  s.backend = o.backend;
  if (automatic) s.autoSteerTargetSeconds = o.targetRefreshSeconds;
  StreamingSession session(makeSource(spec), s);
  std::mutex mutex;
  std::vector<UpdateMetrics> updates;
  session.onSnapshot([&](std::shared_ptr<const Snapshot> snapshot) {
    std::lock_guard lock(mutex);
    if (updates.empty() || updates.back().update != snapshot->metrics.update)
      updates.push_back(snapshot->metrics);
  });
  session.start();
  session.wait();

  AutoSteerBenchRow row;
  row.method = method, row.rate = rate, row.automatic = automatic;
  row.updates = int(updates.size());
  std::vector<double> refresh;
  for (std::size_t i = 3; i + 1 < updates.size(); ++i) {
    const UpdateMetrics& m = updates[i];
    row.worstLagWindows = std::max(row.worstLagWindows, double(m.lag) / m.window);
    refresh.push_back(m.refreshSeconds);
    row.window = m.window, row.iterations = m.iterations, row.reason = m.steeringReason;
  }
  if (!refresh.empty()) {
    std::sort(refresh.begin(), refresh.end());
    row.worstRefreshSeconds = refresh.back();
    row.medianRefreshSeconds = refresh[refresh.size() / 2];
  }
  return row;
}

std::string formatAutoSteer(const StreamBenchOptions& o,
                            const std::vector<AutoSteerBenchRow>& rows) {
  std::ostringstream out;
  char line[640];
  std::snprintf(line, sizeof line,
                "Live sessions on the paced simulator: glass %d² × %d slices, %d interlaced "
                "projections; auto-steering at a target refresh of %.2f s against W %d, I %d "
                "fixed. Lag and refresh: worst (and median refresh) after the first 3 updates.\n\n",
                o.size, o.slices, o.projections, o.targetRefreshSeconds, o.windows.front(),
                o.iterations.front());
  out << line;
  out << "| method | rate (proj/s) | steering | updates | W, I at the end | worst lag (W) | "
         "refresh worst / median (s) | why |\n|---|---|---|---|---|---|---|---|\n";
  for (const AutoSteerBenchRow& r : rows) {
    if (r.window == 0)  // no update between the first 3 and the last
      std::snprintf(line, sizeof line, "| %s | %.0f | %s | %d | — | — | — | scan too short |\n",
                    liveMethodName(r.method), r.rate, r.automatic ? "auto" : "fixed", r.updates);
    else
      std::snprintf(line, sizeof line,
                    "| %s | %.0f | %s | %d | %d, %d | %.2f | %.2f / %.2f | %s |\n",
                    liveMethodName(r.method), r.rate, r.automatic ? "auto" : "fixed", r.updates,
                    r.window, r.iterations, r.worstLagWindows, r.worstRefreshSeconds,
                    r.medianRefreshSeconds, r.automatic ? r.reason.c_str() : "");
    out << line;
  }
  return out.str();
}

}  // namespace

StreamBenchResult runStreamBenchmark(const StreamBenchOptions& o) {
  StreamBenchResult result;
  result.options = o;
  if (!o.autoSteerRates.empty()) {
    if (!(o.targetRefreshSeconds > 0.0))
      throw std::invalid_argument("bench stream --target-refresh: must be positive");
    for (LiveMethod method : o.methods)
      for (double rate : o.autoSteerRates) {
        if (!(rate > 0.0))
          throw std::invalid_argument("bench stream --auto-steer: rates must be positive");
        for (bool automatic : {true, false})
          result.autoSteer.push_back(runSession(o, method, rate, automatic));
      }
    return result;
  }
  // The 64-projection reference, timed after each timed update (not once at the start: on a
  // shared machine the rate drifts between minutes, and a share of two figures taken minutes
  // apart measures the drift).
  std::optional<ProjectorCalls> reference;
  if (!o.rowTeam) {
    reference.emplace(o.size, o.slices,
                      ProjectorBenchOptions{.projections = 64, .backend = o.backend});
    reference->rate();  // warm-up: its buffers' first touch
  }
  std::vector<double> rates64;
  const int maxWindow = *std::max_element(o.windows.begin(), o.windows.end());
  const int needed = std::min(o.projections, maxWindow * (o.updates + 1));
  // Every W needs a warm-up update and at least one timed one, from the same scan.
  for (int window : o.windows)
    if (window < 1 || needed / window < 2)
      throw std::invalid_argument(
          "W = " + std::to_string(window) + " leaves " +
          std::to_string(window < 1 ? 0 : needed / window) + " window(s) of the " +
          std::to_string(o.projections) +
          "-projection scan; each W needs 2 (a warm-up and a timed update): --projections ≥ " +
          std::to_string(2 * std::max(window, 1)));
  ScanSpec spec;
  spec.phantom = PhantomKind::Glass;
  spec.size = o.size;
  spec.slices = o.slices;
  spec.photons = 1e4;
  spec.seed = 11;

  for (int window : o.windows) {
    // Each W is its own interlaced scan: rotations of W projections spanning 180°.
    spec.acquisition = {AcquisitionOrder::Interlaced, o.projections, window};
    const ScanSimulator sim(spec);
    const FlatDarkCorrection correction(sim.flats(), sim.darks(), o.slices, o.size);
    const int windows = std::min(o.updates + 1, needed / window);
    const std::vector<float> raw = sim.projections(0, windows * window);
    const std::size_t frame = std::size_t(o.slices) * o.size;
    for (LiveMethod method : o.methods)
      for (int iterations : o.iterations) {
        LiveReconstruction recon(o.size, o.slices, o.size, sim.geometry().centre,
                                 {.method = method, .backend = o.backend}, o.rowTeam);
        result.projector = recon.description();
        std::vector<double> times, work, shares, scatter, sums, gather;
        // What the live session reads back to publish each update (docs/streaming.md), held
        // until the next, as a view holds it.
        VolumeReadBack readBack(StreamOptions{}.fullVolumeBytes, StreamOptions{}.fullVolumeEvery);
        readBack.reset(recon);
        const std::vector<int> view{o.slices / 2};
        Snapshot published;
        for (int w = 0; w < windows; ++w) {
          const auto start = std::chrono::steady_clock::now();
          const TeamTimes before = recon.rowShare() ? recon.rowShare()->times() : TeamTimes{};
          const ProjectionStack stack = correction.lineIntegrals(
              {raw.data() + std::size_t(w) * window * frame, std::size_t(window) * frame});
          const auto& angles = sim.geometry().anglesRad;
          recon.receive(stack, {angles.data() + std::size_t(w) * window, std::size_t(window)});
          const LiveUpdate done = recon.update(iterations);
          published = Snapshot{};
          readBack.read(recon, w + 1, view, 1, published);
          if (w == 0) continue;  // update 0 is the warm-up
          const double seconds = secondsSince(start);
          times.push_back(seconds);
          if (const RowShare* share = recon.rowShare()) {
            scatter.push_back(share->times().scatter - before.scatter);
            sums.push_back(share->times().sums - before.sums);
            gather.push_back(share->times().gather - before.gather);
          }
          // Projections computed over per update: forward and back per iteration; filtered
          // starts with one back projection of zeros' residual.
          const JosephProjector p(sim.geometry());
          std::vector<int> used(done.used);
          for (int k = 0; k < done.used; ++k) used[k] = k;
          const double passes = method == LiveMethod::filtered ? 1.0 + 2.0 * iterations
                                : method == LiveMethod::cgls   ? 2.0 * iterations + 2.0
                                                               : 2.0 * iterations;
          work.push_back(passes * double(p.rayPixelUpdates(used)) * o.slices / seconds);
          if (reference) {
            rates64.push_back(reference->rate());
            shares.push_back(work.back() / rates64.back());
          }
        }
        std::sort(times.begin(), times.end());
        std::sort(work.begin(), work.end());
        StreamBenchCell cell;
        cell.method = method;
        cell.window = window;
        cell.iterations = iterations;
        cell.refreshSeconds = times[times.size() / 2];
        cell.sustainedPps = window / cell.refreshSeconds;
        cell.updatesPerSecond = work[work.size() / 2];
        cell.shareOf64 = median(shares);
        if (recon.rowShare()) cell.teamSeconds = {median(scatter), median(sums), median(gather)};
        result.cells.push_back(cell);
      }
  }
  result.rate64 = median(rates64);
  return result;
}

std::string formatStreamBenchmark(const StreamBenchResult& r) {
  if (!r.autoSteer.empty()) return formatAutoSteer(r.options, r.autoSteer);
  std::ostringstream out;
  char line[512];
  std::snprintf(
      line, sizeof line,
      "Scaled problem: %d² slices × %d slices, interlaced glass scan of %d projections; %s.\n"
      "Refresh = median time of one update (preprocess + the method's I iterations +\n"
      "reading back what the live session publishes: the whole volume up to 1 GiB, else the\n"
      "slice in view and its neighbours), sustained rate = W / refresh.\n\n",
      r.options.size, r.options.slices, r.options.projections, r.projector.c_str());
  out << line;
  const bool vs64 = r.rate64 > 0;
  if (vs64) {
    std::snprintf(line, sizeof line,
                  "vs 64 projections = the update's projector work per second as a share of one\n"
                  "forward and one back projection over 64 projections of this grid, timed after\n"
                  "each update (median of the updates' shares; the rate's median in this\n"
                  "run: %.2e ray-pixel updates/s).\n\n",
                  r.rate64);
    out << line;
  }
  const bool team = !r.cells.empty() && r.cells.front().teamSeconds;
  if (team)
    out << "Team calls = the leader's time per update sending rows out, in the sums after the\n"
           "update (waiting for the slowest rank) and gathering slices back (medians).\n\n";
  out << "| method | W | I | refresh (s) | sustained (proj/s) | projector work (ray-pixel "
         "updates/s) |"
      << (vs64 ? " vs 64 projections |" : "")
      << (team ? " rows out (s) | sums (s) | gather (s) |" : "") << "\n|---|---|---|---|---|---|"
      << (vs64 ? "---|" : "") << (team ? "---|---|---|" : "") << "\n";
  for (const auto& c : r.cells) {
    std::snprintf(line, sizeof line, "| %s | %d | %d | %.3f | %.0f | %.2e |",
                  liveMethodName(c.method), c.window, c.iterations, c.refreshSeconds,
                  c.sustainedPps, c.updatesPerSecond);
    out << line;
    if (vs64) {
      std::snprintf(line, sizeof line, " %.0f %% |", 100.0 * c.shareOf64);
      out << line;
    }
    if (c.teamSeconds) {
      std::snprintf(line, sizeof line, " %.4f | %.4f | %.4f |", c.teamSeconds->scatter,
                    c.teamSeconds->sums, c.teamSeconds->gather);
      out << line;
    }
    out << '\n';
  }
  return out.str();
}

}  // namespace tomolive

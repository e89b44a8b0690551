#include "cli/StreamCommand.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>

#include "cli/Arguments.h"
#include "cli/EnhanceCommand.h"
#include "io/DataExchange.h"
#include "pipeline/LiveQuality.h"
#include "pipeline/StreamingSession.h"
#include "sources/SourceFactory.h"

namespace tomolive::cli {

namespace {

using nlohmann::json;

std::atomic<bool> g_interrupted{false};
extern "C" void onInterrupt(int) { g_interrupted = true; }

json metricsJson(const UpdateMetrics& m) {
  json j = {{"update", m.update},
            {"received", m.received},
            {"consumed", m.consumed},
            {"window", m.window},
            {"projections", m.projections},
            {"projections_used", m.projectionsUsed},
            {"skipped", m.skipped},
            {"method", m.method},
            {"iterations", m.iterations},
            {"center", m.centre},
            {"centre", m.centre},
            {"centre_source", m.centreSource},
            {"refresh_seconds", m.refreshSeconds},
            {"work_seconds", m.workSeconds},
            {"sustained_pps", m.sustainedPps},
            {"lag", m.lag},
            {"elapsed_seconds", m.elapsedSeconds},
            {"record_dropped", m.recordDropped}};
  if (!m.recordProblem.empty()) j["record_problem"] = m.recordProblem;
  if (m.ssim) j["ssim"] = *m.ssim;
  if (m.change) j["change"] = *m.change;
  if (m.psnr) j["psnr"] = *m.psnr;
  if (m.residual) j["residual"] = *m.residual;
  if (m.resolutionPixels) j["resolution_px"] = *m.resolutionPixels;
  if (m.resolutionMicrometres) j["resolution_um"] = *m.resolutionMicrometres;
  if (!m.advice.empty()) {
    j["advice"] = m.advice;
    j["advice_reason"] = m.adviceReason;
  }
  j["quality_seconds"] = m.qualitySeconds;
  if (!m.steeringReason.empty()) j["steering_reason"] = m.steeringReason;
  return j;
}

// The simulator's scan from the command line; the spec → source mapping is the engine's.
SourceSpec sourceSpec(const std::string& uri, const Arguments& a, int window, double rate) {
  SourceSpec spec;
  spec.uri = uri;
  spec.framesPerSecond = rate;
  spec.window = window;
  spec.size = a.integer("size", 256, 8, 8192);
  spec.rows = a.integer("rows", 16, 1, 4096);
  spec.projections = a.integer("projections", 16 * window, 1, 1000000);
  spec.order = a.text("order", "interlaced:" + std::to_string(window));
  spec.photons = a.number("photons", 1e4);
  spec.seed = static_cast<std::uint64_t>(a.integer("seed", 0, 0, 2147483647));
  return spec;
}

// The last reconstruction with every parameter and the per-update metrics as attributes.
void writeResult(const std::string& path, const Snapshot& last,
                 const std::vector<UpdateMetrics>& history, const std::string& source,
                 const SessionSummary& summary) {
  Reconstruction r;
  r.volume = last.volume->toSliceMajor();
  r.slices = last.volume->slices();
  r.size = last.volume->gridSize();
  r.attributes = {
      {"algorithm", "live " + (history.empty() ? std::string() : history.back().method)},
      {"source", source},
      {"first_row", std::int64_t(last.firstRow)},
      {"updates", std::int64_t(summary.updates)},
      {"projections_received", summary.projectionsReceived},
      {"projections_consumed", summary.projectionsConsumed},
      {"projections_skipped", summary.projectionsSkipped},
      {"stopped_early", std::int64_t(summary.stoppedEarly)},
      {"elapsed_seconds", summary.elapsedSeconds},
      {"units", std::string("attenuation per pixel")}};
  std::vector<double> window, iterations, projections, refresh, sustained, lag, centre, ssim;
  for (const UpdateMetrics& m : history) {
    window.push_back(m.window), iterations.push_back(m.iterations);
    projections.push_back(m.projections), refresh.push_back(m.refreshSeconds);
    sustained.push_back(m.sustainedPps), lag.push_back(double(m.lag)), centre.push_back(m.centre);
    if (m.ssim) ssim.push_back(*m.ssim);
  }
  r.attributes["update_window"] = window;
  r.attributes["update_iterations"] = iterations;
  r.attributes["update_projections"] = projections;
  r.attributes["update_refresh_seconds"] = refresh;
  r.attributes["update_sustained_pps"] = sustained;
  r.attributes["update_lag"] = lag;
  r.attributes["update_center"] = centre;
  if (!ssim.empty()) r.attributes["update_ssim"] = ssim;
  writeReconstruction(path, r);
  if (last.fullyEnhanced()) {
    r.volume = last.enhanced->toSliceMajor();
    r.attributes["enhance_seconds"] = last.enhanceSeconds;
    writeReconstruction(path, r, "/exchange/recon_enhanced");
  }
}

}  // namespace

int runStream(const Args& args) {
  std::set<std::string> options{"source",         "window",     "iterations",    "rate",
                                "slices",         "center",     "record",        "out",
                                "metrics",        "size",       "rows",          "projections",
                                "order",          "photons",    "seed",          "stop-after",
                                "enhancer-share", "method",     "idle-timeout",  "record-buffer",
                                "record-reserve", "pixel-size", "target-refresh"};
  options.insert(kDenoiserOptions.begin(), kDenoiserOptions.end());
  const Arguments a(
      args, options,
      {"json", "overwrite", "no-mask", "enhance", "stop-when-stable", "no-quality", "auto-steer"});
  if (!a.positionals().empty())
    throw UsageError("unexpected argument '" + a.positionals()[0] + "'");
  StreamOptions o;
  o.window = a.integer("window", 32, 1, 100000);
  o.iterations = a.integer("iterations", 1, 1, 10000);
  o.method = parseLiveMethod(a.text("method", "filtered"));
  o.idleTimeoutSeconds = a.number("idle-timeout", 0.0);
  if (!(o.idleTimeoutSeconds >= 0.0))
    throw UsageError("option --idle-timeout: " + std::to_string(o.idleTimeoutSeconds) +
                     " must be ≥ 0 seconds");
  if (const auto slices = a.text("slices")) {
    const auto [begin, end] = parseRange(*slices, "slices");
    o.slices = {begin, end};
  }
  o.centre = a.number("center");
  o.pixelSizeMicrometres = a.number("pixel-size");
  if (o.pixelSizeMicrometres && !(*o.pixelSizeMicrometres > 0.0))
    throw UsageError("option --pixel-size: " + std::to_string(*o.pixelSizeMicrometres) +
                     " must be a positive size in µm");
  o.liveQuality = !a.flag("no-quality");
  const auto targetRefresh = a.number("target-refresh");
  if (a.flag("auto-steer")) {
    if (!targetRefresh || !(*targetRefresh > 0.0))
      throw UsageError(
          "--auto-steer needs --target-refresh S, the longest an update may take "
          "(seconds > 0)");
    o.autoSteerTargetSeconds = targetRefresh;
  } else if (targetRefresh) {
    throw UsageError("--target-refresh applies to --auto-steer only");
  }
  o.stopWhenStable = a.flag("stop-when-stable");
  if (o.stopWhenStable && !o.liveQuality)
    throw UsageError(
        "--stop-when-stable needs the live quality measures that --no-quality "
        "switches off");
  if (const auto why = LiveQuality::whyNoResolution(o.method); why && o.stopWhenStable)
    throw UsageError("--stop-when-stable cannot work with --method " +
                     std::string(liveMethodName(o.method)) + ": " + *why);
  o.recordPath = a.text("record", "");
  o.overwriteRecord = a.flag("overwrite");
  o.recordBufferBytes =
      std::size_t(a.integer("record-buffer", int(o.recordBufferBytes >> 20), 1, 1 << 20)) << 20;
  o.recordReserveBytes =
      std::uint64_t(a.integer("record-reserve", int(o.recordReserveBytes >> 20), 0, 1 << 20)) << 20;
  o.circularMask = !a.flag("no-mask");
  const double rate = a.number("rate", 0.0);
  if (rate < 0.0) throw UsageError("option --rate: " + std::to_string(rate) + " must be ≥ 0");
  const std::string sourceUri = a.text("source", "sim:glass");
  const auto out = a.text("out");
  const auto metricsPath = a.text("metrics");
  const int stopAfter = a.integer("stop-after", 0, 0, 100000000);
  const bool asJson = a.flag("json");
  const BackendChoice backend = backendFromArguments(a, asJson);
  o.backend = backend.backend;
  if (a.flag("enhance")) {
    o.enhancer = denoiserFromArguments(a, backend.backend);
    o.enhancerShare = a.number("enhancer-share", o.enhancerShare);
    if (!(o.enhancerShare > 0.0 && o.enhancerShare <= 1.0))
      throw UsageError("option --enhancer-share: must lie in (0, 1]");
  }

  std::ofstream metrics;
  if (metricsPath) {
    metrics.open(*metricsPath, std::ios::trunc);
    if (!metrics)
      throw std::invalid_argument(*metricsPath + ": cannot open the metrics file for writing");
  }

  StreamingSession session(makeSource(sourceSpec(sourceUri, a, o.window, rate)), o);
  const std::string label = session.source().describe().label;
  std::mutex historyMutex;
  std::vector<UpdateMetrics> history;
  session.onLog([](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  session.onSilence([&](double seconds) {
    std::lock_guard lock(historyMutex);  // the metrics file is shared with the update lines
    if (metrics)
      metrics << json({{"detector_silent_seconds", seconds}}).dump() << '\n' << std::flush;
  });
  session.onSnapshot([&](std::shared_ptr<const Snapshot> s) {
    const UpdateMetrics& m = s->metrics;
    {
      // Enhancement progress republishes an update: report each update once, and its guard's
      // verdict once, on a line of its own, when the enhancer has it.
      std::lock_guard lock(historyMutex);
      if (!history.empty() && history.back().update == m.update) {
        UpdateMetrics& known = history.back();
        if (m.enhancementWeight && !known.enhancementWeight && m.enhancedResidualRatio) {
          known.enhancedResidualRatio = m.enhancedResidualRatio;
          known.enhancementWeight = m.enhancementWeight;
          if (metrics)
            metrics << json({{"update", m.update},
                             {"enhanced_residual_ratio", *m.enhancedResidualRatio},
                             {"enhancement_weight", *m.enhancementWeight},
                             {"enhancement_held_out_weight", m.enhancementHeldOutWeight
                                                                 ? json(*m.enhancementHeldOutWeight)
                                                                 : json(nullptr)},
                             {"enhancement_disagrees",
                              *m.enhancedResidualRatio > kDisagreementRatio},
                             {"enhancement_note", m.enhancementNote}})
                           .dump()
                    << '\n'
                    << std::flush;
        }
        return;
      }
      history.push_back(m);
    }
    if (metrics) metrics << metricsJson(m).dump() << '\n' << std::flush;
    if (asJson) return;
    // The record's state stays on every line once something is wrong with it.
    std::string record;
    if (m.recordDropped > 0)
      record = "  RECORD MISSING " + std::to_string(m.recordDropped) + " frames";
    if (m.recordProblem.rfind("recording stopped", 0) == 0) record += "  RECORDING STOPPED";
    std::printf(
        "R %3d  received %6lld  consumed %6lld  W %4d (%4d new, %5d used)  I %3d  refresh "
        "%.3f s  %7.1f proj/s  lag %4lld%s%s%s\n",
        m.update, static_cast<long long>(m.received), static_cast<long long>(m.consumed), m.window,
        m.projections, m.projectionsUsed, m.iterations, m.refreshSeconds, m.sustainedPps,
        static_cast<long long>(m.lag),
        m.ssim ? ("  SSIM " + std::to_string(*m.ssim).substr(0, 6)).c_str() : "", record.c_str(),
        m.advice.empty() ? "" : ("  " + m.advice + ": " + m.adviceReason).c_str());
    std::fflush(stdout);
  });

  g_interrupted = false;
  auto previousInt = std::signal(SIGINT, onInterrupt);
  auto previousTerm = std::signal(SIGTERM, onInterrupt);
  if (!asJson)
    std::printf("streaming from %s, W = %d, I = %d\n", label.c_str(), o.window, o.iterations);
  session.start();
  bool stopped = false;
  while (!session.waitFor(std::chrono::milliseconds(50))) {
    const bool enough = stopAfter > 0 && session.summary().projectionsReceived >= stopAfter;
    if (!stopped && (g_interrupted || enough)) {
      session.stopAcquisition();
      stopped = true;
      if (!asJson)
        std::fprintf(stderr, "stopping acquisition%s\n", g_interrupted ? " (interrupted)" : "");
    }
  }
  std::signal(SIGINT, previousInt);
  std::signal(SIGTERM, previousTerm);

  const SessionSummary summary = session.summary();
  const auto last = session.latest();
  if (out && last) writeResult(*out, *last, history, label, summary);

  double refreshSum = 0;
  for (const auto& m : history) refreshSum += m.refreshSeconds;
  json j = {{"source", label},
            {"backend", backend.description},
            {"state", sessionStateName(summary.state)},
            {"frames_received", summary.framesReceived},
            {"frames_recorded", summary.framesRecorded},
            {"record_dropped", summary.record.dropped},
            {"record_peak_queued_bytes", summary.record.peakQueuedBytes},
            {"projections_received", summary.projectionsReceived},
            {"projections_consumed", summary.projectionsConsumed},
            {"projections_skipped", summary.projectionsSkipped},
            {"updates", summary.updates},
            {"stopped_early", summary.stoppedEarly},
            {"ended_idle", summary.endedIdle},
            {"elapsed_seconds", summary.elapsedSeconds},
            {"work_seconds", summary.workSeconds},
            {"mean_refresh_seconds", history.empty() ? 0.0 : refreshSum / history.size()},
            {"sustained_pps",
             summary.workSeconds > 0 ? summary.projectionsConsumed / summary.workSeconds : 0.0}};
  if (last && last->metrics.ssim) j["final_ssim"] = *last->metrics.ssim;
  if (!o.recordPath.empty()) j["record"] = o.recordPath;
  if (out) j["out"] = *out;
  if (!summary.error.empty()) j["error"] = summary.error;
  if (!summary.record.warning.empty()) j["record_warning"] = summary.record.warning;
  if (!summary.record.stopped.empty()) {
    j["record_stopped"] = summary.record.stopped;
    j["frames_not_recorded"] = summary.record.notRecorded;
  }
  if (asJson) {
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf(
        "%s: %lld frames received, %lld recorded; %lld of %lld projections reconstructed in "
        "%d updates; sustained %.1f proj/s; %.2f s elapsed%s\n",
        sessionStateName(summary.state), static_cast<long long>(summary.framesReceived),
        static_cast<long long>(summary.framesRecorded),
        static_cast<long long>(summary.projectionsConsumed),
        static_cast<long long>(summary.projectionsReceived), summary.updates,
        j["sustained_pps"].get<double>(), summary.elapsedSeconds,
        summary.stoppedEarly ? " (stopped early)" : "");
  }
  if (summary.record.dropped > 0)
    std::fprintf(stderr,
                 "tomolive-cli stream: %s: %lld frames are missing from the record (the disk was "
                 "slower than the source; --record-buffer MiB holds more)\n",
                 o.recordPath.c_str(), static_cast<long long>(summary.record.dropped));
  if (!summary.error.empty()) {
    std::fprintf(stderr, "tomolive-cli stream: %s\n", summary.error.c_str());
    return 1;
  }
  if (!summary.record.stopped.empty()) {
    std::fprintf(stderr,
                 "tomolive-cli stream: %s: recording stopped: %s; it holds %lld of %lld frames "
                 "received\n",
                 o.recordPath.c_str(), summary.record.stopped.c_str(),
                 static_cast<long long>(summary.framesRecorded),
                 static_cast<long long>(summary.framesReceived));
    return 1;
  }
  return 0;
}

}  // namespace tomolive::cli

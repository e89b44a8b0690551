// `tomolive-cli stream`: a live reconstruction session in the terminal.
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>

#include "cli/Commands.h"
#include "cli/Options.h"
#include "cli/TeamRun.h"
#include "io/DataExchange.h"
#include "pipeline/LiveQuality.h"
#include "pipeline/PipelineJson.h"
#include "pipeline/StreamingSession.h"
#include "sources/PacedSource.h"
#include "sources/SourceFactory.h"

namespace tomolive::cli {

namespace {

using nlohmann::json;

std::atomic<bool> g_interrupted{false};
extern "C" void onInterrupt(int) { g_interrupted = true; }

struct StreamSettings {
  StreamOptions options;
  SourceSpec source;  ///< the simulator's scan: size, rows, projections, order, photons, seed
  std::optional<int> projections;  ///< of the simulator's scan; default 16 W
  std::optional<double> rate, targetRefresh;
  std::string iterations = "1";  ///< I, or "auto"
  std::size_t recordBufferMiB = StreamOptions{}.recordBufferBytes >> 20;
  std::uint64_t recordReserveMiB = StreamOptions{}.recordReserveBytes >> 20;
  std::optional<std::string> out, metricsPath;
  std::optional<Region> region;
  bool noMask = false, noQuality = false, autoSteer = false, enhance = false, json = false;
  bool mpi = false;
  double rankTimeout = 60.0;  ///< seconds rank 0 waits for the other ranks' part of a call
  DenoiserSettings denoiser;
};

// The checks across options, and the options they settle.
void settle(StreamSettings& s) {
  StreamOptions& o = s.options;
  o.circularMask = !s.noMask;
  o.liveQuality = !s.noQuality;
  o.recordBufferBytes = s.recordBufferMiB << 20;
  o.recordReserveBytes = s.recordReserveMiB << 20;
  if (s.iterations == "auto") {
    if (s.autoSteer)
      throw UsageError(
          "--iterations auto and --auto-steer: choose one (--auto-steer chooses I too)");
    o.autoIterations = true;
    o.iterations = 1;
    o.autoSteerTargetSeconds = s.targetRefresh;
  } else {
    std::size_t end = 0;
    int value = 0;
    try {
      value = std::stoi(s.iterations, &end);
    } catch (const std::exception&) {
      end = 0;
    }
    if (end == 0 || end != s.iterations.size() || value < 1 || value > 10000)
      throw UsageError("--iterations: " + s.iterations +
                       " is neither a whole number in 1 … 10000 nor auto");
    o.iterations = value;
  }
  if (s.autoSteer) {
    if (!s.targetRefresh)
      throw UsageError(
          "--auto-steer needs --target-refresh S, the longest an update may take "
          "(seconds > 0)");
    o.autoSteerTargetSeconds = s.targetRefresh;
  } else if (s.targetRefresh && !o.autoIterations) {
    throw UsageError("--target-refresh applies to --auto-steer and --iterations auto only");
  }
  if (o.stopWhenStable && !o.liveQuality)
    throw UsageError(
        "--stop-when-stable needs the live quality measures that --no-quality "
        "switches off");
  if (const auto why = LiveQuality::whyNoResolution(o.method); why && o.stopWhenStable)
    throw UsageError("--stop-when-stable cannot work with --method " +
                     std::string(liveMethodName(o.method)) + ": " + *why);
  // Results never change the scan replayed, nor each other; an existing --out needs --overwrite;
  // all checked before the scan starts (a result lost at its end would cost the beam time).
  const std::string replayed = s.source.uri.starts_with("file:") ? s.source.uri.substr(5) : "";
  refuseToWriteOver("--record", o.recordPath, replayed, "the file being replayed");
  if (s.out) {
    if (*s.out == o.recordPath) throw UsageError("--out and --record name the same file");
    checkOutputFile("--out", *s.out, o.overwriteRecord, {{replayed, "the file being replayed"}});
  }
  s.source.framesPerSecond = s.rate.value_or(0.0);
  s.source.window = o.window;
  s.source.projections = s.projections.value_or(16 * o.window);
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
      {"algorithm", "live " + (history.empty() ? std::string() : history.back().method) +
                        (summary.finishedIterations > 0
                             ? ", then SIRT-" + std::to_string(summary.finishedIterations) +
                                   " from zero over everything received (finishing pass)"
                         : summary.polishedIterations > 0
                             ? ", then " + std::to_string(summary.polishedIterations) +
                                   " SIRT iterations from it over everything received (closing "
                                   "polish)"
                             : std::string())},
      {"finish_iterations", std::int64_t(summary.finishedIterations)},
      {"polish_iterations", std::int64_t(summary.polishedIterations)},
      {"source", source},
      {"first_row", std::int64_t(last.firstRow)},
      {"first_column", std::int64_t(last.firstColumn)},  // non-zero for a region's narrower grid
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
  if (!history.empty() && !history.back().region.empty())
    r.attributes["region"] = history.back().region;
  r.attributes["update_window"] = window;
  r.attributes["update_iterations"] = iterations;
  r.attributes["update_projections"] = projections;
  r.attributes["update_refresh_seconds"] = refresh;
  r.attributes["update_sustained_pps"] = sustained;
  r.attributes["update_lag"] = lag;
  r.attributes["update_center"] = centre;
  if (!history.empty()) r.attributes["center"] = history.back().centre;  // the last image's
  if (!ssim.empty()) r.attributes["update_ssim"] = ssim;
  // A new file (replacing one only with --overwrite, checked before the session started).
  if (!last.fullyEnhanced()) {
    writeReconstructionFile(path, {{"/exchange/recon", r}});
    return;
  }
  Reconstruction enhanced = r;
  enhanced.volume = last.enhanced->toSliceMajor();
  enhanced.attributes["enhance_seconds"] = last.enhanceSeconds;
  writeReconstructionFile(path, {{"/exchange/recon", r}, {"/exchange/recon_enhanced", enhanced}});
}

int runStream(StreamSettings s, std::shared_ptr<RowTeam> team) {
  settle(s);
  // A source that can never be one is refused before the backend is probed or a file written.
  if (const std::optional<std::string> why = whyNotASource(s.source.uri))
    throw std::invalid_argument(*why);
  StreamOptions& o = s.options;
  o.rowTeam = team;
  if (team) team->setPatience(std::chrono::milliseconds(std::llround(1000.0 * s.rankTimeout)));
  const bool asJson = s.json;
  const BackendChoice backend = resolveBackend(s.denoiser.backend, asJson);
  o.backend = backend.backend;
  if (s.enhance) o.enhancer = makeDenoiser(s.denoiser, backend.backend, liveMethodName(o.method));

  std::ofstream metrics;
  if (s.metricsPath) {
    metrics.open(*s.metricsPath, std::ios::trunc);
    if (!metrics)
      throw std::invalid_argument(*s.metricsPath + ": cannot open the metrics file for writing");
  }

  // The simulator draws its phantom when made: a session that cannot fit is refused before.
  if (s.source.uri.starts_with("sim:"))
    StreamingSession::requireMemoryFor(o, s.source.rows, s.source.size, s.source.projections);
  StreamingSession session(makeSource(s.source), o);
  if (s.region) session.setRegion(s.region);  // from the first update
  const std::string label = session.source().describe().label;
  std::mutex historyMutex;
  std::vector<UpdateMetrics> history;
  // The log's notes and the source's warnings (odd angles, projections left out), for the JSON
  // summary too.
  std::vector<std::string> notes;
  session.onLog([&](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    for (const std::string prefix : {"note: ", "source: "})
      if (line.starts_with(prefix)) {
        std::lock_guard lock(historyMutex);
        notes.push_back(line.substr(prefix.size()));
      }
  });
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
          if (metrics) metrics << enhancementVerdictJson(m).dump() << '\n' << std::flush;
        }
        return;
      }
      history.push_back(m);
    }
    if (metrics) metrics << json(m).dump() << '\n' << std::flush;
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
        m.advice.empty() ? ""
                         : ("  " + (m.scanComplete ? std::string("scan complete") : m.advice) +
                            ": " + m.adviceReason)
                               .c_str());
    std::fflush(stdout);
  });

  g_interrupted = false;
  auto previousInt = std::signal(SIGINT, onInterrupt);
  auto previousTerm = std::signal(SIGTERM, onInterrupt);
  if (!asJson)
    std::printf("streaming from %s, W = %d, I = %s\n", label.c_str(), o.window,
                o.autoIterations ? "auto" : std::to_string(o.iterations).c_str());
  session.start();
  bool stopped = false;
  while (!session.waitFor(std::chrono::milliseconds(50))) {
    if (!stopped && g_interrupted) {
      session.stopAcquisition();
      stopped = true;
      // What is pending is still reconstructed and the files finalised; a second signal ends
      // the process at once.
      std::signal(SIGINT, SIG_DFL);
      std::signal(SIGTERM, SIG_DFL);
      if (!asJson)
        std::fprintf(stderr,
                     "stopping acquisition (interrupted); finishing the pending updates and the "
                     "files — interrupt again to quit at once (a record then needs `tomolive-cli "
                     "recover`)\n");
    }
  }
  std::signal(SIGINT, previousInt);
  std::signal(SIGTERM, previousTerm);

  const SessionSummary summary = session.summary();
  const auto last = session.latest();
  const bool wroteOut = s.out && last;
  if (wroteOut) writeResult(*s.out, *last, history, label, summary);

  double refreshSum = 0;
  for (const auto& m : history) refreshSum += m.refreshSeconds;
  json j = summary;
  j["source"] = label;
  j["backend"] = backend.description;
  j["mean_refresh_seconds"] = history.empty() ? 0.0 : refreshSum / history.size();
  if (last && last->metrics.ssim) j["final_ssim"] = *last->metrics.ssim;
  if (!history.empty()) {  // what the last image was made with
    const UpdateMetrics& m = history.back();
    j["method"] = m.method;
    j["window"] = m.window;
    j["iterations"] = m.iterations;
    j["center"] = m.centre;
    j["center_source"] = m.centreSource;
  }
  if (summary.finishedIterations > 0) j["finish_iterations"] = summary.finishedIterations;
  if (summary.polishedIterations > 0) j["polish_iterations"] = summary.polishedIterations;
  {
    std::lock_guard lock(historyMutex);
    if (!notes.empty()) j["notes"] = notes;
  }
  if (!o.recordPath.empty()) j["record"] = o.recordPath;
  if (wroteOut) j["out"] = *s.out;
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
  if (summary.source.missing > 0)
    std::fprintf(stderr,
                 "tomolive-cli stream: %lld frame numbers below the highest received never "
                 "arrived (lost, or taken by another receiver connected to the same detector)\n",
                 static_cast<long long>(summary.source.missing));
  if (!summary.error.empty()) {
    std::fprintf(stderr, "tomolive-cli stream: %s\n", summary.error.c_str());
    return 1;
  }
  // Nothing reconstructed: say so (and that no --out was written); a failure unless stopped.
  if (summary.updates == 0) {
    std::fprintf(stderr,
                 "tomolive-cli stream: no update was made: %lld frames received, %lld of them "
                 "projections%s%s\n",
                 static_cast<long long>(summary.framesReceived),
                 static_cast<long long>(summary.projectionsReceived),
                 summary.stoppedEarly ? " before the acquisition was stopped" : "",
                 s.out ? "; no --out file was written" : "");
    // Stopped by hand before a window was complete is no failure; a detector that stayed
    // silent until the idle timeout ended the session is.
    if (!summary.stoppedEarly || summary.endedIdle) return 1;
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

}  // namespace

Command addStreamCommand(CLI::App& app) {
  auto s = std::make_shared<StreamSettings>();
  StreamOptions& o = s->options;
  CLI::App& command = addCommand(
      app, "stream",
      "Live reconstruction: every frame recorded, one update per W projections (by default the "
      "SIRT-100 image of everything received: --method, docs/streaming.md), metrics per update "
      "with the FRC resolution of two half reconstructions, the change, the data residual and a "
      "stop advice. A file without --rate replays losslessly (every update gets exactly W new "
      "projections). Ctrl-C stops the acquisition cleanly (files finalised).");
  command.add_option("--source", s->source.uri,
                     "sim:glass|sim:shale|sim:shepp-logan|file:scan.h5|tcp://HOST:PORT");
  command.add_option("--window", o.window, "W: projections per update")
      ->check(CLI::Range(1, 100000));
  command.add_option("--iterations", s->iterations,
                     "I: iterations per update, or auto: the most that fit the window's arrival "
                     "time and the target refresh (--target-refresh, default 1 s)");
  addParsedOption(command, "--method", o.method, parseLiveMethod,
                  "filtered (SIRT-100 image of everything received), cgls, sirt or window (the "
                  "seed's sliding window)",
                  liveMethodName(o.method));
  command
      .add_option("--rate", s->rate,
                  "frames per second of a simulator or file replay "
                  "(0, the default: as fast as reconstructed)")
      ->check(kFinite)
      ->check(CLI::Range(0.0, kMostFramesPerSecond));
  addRowRange(command, "--slices", o.slices);
  addParsedOption(
      command, "--region", s->region,
      [](const std::string& text) {
        if (text == "all") return std::optional<Region>();
        Region r;
        char tail = 0;
        if (std::sscanf(text.c_str(), "%d:%d,%d:%d%c", &r.firstRow, &r.endRow, &r.firstColumn,
                        &r.endColumn, &tail) != 4)
          throw std::invalid_argument("'" + text + "' is not rows,columns as a:b,c:d");
        return std::optional<Region>(r);
      },
      "reconstruct only detector rows a:b (within --slices) and columns c:d (keep them "
      "symmetric about the rotation axis: they reconstruct the disk around it), as a:b,c:d",
      "all");
  command
      .add_option("--center,--centre", o.centre,
                  "rotation centre; else the source's, else estimated")
      ->check(kFinite);
  command.add_option("--record", o.recordPath, "record every raw frame (HDF5, crash-safe)");
  command.add_flag("--overwrite", o.overwriteRecord, "replace an existing record or --out file");
  command
      .add_option("--record-buffer", s->recordBufferMiB,
                  "MiB the record's queue holds (beyond it a detector's frames are left out "
                  "of the record, counted; a file replay waits)")
      ->check(CLI::Range(1, 1 << 20));
  command
      .add_option("--record-reserve", s->recordReserveMiB,
                  "MiB left free on the record's disk: recording stops, finalised, before "
                  "(exit 1)")
      ->check(CLI::Range(0, 1 << 20));
  command.add_option("--out", s->out,
                     "last reconstruction (with --enhance also "
                     "/exchange/recon_enhanced)");
  command.add_option("--metrics", s->metricsPath, "one JSON line of metrics per update");
  command.add_option("--size", s->source.size, "simulator: detector columns")
      ->check(CLI::Range(8, 8192));
  command.add_option("--rows", s->source.rows, "simulator: detector rows")
      ->check(CLI::Range(1, 4096));
  command.add_option("--projections", s->projections, "simulator: projections (default 16 W)")
      ->check(CLI::Range(1, 1000000));
  command.add_option("--order", s->source.order,
                     "simulator: sequential|interlaced:W|golden (default interlaced:W); file: file "
                     "(the stored order, default)|interlaced:W (as an interlaced scan would arrive)");
  command.add_option("--photons", s->source.photons, "simulator: open-beam counts per pixel")
      ->check(kNonNegative);
  command.add_option("--seed", s->source.seed, "simulator: random seed")
      ->check(CLI::Range(0, 2147483647));
  command
      .add_option("--stop-after", o.stopAfterProjections,
                  "stop the acquisition after N projections (exact for a file replayed without "
                  "--rate)")
      ->check(CLI::Range(0, 100000000));
  command
      .add_option("--finish", o.finishIterations,
                  "after the scan's end, SIRT-K from zero over everything received: the last "
                  "image (and --out) is then what `recon` computes (0: no finishing pass)")
      ->check(CLI::Range(0, 100000));
  command
      .add_option("--polish", o.polishIterations,
                  "without --finish: after the scan's end, K SIRT iterations over everything "
                  "received from the live image, which take it closer to `recon` (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  command
      .add_option("--idle-timeout", o.idleTimeoutSeconds,
                  "end the session after S s without a frame (0: never)")
      ->check(kNonNegative);
  command.add_flag("--no-mask", s->noMask, "no circular field-of-view mask");
  command.add_flag("--stop-when-stable", o.stopWhenStable,
                   "stop the acquisition when the advice says stop");
  command.add_option("--pixel-size", o.pixelSizeMicrometres, "µm: the resolution in µm too")
      ->check(kPositive);
  command
      .add_option("--quality-every", o.qualityEvery,
                  "the resolution (its half reconstructions) on every k-th update only, to save "
                  "its cost; the advice stands between")
      ->check(CLI::Range(1, 100000));
  command
      .add_option("--quality-share", o.qualityShare,
                  "or the resolution only while it has cost at most this share of the updates' "
                  "time (e.g. 0.25)")
      ->check(kPositive);
  command.add_flag("--no-quality", s->noQuality,
                   "live quality off: no resolution or stop advice (the change and residual "
                   "stay)");
  command.add_flag("--auto-steer", s->autoSteer,
                   "choose W and I after each update to keep up with the detector (W and I "
                   "given are the start)");
  command
      .add_option("--target-refresh", s->targetRefresh,
                  "with --auto-steer or --iterations auto: the longest an update may take, s")
      ->check(kPositive);
  command.add_flag("--mpi", s->mpi,
                   "share the reconstruction by detector rows with the other MPI ranks (implied "
                   "when started by mpirun; rank 0 reads the source, records and reports)");
  command
      .add_option("--rank-timeout", s->rankTimeout,
                  "under MPI: seconds rank 0 waits for the other ranks' part of a step before it "
                  "names those that do not answer as lost (with mpirun --mca "
                  "orte_enable_recovery 1 the other ranks survive one that dies)")
      ->check(kPositive);
  command.add_flag("--enhance", s->enhance, "TomoGAN beside it, the slices in view first");
  addDenoiserOptions(command, s->denoiser);
  command.add_option("--enhancer-share", o.enhancerShare, "share of the CPU the enhancer may use")
      ->check(kPositive)
      ->check(CLI::Range(0.0, 1.0));
  addJsonFlag(command, s->json);
  return {&command, [s] {
            return runAsTeam(s->mpi, [s](std::shared_ptr<RowTeam> team) {
              return runStream(*s, std::move(team));
            });
          }};
}

}  // namespace tomolive::cli

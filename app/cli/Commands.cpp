#include "cli/Commands.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numbers>
#include <numeric>
#include <sstream>

#include "bench/ProjectorBenchmark.h"
#include "bench/QualityEvaluation.h"
#include "bench/StreamBenchmark.h"
#include "bench/TomoGanBenchmark.h"
#include "cli/Arguments.h"
#include "cli/EnhanceCommand.h"
#include "io/DataExchange.h"
#include "io/ScanFile.h"
#include "metrics/ImageMetrics.h"
#include "nn/ModelLocation.h"
#include "pipeline/FileReconstruction.h"
#include "pipeline/LiveReconstruction.h"
#include "preprocess/FlatDarkCorrection.h"
#include "sim/ScanFile.h"
#include "sim/ScanSimulator.h"
#include "sirt/SirtSolver.h"
#include "timing/Timing.h"
#include "training/TrainingData.h"

namespace tomolive::cli {

namespace {

using nlohmann::json;

void printJson(const json& j) { std::printf("%s\n", j.dump().c_str()); }

std::string shapeText(const std::vector<std::int64_t>& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? " × " : "") + std::to_string(shape[i]);
  return shape.empty() ? "scalar" : s;
}

json finiteOrNull(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// Phantom, size, slices, photons and seed, shared by the commands that simulate.
ScanSpec scanOptions(const Arguments& a, int defaultSize, int defaultSlices, int defaultSeed) {
  if (!a.positionals().empty())
    throw UsageError("unexpected argument '" + a.positionals()[0] + "'");
  ScanSpec spec;
  spec.phantom = parsePhantomKind(a.text("phantom", "glass"));
  spec.size = a.integer("size", defaultSize, 8, 8192);
  spec.slices = a.integer("slices", defaultSlices, 1, 4096);
  spec.photons = a.number("photons", 1e4);
  spec.seed = static_cast<std::uint64_t>(a.integer("seed", defaultSeed, 0, 2147483647));
  return spec;
}

}  // namespace

std::string usage() {
  return R"(tomolive-cli — live X-ray tomography from the terminal

  tomolive-cli demo [--phantom glass] [--size 256] [--slices 8] [--window 32] [--rotations 8]
                    [--iterations 2] [--method filtered|cgls|sirt|window] [--photons 1e4]
                    [--seed 1] [--json]
      Simulates an interlaced scan and reconstructs it window by window (the live method),
      printing refresh time, rate and SSIM against the ground truth per update.
  tomolive-cli simulate --phantom glass|shale|shepp-logan --size N --slices S --projections P
                        --order sequential|interlaced:W|golden --photons F --seed K -o scan.h5 [--json]
      Writes a Data Exchange scan with its ground truth at /exchange/ground_truth.
  tomolive-cli recon scan.h5 [--iterations I] [--center C] [--slices a:b] [--binning B]
                     [--no-mask] [-o recon.h5] [--json]
      SIRT over all projections of a Data Exchange or NeXus NXtomo scan (.h5, .nxs); prints the
      centre used, time and, with a ground truth, SSIM/PSNR.
  tomolive-cli stream [--source sim:glass|sim:shale|sim:shepp-logan|file:scan.h5|tcp://HOST:PORT]
                      [--window 32] [--iterations 1] [--method filtered|cgls|sirt|window]
                      [--rate FPS] [--slices a:b] [--center C] [--record raw.h5] [--overwrite] [--out recon.h5] [--metrics m.jsonl]
                      [--record-buffer 512] [--record-reserve 64]
                      [--size N --rows S --projections P --order interlaced:W --photons F --seed K]
                      [--stop-after N] [--idle-timeout S] [--no-mask] [--json]
                      [--stop-when-stable] [--pixel-size UM] [--no-quality]
                      [--auto-steer --target-refresh S]
                      [--enhance [--model tomogan.h5] [--precision auto|f32|bf16|tf32|fp16]
                       [--enhancer-share 0.25]]
      Live reconstruction: every frame recorded, one update per W projections (by default the
      SIRT-100 image of everything received: --method, docs/streaming.md), metrics per
      update; a file without --rate replays losslessly (every update gets exactly W new
      projections), with --rate in real time; --idle-timeout S ends the session after S s
      without a frame; the record's queue holds --record-buffer MiB (beyond it a detector's
      frames are left out of the record, counted; a file replay waits), recording stops,
      finalised, when less than --record-reserve MiB would be left on its disk (exit 1);
      each update also reports the FRC resolution of two half
      reconstructions (in µm with --pixel-size), the change, the data residual and a stop
      advice; --stop-when-stable stops the acquisition when the advice says stop
      (--no-quality: change only); --auto-steer chooses W and I after each update to keep
      up with the detector with updates of at most S s (W and I given are the start);
      --enhance runs TomoGAN beside it (slices in
      view first; --out then also holds
      /exchange/recon_enhanced); Ctrl-C stops the acquisition cleanly (files finalised).
  tomolive-cli enhance recon.h5 -o enhanced.h5 [--model tomogan.h5] [--precision auto|f32|bf16|tf32|fp16]
                       [--json]
      TomoGAN on every slice of /exchange/recon; writes /exchange/recon and /exchange/recon_enhanced.
  tomolive-cli detector-sim [--bind tcp://127.0.0.1:5555] [--control tcp://127.0.0.1:5556]
                      (--file scan.h5 | --phantom glass [--size 128] [--slices 4] [--projections 180]
                       [--order interlaced:16] [--photons 1e4] [--seed 1])
                      [--rate FPS] [--first-frame N] [--scan-id ID] [--malformed N]
      A detector on the network protocol (docs/protocol.md), obeying stop.
  tomolive-cli training-data [--method filtered] [--draw v1|independent] [--scans 48]
                      [--size 256] [--sizes 256,384] [--slices 8] [--seed 1000] [--projections 480] [--target-iterations 100]
                      [--windows 16,32,64] [--iterations 1,2,5] [--photons-list 3000,10000,30000]
                      [--photons-range 1000,30000] [--phantoms glass,shale,shepp-logan]
                      [--input-projections 64,256] -o train.h5
      TomoGAN training pairs: the live method's images after R windows as inputs, SIRT-100 over
      all projections as targets, of simulated scans reproducible from the seed (draw v1, the window
      method's default: half at the seed's W = 32, I = 1, R = 5; independent: W, I, R, grid,
      phantom and photons drawn per scan).
  tomolive-cli quality [--model tomogan.h5] [--windows 16,32,64] [--iterations 1,5]
                      [--rotations 3,5,8] [--size 256] [--slices 8] [--seed 20000]
                      [--real a.h5,b.h5] [--images out.h5] [--json]
      Does TomoGAN help? SSIM/PSNR of streaming SIRT and of its enhancement against SIRT-100 on
      held-out simulated scans and on real ones (docs/quality.md).
  tomolive-cli methods scan.h5 [--window 20] [--fraction 0.333] [--order interlaced|recorded]
                     [--candidates filtered:1,cgls:4,window:1,…] [--reference-iterations 100]
                     [--slices a:b] [--center C] [--images out.h5] [--json]
      The live methods compared after a share of a recorded scan: SSIM/PSNR against SIRT-100
      over the received projections and over all of them, refresh time (docs/quality.md).
  tomolive-cli recover recording.h5 [--json]
      Makes a recording left unfinalized by a killed session readable, in place, keeping every
      frame its last flush made durable.
  tomolive-cli info scan.h5 [--json]
      What a scan file holds (Data Exchange or NeXus NXtomo, told from its content), or what is
      wrong with it.
  tomolive-cli bench projector [--sizes 512,1024,2048] [--slices 1,4,16] [--projections 64]
                     [--repeats 5] [--json]
      Projector throughput (ray-pixel updates/s) per grid and slice count (default 16 slices),
      beside the 16-slice rate of the same run, the plain loop and memory bandwidth.
  tomolive-cli bench stream [--size 512] [--slices 16] [--projections 1500]
                     [--windows 16,32,64,128,256] [--iterations 1,5,10] [--repeats 3]
                     [--method window,filtered] [--json]
      The seed's refresh-time table (method × W × I → refresh time, sustained projections/s);
      the seed's sliding-window SIRT (window, the default) is the reference.
  tomolive-cli bench tomogan [--model tomogan.h5] [--sizes 1024,2560] [--repeats 3] [--tile 1024]
                     [--json]
      TomoGAN ms per slice (f32, bf16), GFLOP/s against the measured peak, and PyTorch on the
      same weights and cores.

demo, recon, stream, enhance, quality, methods and bench take --backend auto|cpu|cuda (default auto: a
CUDA GPU when one answers, else the CPU; the first line of output says which and why; cuda
without a GPU is an error). tf32 and fp16 precisions are for the GPU; bench tomogan --backend
cuda adds the cuDNN rows.

Bad input ends with one line on stderr and exit code 2.
)";
}

std::string commandUsage(const std::string& command) {
  const std::string all = usage(), start = "  tomolive-cli " + command + " ";
  std::string out;
  std::size_t at = 0;
  while ((at = all.find(start, at)) != std::string::npos) {
    std::size_t end = all.find("\n  tomolive-cli ", at + 1);
    const std::size_t notes = all.find("\n\n", at);
    if (notes != std::string::npos && (end == std::string::npos || notes < end)) end = notes;
    out += all.substr(at, end == std::string::npos ? std::string::npos : end - at + 1);
    at = end == std::string::npos ? all.size() : end;
  }
  if (out.empty()) return out;
  const std::size_t notes = all.find("\n\n", all.rfind("  tomolive-cli "));
  return out + (notes == std::string::npos ? "" : all.substr(notes + 1));
}

int runSimulate(const Args& args) {
  const Arguments a(
      args, {"phantom", "size", "slices", "projections", "order", "photons", "seed", "output"},
      {"json"});
  ScanSpec spec = scanOptions(a, 256, 8, 0);
  const int projections = a.integer("projections", 180, 1, 100000);
  spec.acquisition = parseAcquisitionOrder(a.text("order", "sequential"), projections);
  const std::string output = a.required("output");

  const auto start = std::chrono::steady_clock::now();
  const SimulatedScanSummary summary = writeSimulatedScan(spec, output);
  const double seconds = secondsSince(start);
  if (a.flag("json")) {
    printJson({{"output", output},
               {"phantom", a.text("phantom", "glass")},
               {"size", spec.size},
               {"slices", spec.slices},
               {"projections", projections},
               {"order", a.text("order", "sequential")},
               {"photons", spec.photons},
               {"seed", spec.seed},
               {"data_type", summary.dataType},
               {"seconds", seconds}});
  } else {
    std::printf(
        "wrote %s: %d projections of %d × %d (%s), %d flats, %d darks, ground truth %d × %d² "
        "in %.2f s\n",
        output.c_str(), projections, spec.slices, spec.size, summary.dataType.c_str(), spec.flats,
        spec.darks, spec.slices, spec.size, seconds);
  }
  return 0;
}

int runRecon(const Args& args) {
  const Arguments a(args, {"iterations", "center", "slices", "binning", "output", "backend"},
                    {"json", "no-mask"});
  const std::string input = a.positional(0, "input file (tomolive-cli recon scan.h5 …)");
  if (a.positionals().size() > 1)
    throw UsageError("unexpected argument '" + a.positionals()[1] + "'");
  FileReconOptions options;
  options.iterations = a.integer("iterations", 100, 1, 100000);
  options.centre = a.number("center");
  if (const auto slices = a.text("slices")) {
    const auto [begin, end] = parseRange(*slices, "slices");
    options.rows = {begin, end};
  }
  options.binning = a.integer("binning", 1, 1, 64);
  options.circularMask = !a.flag("no-mask");
  const BackendChoice backend = backendFromArguments(a, a.flag("json"));
  options.backend = backend.backend;
  const auto output = a.text("output");

  const FileReconResult r = reconstructFile(input, options);
  if (output) writeReconstruction(*output, r.recon);

  if (a.flag("json")) {
    json j = {{"input", input},
              {"center", r.centre},
              {"center_estimated", r.centreEstimated},
              {"iterations", options.iterations},
              {"projections", r.projections},
              {"slices", r.slices},
              {"columns", r.columns},
              {"binning", options.binning},
              {"seconds", r.reconSeconds},
              {"read_seconds", r.readSeconds},
              {"repaired_pixels", r.repairedPixels},
              {"projector", r.projector},
              {"backend", backend.description},
              {"residual_first", r.history.front().weightedResidual},
              {"residual_last", r.history.back().weightedResidual}};
    if (output) j["output"] = *output;
    if (r.ssim) {
      j["ssim"] = *r.ssim;
      j["psnr"] = finiteOrNull(*r.psnr);
      j["nrmse"] = *r.nrmse;
    }
    printJson(j);
    return 0;
  }
  std::printf("%s: %d projections, %d slices × %d columns\n", input.c_str(), r.projections,
              r.slices, r.columns);
  if (r.centreEstimated)
    std::printf("centre %.2f px (estimated from %d opposite pairs, worst %.2f° off 180°)\n",
                r.centre, r.estimate.pairs, r.estimate.worstPairOffsetDeg);
  else
    std::printf("centre %.2f px (given)\n", r.centre);
  if (r.repairedPixels)
    std::printf("repaired %lld bad pixels\n", static_cast<long long>(r.repairedPixels));
  std::printf("SIRT %d iterations in %.2f s on %s; weighted residual %.4g → %.4g\n",
              options.iterations, r.reconSeconds, r.projector.c_str(),
              r.history.front().weightedResidual, r.history.back().weightedResidual);
  if (r.ssim)
    std::printf("against ground truth: SSIM %.4f, PSNR %.2f dB, NRMSE %.4f\n", *r.ssim, *r.psnr,
                *r.nrmse);
  if (output) std::printf("wrote %s:/exchange/recon\n", output->c_str());
  return 0;
}

int runInfo(const Args& args) {
  const Arguments a(args, {}, {"json"});
  const std::string input = a.positional(0, "input file (tomolive-cli info scan.h5)");
  const DataExchangeInfo info = inspectScan(input);
  if (a.flag("json")) {
    json datasets = json::array();
    for (const auto& d : info.datasets)
      datasets.push_back({{"name", d.name}, {"shape", d.shape}, {"type", d.type}});
    printJson({{"path", info.path},
               {"format", info.format},
               {"entry", info.entry},
               {"usable", info.usable()},
               {"problems", info.problems},
               {"datasets", datasets},
               {"projections", info.projections},
               {"rows", info.rows},
               {"columns", info.columns},
               {"flats", info.flats},
               {"darks", info.darks},
               {"invalid_frames", info.invalidFrames},
               {"theta_min_deg", info.thetaMinDeg},
               {"theta_max_deg", info.thetaMaxDeg},
               {"has_ground_truth", info.hasGroundTruth},
               {"non_finite_values", info.nonFiniteData}});
  } else {
    std::printf("%s (%s%s%s)\n", info.path.c_str(), info.format.c_str(),
                info.entry.empty() ? "" : ", entry ", info.entry.c_str());
    for (const auto& d : info.datasets)
      std::printf("  %-28s %-10s %s\n", d.name.c_str(), d.type.c_str(), shapeText(d.shape).c_str());
    if (info.usable()) {
      std::printf(
          "scan: %d projections of %d rows × %d columns, %d flats, %d darks, "
          "theta %.3f° … %.3f°%s%s\n",
          info.projections, info.rows, info.columns, info.flats, info.darks, info.thetaMinDeg,
          info.thetaMaxDeg, info.thetaInRadians ? " (stored in radians)" : "",
          info.hasGroundTruth ? ", with ground truth" : "");
      if (info.invalidFrames)
        std::printf("note: %d frames marked invalid (image_key 3) are skipped\n",
                    info.invalidFrames);
      if (info.nonFiniteData)
        std::printf(
            "note: %lld NaN/Inf values in data, flats or darks (repaired when reconstructing)\n",
            static_cast<long long>(info.nonFiniteData));
    }
  }
  for (const auto& problem : info.problems) std::fprintf(stderr, "%s\n", problem.c_str());
  return info.usable() ? 0 : 2;
}

namespace {

int benchProjector(const Arguments& a) {
  ProjectorBenchOptions o;
  o.sizes = a.integers("sizes", o.sizes);
  o.slices = a.integers("slices", o.slices);
  for (int slices : o.slices)
    if (slices > 1024)
      throw UsageError("option --slices: " + std::to_string(slices) + " out of range (1 … 1024)");
  o.projections = a.integer("projections", o.projections, 1, 100000);
  o.repeats = a.integer("repeats", o.repeats, 1, 1000);
  o.backend = backendFromArguments(a, a.flag("json")).backend;
  const ProjectorBenchResult r = runProjectorBenchmark(o);
  if (!a.flag("json")) {
    std::fputs(formatProjectorBenchmark(r).c_str(), stdout);
    return 0;
  }
  json rows = json::array();
  for (const auto& row : r.rows)
    rows.push_back({{"size", row.size},
                    {"slices", row.slices},
                    {"projections", row.projections},
                    {"updates", row.updates},
                    {"forward_seconds", row.forwardSeconds},
                    {"back_seconds", row.backSeconds},
                    {"forward_updates_per_s", row.forwardRate},
                    {"back_updates_per_s", row.backRate},
                    {"reference_forward_updates_per_s", row.referenceForwardRate},
                    {"reference_back_updates_per_s", row.referenceBackRate},
                    {"forward_vs_16_slices", row.forwardVs16 > 0 ? json(row.forwardVs16) : json()},
                    {"back_vs_16_slices", row.backVs16 > 0 ? json(row.backVs16) : json()}});
  printJson({{"projector", r.projector},
             {"threads", r.threads},
             {"copy_bandwidth_bytes_per_s", r.copyBandwidthBytesPerSecond},
             {"rows", rows}});
  return 0;
}

int benchStream(const Arguments& a) {
  StreamBenchOptions o;
  o.size = a.integer("size", o.size, 8, 8192);
  o.slices = a.integer("slices", o.slices, 1, 1024);
  o.projections = a.integer("projections", o.projections, 1, 1000000);
  o.windows = a.integers("windows", o.windows);
  o.iterations = a.integers("iterations", o.iterations);
  o.updates = a.integer("repeats", o.updates, 1, 1000);
  if (const auto methods = a.text("method")) {
    o.methods.clear();
    std::stringstream list(*methods);
    for (std::string item; std::getline(list, item, ',');)
      o.methods.push_back(parseLiveMethod(item));
  }
  o.backend = backendFromArguments(a, a.flag("json")).backend;
  const StreamBenchResult r = runStreamBenchmark(o);
  if (!a.flag("json")) {
    std::fputs(formatStreamBenchmark(r).c_str(), stdout);
    return 0;
  }
  json cells = json::array();
  for (const auto& c : r.cells)
    cells.push_back({{"method", liveMethodName(c.method)},
                     {"window", c.window},
                     {"iterations", c.iterations},
                     {"refresh_seconds", c.refreshSeconds},
                     {"sustained_pps", c.sustainedPps},
                     {"ray_pixel_updates_per_s", c.updatesPerSecond}});
  printJson({{"projector", r.projector},
             {"size", o.size},
             {"slices", o.slices},
             {"projections", o.projections},
             {"cells", cells}});
  return 0;
}

int benchTomoGan(const Arguments& a) {
  TomoGanBenchOptions o;
  o.modelPath = a.text("model", defaultModelPath());
  if (o.modelPath.empty()) throw UsageError("no TomoGAN model found; give one with --model FILE");
  // PyTorch runs the same weights with the training scripts kept beside the shipped model.
  o.torchScript =
      (std::filesystem::path(o.modelPath).parent_path() / "training" / "bench_torch.py").string();
  o.sizes = a.integers("sizes", o.sizes);
  o.repeats = a.integer("repeats", o.repeats, 1, 1000);
  o.tileSize = a.integer("tile", o.tileSize, 128, 8192);
  o.gpu = backendFromArguments(a, a.flag("json")).backend == ComputeBackend::cuda;
  const TomoGanBenchResult r = runTomoGanBenchmark(o);
  if (!a.flag("json")) {
    std::fputs(formatTomoGanBenchmark(r).c_str(), stdout);
    return 0;
  }
  json rows = json::array(), torch = json::array();
  for (const auto& row : r.rows)
    rows.push_back({{"size", row.size},
                    {"precision", row.precision},
                    {"tiles", row.tiles},
                    {"ms_per_slice", 1e3 * row.seconds},
                    {"gflops", row.gflops},
                    {"fraction_of_peak", row.fractionOfPeak}});
  for (const auto& t : r.torch)
    torch.push_back({{"size", t.size}, {"ms_per_slice", 1e3 * t.seconds}});
  printJson({{"model", r.model},
             {"threads", r.threads},
             {"macs_per_pixel", r.multiplyAddsPerPixel},
             {"peak_f32_gflops", r.peakF32Gflops},
             {"peak_bf16_gflops", r.peakBf16Gflops},
             {"load_average", r.loadAverage},
             {"rows", rows},
             {"torch", torch},
             {"torch_version", r.torchVersion},
             {"torch_skipped", r.torchSkipped}});
  return 0;
}

}  // namespace

int runBench(const Args& args) {
  const Arguments a(args,
                    {"sizes", "size", "slices", "projections", "repeats", "windows", "iterations",
                     "model", "tile", "backend", "method"},
                    {"json"});
  const std::string what = a.positional(0, "benchmark name (projector, stream or tomogan)");
  if (what == "projector") return benchProjector(a);
  if (what == "stream") return benchStream(a);
  if (what == "tomogan") return benchTomoGan(a);
  throw UsageError("unknown benchmark '" + what + "' (known: projector, stream, tomogan)");
}

int runTrainingData(const Args& args) {
  const Arguments a(args,
                    {"scans", "size", "slices", "seed", "projections", "target-iterations",
                     "windows", "iterations", "photons-list", "output", "method", "sizes",
                     "photons-range", "phantoms", "input-projections", "draw"},
                    {});
  if (!a.positionals().empty())
    throw UsageError("unexpected argument '" + a.positionals()[0] + "'");
  TrainingDataOptions o;
  o.scans = a.integer("scans", o.scans, 1, 100000);
  o.size = a.integer("size", o.size, 16, 4096);
  o.slices = a.integer("slices", o.slices, 3, 1024);
  o.seed = static_cast<std::uint64_t>(a.integer("seed", int(o.seed), 0, 2147483647));
  o.projections = a.integer("projections", o.projections, 160, 100000);
  o.targetIterations = a.integer("target-iterations", o.targetIterations, 1, 10000);
  o.windows = a.integers("windows", o.windows);
  o.iterations = a.integers("iterations", o.iterations);
  if (const auto list = a.text("photons-list")) {
    o.photons.clear();
    for (int v : a.integers("photons-list", {})) o.photons.push_back(v);
  }
  o.method = liveMethodName(parseLiveMethod(a.text("method", o.method)));
  o.draw = a.text("draw", "");
  o.sizes = a.integers("sizes", {});
  if (a.has("photons-range")) {
    const auto range = a.integers("photons-range", {});
    if (range.size() != 2) throw UsageError("--photons-range takes two numbers: min,max");
    o.photonsMin = range[0], o.photonsMax = range[1];
  }
  if (a.has("input-projections")) {
    const auto range = a.integers("input-projections", {});
    if (range.size() != 2) throw UsageError("--input-projections takes two numbers: min,max");
    o.minInputProjections = range[0], o.maxInputProjections = range[1];
  }
  if (const auto list = a.text("phantoms")) {
    o.phantoms.clear();
    std::stringstream in(*list);
    for (std::string name; std::getline(in, name, ',');) o.phantoms.push_back(name);
  }
  const std::string output = a.required("output");
  const auto start = std::chrono::steady_clock::now();
  writeTrainingData(o, output, [&](int k, const TrainingScanSpec& d) {
    std::printf("scan %d/%d: %s %d², W = %d, I = %d, R = %d, %.0f photons (%.0f s)\n", k + 1,
                o.scans, d.phantom.c_str(), d.size, d.window, d.iterations, d.rotations, d.photons,
                secondsSince(start));
    std::fflush(stdout);
  });
  std::printf("wrote %s\n", output.c_str());
  return 0;
}

int runQuality(const Args& args) {
  std::set<std::string> names{"size",       "slices",    "projections", "seed",   "windows",
                              "iterations", "rotations", "real",        "images", "method"};
  names.insert(kDenoiserOptions.begin(), kDenoiserOptions.end());
  const Arguments a(args, names, {"json", "real-only"});
  if (!a.positionals().empty())
    throw UsageError("unexpected argument '" + a.positionals()[0] + "'");
  QualityOptions o;
  o.size = a.integer("size", o.size, 16, 4096);
  o.slices = a.integer("slices", o.slices, 1, 1024);
  o.projections = a.integer("projections", o.projections, 16, 100000);
  o.seed = static_cast<std::uint64_t>(a.integer("seed", int(o.seed), 0, 2147483647));
  o.windows = a.integers("windows", o.windows);
  o.iterations = a.integers("iterations", o.iterations);
  o.rotations = a.integers("rotations", o.rotations);
  if (const auto real = a.text("real")) {
    std::stringstream in(*real);
    for (std::string item; std::getline(in, item, ',');)
      if (!item.empty()) o.realScans.push_back(item);
  }
  o.imagesPath = a.text("images", "");
  o.method = parseLiveMethod(a.text("method", "filtered"));
  o.simulated = !a.flag("real-only");
  const std::shared_ptr<Denoiser> denoiser =
      denoiserFromArguments(a, backendFromArguments(a, a.flag("json")).backend);
  const QualityResult r = runQualityEvaluation(o, *denoiser);
  if (!a.flag("json")) {
    std::fputs(formatQualityEvaluation(r).c_str(), stdout);
    return 0;
  }
  json cells = json::array();
  for (const auto& c : r.cells)
    cells.push_back({{"scan", c.scan},
                     {"window", c.window},
                     {"iterations", c.iterations},
                     {"rotations", c.rotations},
                     {"projections", c.projectionsUsed},
                     {"ssim_streaming", c.ssimBefore},
                     {"ssim_enhanced", c.ssimAfter},
                     {"psnr_streaming", c.psnrBefore},
                     {"psnr_enhanced", c.psnrAfter}});
  printJson({{"enhancer", r.enhancer}, {"cells", cells}});
  return 0;
}

int runDemo(const Args& args) {
  const Arguments a(args,
                    {"phantom", "size", "slices", "window", "rotations", "iterations", "photons",
                     "seed", "backend", "method"},
                    {"json"});
  ScanSpec spec = scanOptions(a, 256, 8, 1);
  const int window = a.integer("window", 32, 1, 4096);
  const int rotations = a.integer("rotations", 8, 1, 1024);
  const int iterations = a.integer("iterations", 2, 1, 1000);
  spec.acquisition = {AcquisitionOrder::Interlaced, window * rotations, window};
  const bool asJson = a.flag("json");

  const ScanSimulator sim(spec);
  const int rows = sim.slices(), columns = sim.columns();
  const FlatDarkCorrection correction(sim.flats(), sim.darks(), rows, columns);
  LiveReconstruction recon(columns, rows, columns, sim.geometry().centre,
                           {.method = parseLiveMethod(a.text("method", "filtered")),
                            .backend = backendFromArguments(a, asJson).backend});
  if (!asJson)
    std::printf(
        "Simulated %s scan: %d slices of %d², %d interlaced rotations of W = %d projections, "
        "%.0f photons/pixel; I = %d per update, %s\n\n"
        "| R | projections | refresh (s) | rate (proj/s) | SSIM | PSNR (dB) |\n"
        "|---|---|---|---|---|---|\n",
        phantomKindName(spec.phantom).c_str(), rows, columns, rotations, window, spec.photons,
        iterations, recon.description().c_str());
  json updates = json::array();
  const auto& angles = sim.geometry().anglesRad;
  for (int r = 0; r < rotations; ++r) {
    const int first = r * window;
    const std::vector<float> raw = sim.projections(first, window);
    const auto start = std::chrono::steady_clock::now();
    recon.receive(correction.lineIntegrals(raw), {angles.data() + first, std::size_t(window)});
    recon.update(iterations);
    const double refresh = secondsSince(start);
    const VolumeStack estimate = recon.estimate();
    const double s = ssimVolume(estimate, sim.groundTruth());
    const double p = psnrVolume(estimate, sim.groundTruth());
    if (asJson)
      updates.push_back({{"update", r + 1},
                         {"consumed", first + window},
                         {"refresh_seconds", refresh},
                         {"sustained_pps", window / refresh},
                         {"ssim", s},
                         {"psnr", p}});
    else
      std::printf("| %d | %d | %.3f | %.0f | %.4f | %.2f |\n", r + 1, first + window, refresh,
                  window / refresh, s, p);
  }
  if (asJson)
    printJson({{"phantom", phantomKindName(spec.phantom)},
               {"window", window},
               {"iterations", iterations},
               {"updates", updates}});
  return 0;
}

}  // namespace tomolive::cli

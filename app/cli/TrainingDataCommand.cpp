// `tomolive-cli training-data`: TomoGAN training pairs from the project's simulator.
#include <chrono>
#include <cstdio>
#include <memory>
#include <tuple>

#include "cli/Commands.h"
#include "cli/Options.h"
#include "pipeline/LiveReconstruction.h"
#include "timing/Timing.h"
#include "training/TrainingData.h"

namespace tomolive::cli {

namespace {

struct TrainingDataSettings {
  TrainingDataOptions options;
  std::vector<int> photonsRange, inputProjections, projectionsRange;  ///< min,max each
  std::vector<double> inputFraction;                                   ///< min,max
  std::string output;
  bool overwrite = false;
};

// `--name min,max` into `min` and `max`, when given.
template <class List, class T>
void setRange(const List& given, const std::string& name, T& min, T& max) {
  if (given.empty()) return;
  if (given.size() != 2) throw UsageError(name + " takes two numbers: min,max");
  min = given[0], max = given[1];
}

int runTrainingData(TrainingDataSettings s) {
  TrainingDataOptions& o = s.options;
  setRange(s.photonsRange, "--photons-range", o.photonsMin, o.photonsMax);
  setRange(s.inputProjections, "--input-projections", o.minInputProjections, o.maxInputProjections);
  setRange(s.projectionsRange, "--projections-range", o.projectionsMin, o.projectionsMax);
  setRange(s.inputFraction, "--input-fraction", o.minInputFraction, o.maxInputFraction);
  checkOutputFile("-o", s.output, s.overwrite);
  const auto start = std::chrono::steady_clock::now();
  writeTrainingData(o, s.output, [&](int k, const TrainingScanSpec& d) {
    std::string imperfections;
    if (d.rings > 0) imperfections += ", rings " + std::to_string(d.rings).substr(0, 6);
    if (d.zingers > 0) imperfections += ", zingers " + std::to_string(d.zingers).substr(0, 8);
    if (d.truncation > 0)
      imperfections += ", truncated " + std::to_string(d.truncation).substr(0, 4);
    if (d.sampleScale < 1)
      imperfections += ", sample at " + std::to_string(d.sampleScale).substr(0, 4) + " of the grid";
    std::printf(
        "scan %d/%d: %s %d²%s, %d projections, W = %d, I = %d, R = %d, %.0f photons%s (%.0f s)\n",
        k + 1, o.scans, d.phantom.c_str(), d.size, d.tube > 0 ? " in a tube" : "", d.projections,
        d.window, d.iterations, d.rotations, d.photons, imperfections.c_str(),
        secondsSince(start));
    std::fflush(stdout);
  });
  std::printf("wrote %s\n", s.output.c_str());
  return 0;
}

}  // namespace

Command addTrainingDataCommand(CLI::App& app) {
  auto s = std::make_shared<TrainingDataSettings>();
  TrainingDataOptions& o = s->options;
  CLI::App& command = addCommand(
      app, "training-data",
      "TomoGAN training pairs: the live method's images after R windows as inputs, SIRT-100 over "
      "all projections as targets, of simulated scans reproducible from the seed (draw v1, the "
      "window method's default: half at the seed's W = 32, I = 1, R = 5; independent: W, I, R, "
      "grid, phantom and photons drawn per scan).");
  addParsedOption(
      command, "--method", o.method,
      [](std::string_view text) { return std::string(liveMethodName(parseLiveMethod(text))); },
      "the live method whose images are the inputs", o.method);
  command.add_option("--draw", o.draw, "v1|independent (default: v1 for window, else independent)");
  command.add_option("--scans", o.scans, "simulated scans")->check(CLI::Range(1, 100000));
  command.add_option("--size", o.size, "grid size N")->check(CLI::Range(16, 4096));
  addIntegerList(command, "--sizes", o.sizes, "grid sizes drawn from (independent)");
  command.add_option("--slices", o.slices, "slices per scan")->check(CLI::Range(3, 1024));
  command.add_option("--seed", o.seed, "seed of the first scan")->check(CLI::Range(0, 2147483647));
  command.add_option("--projections", o.projections, "projections of the full scan")
      ->check(CLI::Range(160, 100000));
  command.add_option("--target-iterations", o.targetIterations, "SIRT iterations of the targets")
      ->check(CLI::Range(1, 10000));
  addIntegerList(command, "--windows", o.windows, "windows W");
  addIntegerList(command, "--iterations", o.iterations, "iterations I per update");
  command.add_option("--photons-list", o.photons, "open-beam counts per pixel (v1)")
      ->delimiter(',')
      ->check(CLI::Range(1.0, double(1 << 20)));
  addIntegerList(command, "--photons-range", s->photonsRange, "min,max: log-uniform (independent)");
  command.add_option("--phantoms", o.phantoms, "phantoms cycled (independent)")->delimiter(',');
  addIntegerList(command, "--input-projections", s->inputProjections,
                 "min,max of R·W of the drawn inputs");
  addIntegerList(command, "--projections-range", s->projectionsRange,
                 "min,max: the full scan's projections, log-uniform per scan (independent; needs "
                 "--input-fraction)");
  command.add_option("--input-fraction", s->inputFraction,
                     "min,max of R·W as a fraction of the drawn full scan")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 1.0));
  // Shares of the scans drawn with a feature of real scans (independent draw).
  for (auto [name, share, what] :
       {std::tuple{"--tube-fraction", &o.tubeFraction, "in a sample tube"},
        {"--ring-fraction", &o.ringFraction, "with ring artefacts"},
        {"--zinger-fraction", &o.zingerFraction, "with zingers"},
        {"--truncation-fraction", &o.truncationFraction, "whose sample is wider than the detector"},
        {"--small-sample-fraction", &o.smallSampleFraction,
         "whose sample is small in a wide field of view"}})
    command.add_option(name, *share, std::string("share of scans ") + what + " (independent)")
        ->check(CLI::Range(0.0, 1.0));
  command.add_option("-o,--output", s->output, "training file to write")->required();
  addOverwriteFlag(command, s->overwrite);
  return {&command, [s] { return runTrainingData(*s); }};
}

}  // namespace tomolive::cli

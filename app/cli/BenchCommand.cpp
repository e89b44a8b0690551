// `tomolive-cli bench projector|stream|tomogan`: the benchmarks behind docs/performance.md.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "bench/BenchJson.h"
#include "cli/Commands.h"
#include "cli/Options.h"
#include "nn/ModelLocation.h"

namespace tomolive::cli {

namespace {

std::vector<LiveMethod> parseLiveMethods(const std::string& list) {
  std::vector<LiveMethod> methods;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) methods.push_back(parseLiveMethod(name));
  return methods;
}

// A benchmark's result: the Markdown table, or with --json the JSON object.
template <class Result>
int print(const Result& result, bool json, std::string (*format)(const Result&)) {
  if (json)
    std::puts(nlohmann::json(result).dump().c_str());
  else
    std::fputs(format(result).c_str(), stdout);
  return 0;
}

struct ProjectorSettings {
  ProjectorBenchOptions options;
  ComputeBackend backend = ComputeBackend::automatic;
  bool json = false;
};

Command addProjectorBench(CLI::App& bench) {
  auto s = std::make_shared<ProjectorSettings>();
  CLI::App& command = addCommand(
      bench, "projector",
      "Projector throughput (ray-pixel updates/s) per grid and slice count (default 16 slices), "
      "beside the 16-slice rate of the same run, the plain loop and memory bandwidth.");
  addIntegerList(command, "--sizes", s->options.sizes, "grid sizes N");
  addIntegerList(command, "--slices", s->options.slices, "slice counts", 1024);
  command.add_option("--projections", s->options.projections, "projections")
      ->check(CLI::Range(1, 100000));
  command.add_option("--repeats", s->options.repeats, "timed repeats")->check(CLI::Range(1, 1000));
  addBackendOption(command, s->backend);
  addJsonFlag(command, s->json);
  return {&command, [s] {
            ProjectorBenchOptions o = s->options;
            o.backend = resolveBackend(s->backend, s->json).backend;
            return print(runProjectorBenchmark(o), s->json, formatProjectorBenchmark);
          }};
}

struct StreamBenchSettings {
  StreamBenchOptions options;
  ComputeBackend backend = ComputeBackend::automatic;
  bool json = false;
};

Command addStreamBench(CLI::App& bench) {
  auto s = std::make_shared<StreamBenchSettings>();
  CLI::App& command = addCommand(
      bench, "stream",
      "The seed's refresh-time table (method × W × I → refresh time, sustained projections/s); "
      "the seed's sliding-window SIRT (window, the default) is the reference.");
  StreamBenchOptions& o = s->options;
  command.add_option("--size", o.size, "grid size N")->check(CLI::Range(8, 8192));
  command.add_option("--slices", o.slices, "slices")->check(CLI::Range(1, 1024));
  command.add_option("--projections", o.projections, "projections of the scan")
      ->check(CLI::Range(1, 1000000));
  addIntegerList(command, "--windows", o.windows, "windows W");
  addIntegerList(command, "--iterations", o.iterations, "iterations I per update");
  command.add_option("--repeats", o.updates, "timed updates per cell")->check(CLI::Range(1, 1000));
  addParsedOption(command, "--method", o.methods, parseLiveMethods,
                  "methods, comma-separated: filtered,cgls,sirt,window", "window");
  addBackendOption(command, s->backend);
  addJsonFlag(command, s->json);
  return {&command, [s] {
            StreamBenchOptions o = s->options;
            o.backend = resolveBackend(s->backend, s->json).backend;
            return print(runStreamBenchmark(o), s->json, formatStreamBenchmark);
          }};
}

struct TomoGanBenchSettings {
  TomoGanBenchOptions options;
  ComputeBackend backend = ComputeBackend::automatic;
  bool json = false;
};

Command addTomoGanBench(CLI::App& bench) {
  auto s = std::make_shared<TomoGanBenchSettings>();
  s->options.modelPath = defaultModelPath();
  CLI::App& command = addCommand(
      bench, "tomogan",
      "TomoGAN ms per slice (f32, bf16), GFLOP/s against the measured peak, and PyTorch on the "
      "same weights and cores; --backend cuda adds the cuDNN rows.");
  TomoGanBenchOptions& o = s->options;
  command.add_option("--model", o.modelPath, "TomoGAN weights");
  addIntegerList(command, "--sizes", o.sizes, "slice sizes N");
  command.add_option("--repeats", o.repeats, "timed repeats")->check(CLI::Range(1, 1000));
  command.add_option("--tile", o.tileSize, "largest tile edge")->check(CLI::Range(128, 8192));
  addBackendOption(command, s->backend);
  addJsonFlag(command, s->json);
  return {&command, [s] {
            TomoGanBenchOptions o = s->options;
            if (o.modelPath.empty())
              throw UsageError("no TomoGAN model found; give one with --model FILE");
            // PyTorch runs the same weights with the training scripts kept beside the model.
            o.torchScript =
                (std::filesystem::path(o.modelPath).parent_path() / "training" / "bench_torch.py")
                    .string();
            o.gpu = resolveBackend(s->backend, s->json).backend == ComputeBackend::cuda;
            return print(runTomoGanBenchmark(o), s->json, formatTomoGanBenchmark);
          }};
}

}  // namespace

Command addBenchCommand(CLI::App& app) {
  CLI::App& command = addCommand(app, "bench", "Benchmarks (docs/performance.md).");
  const std::vector<Command> benches{addProjectorBench(command), addStreamBench(command),
                                     addTomoGanBench(command)};
  return {&command, [benches] { return runParsed(benches); }};
}

}  // namespace tomolive::cli

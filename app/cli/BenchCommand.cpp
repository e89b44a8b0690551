// `tomolive-cli bench projector|stream|tomogan|advice`: the benchmarks behind docs/performance.md
// and the stop advice's check against the truth behind docs/quality.md.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "bench/BenchJson.h"
#include "cli/Commands.h"
#include "cli/TeamRun.h"
#include "cli/Options.h"
#include "nn/ModelLocation.h"

namespace tomolive::cli {

namespace {

template <class Options>
struct BenchSettings {
  Options options;
  ComputeBackend backend = ComputeBackend::automatic;
  bool json = false;
};

// The options every benchmark takes (--backend, --json) and what runs it: `run(options, backend)`
// with the backend resolved, its result printed as the Markdown table or the JSON object.
template <class Options, class Result, class Run>
Command benchCommand(CLI::App& command, std::shared_ptr<BenchSettings<Options>> s, Run run,
                     std::string (*format)(const Result&)) {
  addBackendOption(command, s->backend);
  addJsonFlag(command, s->json);
  return {&command, [s, run, format] {
            const Result result = run(s->options, resolveBackend(s->backend, s->json).backend);
            if (s->json)
              std::puts(nlohmann::json(result).dump().c_str());
            else
              std::fputs(format(result).c_str(), stdout);
            return 0;
          }};
}

Command addProjectorBench(CLI::App& bench) {
  auto s = std::make_shared<BenchSettings<ProjectorBenchOptions>>();
  ProjectorBenchOptions& o = s->options;
  CLI::App& command = addCommand(
      bench, "projector",
      "Projector throughput (ray-pixel updates/s) per grid and slice count (default 16 slices), "
      "beside the 16-slice rate of the same run, the plain loop and memory bandwidth.");
  addIntegerList(command, "--sizes", o.sizes, "grid sizes N", 16384, 8);
  addIntegerList(command, "--slices", o.slices, "slice counts", 1024);
  command.add_option("--projections", o.projections, "projections")->check(CLI::Range(1, 100000));
  command.add_option("--repeats", o.repeats, "timed repeats")->check(CLI::Range(1, 1000));
  command
      .add_option("--kernels", o.kernels,
                  "CPU kernel set: best (this CPU's), avx512, avx2 (an AVX2-only machine's) or "
                  "baseline")
      ->check(CLI::IsMember({"best", "avx512", "avx2", "baseline"}));
  return benchCommand(
      command, s,
      [](ProjectorBenchOptions options, ComputeBackend backend) {
        options.backend = backend;
        return runProjectorBenchmark(options);
      },
      formatProjectorBenchmark);
}

std::vector<LiveMethod> parseLiveMethods(const std::string& list) {
  std::vector<LiveMethod> methods;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) methods.push_back(parseLiveMethod(name));
  if (methods.empty()) throw std::invalid_argument("no method given (filtered,cgls,sirt,window)");
  return methods;
}

Command addStreamBench(CLI::App& bench) {
  auto s = std::make_shared<BenchSettings<StreamBenchOptions>>();
  StreamBenchOptions& o = s->options;
  CLI::App& command = addCommand(
      bench, "stream",
      "The seed's refresh-time table (method × W × I → refresh time, sustained projections/s); "
      "the seed's sliding-window SIRT (window, the default) is the reference.");
  command.add_option("--size", o.size, "grid size N")->check(CLI::Range(8, 8192));
  command.add_option("--slices", o.slices, "slices")->check(CLI::Range(1, 1024));
  command.add_option("--projections", o.projections, "projections of the scan")
      ->check(CLI::Range(1, 1000000));
  addIntegerList(command, "--windows", o.windows, "windows W");
  addIntegerList(command, "--iterations", o.iterations, "iterations I per update");
  command.add_option("--repeats", o.updates, "timed updates per cell")->check(CLI::Range(1, 1000));
  addParsedOption(command, "--method", o.methods, parseLiveMethods,
                  "methods, comma-separated: filtered,cgls,sirt,window", "window");
  command
      .add_option("--auto-steer", o.autoSteerRates,
                  "detector rates (proj/s), comma-separated: live sessions on the paced simulator, "
                  "auto-steered and with the first W and I fixed, instead of the table")
      ->delimiter(',')
      ->check(kPositive);
  command.add_option("--target-refresh", o.targetRefreshSeconds, "auto-steering's target (s)")
      ->check(kPositive);
  auto mpi = std::make_shared<bool>(false);
  command.add_flag("--mpi", *mpi,
                   "the table's reconstructions shared by rows with the other MPI ranks (implied "
                   "under mpirun), with the time spent in their calls");
  Command c = benchCommand(
      command, s,
      [](StreamBenchOptions options, ComputeBackend backend) {
        options.backend = backend;
        return runStreamBenchmark(options);
      },
      formatStreamBenchmark);
  c.run = [run = c.run, mpi, s] {
    return runAsTeam(*mpi, [&](std::shared_ptr<RowTeam> team) {
      s->options.rowTeam = std::move(team);
      return run();
    });
  };
  return c;
}

Command addTomoGanBench(CLI::App& bench) {
  auto s = std::make_shared<BenchSettings<TomoGanBenchOptions>>();
  TomoGanBenchOptions& o = s->options;
  o.modelPath = defaultModelPath();
  CLI::App& command = addCommand(
      bench, "tomogan",
      "TomoGAN ms per slice (f32, bf16), GFLOP/s against the measured peak, and PyTorch on the "
      "same weights and cores; --backend cuda adds the cuDNN rows.");
  command.add_option("--model", o.modelPath, "TomoGAN weights");
  addIntegerList(command, "--sizes", o.sizes, "slice sizes N");
  command.add_option("--repeats", o.repeats, "timed repeats")->check(CLI::Range(1, 1000));
  command.add_option("--tile", o.tileSize, "largest tile edge")->check(CLI::Range(128, 8192));
  return benchCommand(
      command, s,
      [](TomoGanBenchOptions options, ComputeBackend backend) {
        if (options.modelPath.empty())
          throw UsageError("no TomoGAN model found; give one with --model FILE");
        // PyTorch runs the same weights with the training scripts kept beside the model.
        options.torchScript =
            (std::filesystem::path(options.modelPath).parent_path() / "training" / "bench_torch.py")
                .string();
        options.gpu = backend == ComputeBackend::cuda;
        return runTomoGanBenchmark(options);
      },
      formatTomoGanBenchmark);
}

Command addAdviceBench(CLI::App& bench) {
  auto s = std::make_shared<BenchSettings<AdviceBenchOptions>>();
  AdviceBenchOptions& o = s->options;
  CLI::App& command = addCommand(
      bench, "advice",
      "The stop advice against the truth on a set of 18 simulated scans (glass, shale, "
      "Shepp-Logan at several W, I and photon counts): per scan the update from which SSIM "
      "against the truth stays within 0.01 of its end (over the slice, over the sample), the "
      "update from which the image stays within 0.01 SSIM of its last, and the update advised "
      "\"stop\".");
  command.add_option("--size", o.size, "grid size N")->check(CLI::Range(16, 4096));
  command.add_option("--slices", o.slices, "slices")->check(CLI::Range(1, 64));
  command.add_option("--projections", o.projections, "projections of each scan")
      ->check(CLI::Range(8, 100000));
  command.add_option("--seed", o.seed, "simulation seed");
  addParsedOption(
      command, "--order", o.order,
      [](const std::string& text) {
        if (text == "interlaced") return AcquisitionOrder::Interlaced;
        if (text == "golden") return AcquisitionOrder::Golden;
        throw std::invalid_argument("\"" + text + "\": interlaced or golden");
      },
      "acquisition order: interlaced (each scan's W per rotation) or golden", "interlaced");
  command.add_option("--window", o.window, "every scan's W instead of its own")
      ->check(CLI::Range(1, 100000));
  command.add_option("--photons", o.photons, "every scan's photons instead of its own")
      ->check(kPositive);
  command.add_option("--dir", o.directory, "where the scans are written (default: temporary)");
  return benchCommand(
      command, s,
      [](AdviceBenchOptions options, ComputeBackend backend) {
        options.backend = backend;
        return runAdviceEvaluation(options);
      },
      formatAdviceEvaluation);
}

}  // namespace

Command addBenchCommand(CLI::App& app) {
  CLI::App& command = addCommand(app, "bench", "Benchmarks (docs/performance.md).");
  const std::vector<Command> benches{addProjectorBench(command), addStreamBench(command),
                                     addTomoGanBench(command), addAdviceBench(command)};
  return {&command, [benches] { return runParsed(benches); }};
}

}  // namespace tomolive::cli

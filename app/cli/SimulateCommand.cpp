// `tomolive-cli simulate`: a simulated Data Exchange scan with its ground truth, or an NXtomo scan.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/Commands.h"
#include "cli/Options.h"
#include "sim/ScanFile.h"
#include "timing/Timing.h"

namespace tomolive::cli {

namespace {

struct SimulateSettings {
  ScanSpec spec{.phantom = PhantomKind::Glass, .size = 256, .slices = 8, .acquisition = {}};
  int projections = 180;
  std::string order = "sequential";
  std::string output;
  std::string format;  ///< "dataexchange" or "nxtomo"; empty: by the file name (.nxs: nxtomo)
  bool json = false, overwrite = false;
};

int runSimulate(SimulateSettings s) {
  checkOutputFile("-o", s.output, s.overwrite);
  s.spec.acquisition = parseAcquisitionOrder(s.order, s.projections);
  const auto start = std::chrono::steady_clock::now();
  if (s.format.empty())
    s.format = s.output.ends_with(".nxs") ? "nxtomo" : "dataexchange";
  const ScanFormat format = s.format == "nxtomo" ? ScanFormat::NxTomo : ScanFormat::DataExchange;
  const SimulatedScanSummary summary = writeSimulatedScan(s.spec, s.output, format);
  const double seconds = secondsSince(start);
  const ScanSpec& spec = s.spec;
  if (s.json) {
    std::puts(nlohmann::json({{"output", s.output},
                              {"phantom", phantomKindName(spec.phantom)},
                              {"size", spec.size},
                              {"slices", spec.slices},
                              {"projections", s.projections},
                              {"order", s.order},
                              {"photons", spec.photons},
                              {"seed", spec.seed},
                              {"data_type", summary.dataType},
                              {"format", s.format},
                              {"seconds", seconds}})
                  .dump()
                  .c_str());
  } else {
    const std::string truth = format == ScanFormat::NxTomo
                                  ? std::string("NXtomo: no ground truth")
                                  : "ground truth " + std::to_string(spec.slices) + " × " +
                                        std::to_string(spec.size) + "²";
    std::printf("wrote %s: %d projections of %d × %d (%s), %d flats, %d darks, %s in %.2f s\n",
                s.output.c_str(), s.projections, spec.slices, spec.size, summary.dataType.c_str(),
                spec.flats, spec.darks, truth.c_str(), seconds);
  }
  return 0;
}

}  // namespace

Command addSimulateCommand(CLI::App& app) {
  auto s = std::make_shared<SimulateSettings>();
  CLI::App& command =
      addCommand(app, "simulate",
                 "Writes a Data Exchange scan with its ground truth at /exchange/ground_truth, or "
                 "(--format nxtomo, or an .nxs name) a NeXus NXtomo scan.");
  addScanOptions(command, s->spec);
  command.add_option("--projections", s->projections, "projections over 180°")
      ->check(CLI::Range(1, 100000));
  command.add_option("--order", s->order, "sequential|interlaced:W|golden");
  command.add_option("-o,--output", s->output, "scan file to write")->required();
  addOverwriteFlag(command, s->overwrite);
  command.add_option("--format", s->format, "dataexchange|nxtomo (default: nxtomo for .nxs)")
      ->check(CLI::IsMember({"dataexchange", "nxtomo"}));
  addJsonFlag(command, s->json);
  return {&command, [s] { return runSimulate(*s); }};
}

}  // namespace tomolive::cli

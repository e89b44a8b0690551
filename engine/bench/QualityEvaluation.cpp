#include "bench/QualityEvaluation.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <sstream>

#include "io/DataExchange.h"
#include "io/ScanFile.h"
#include "metrics/ImageMetrics.h"
#include "nn/VolumeEnhancement.h"
#include "pipeline/LiveReconstruction.h"
#include "preprocess/CentreFinder.h"
#include "preprocess/FlatDarkCorrection.h"
#include "preprocess/ScanPreparation.h"
#include "projector/JosephProjector.h"
#include "sim/Acquisition.h"
#include "sim/ScanSimulator.h"
#include "sirt/SirtSolver.h"

namespace tomolive {

namespace {

VolumeStack sirtReference(const ParallelGeometry& g, const ProjectionStack& p, int iterations) {
  const JosephProjector projector(g);
  SirtSolver solver(g.gridSize, p.slices(), {.circularMask = true});
  std::vector<int> all(p.projections());
  std::iota(all.begin(), all.end(), 0);
  solver.iterate(projector, p, all, iterations);
  return solver.estimate();
}

// Streaming SIRT over windows of `order` (indices into p), scoring after the listed rotations.
void scoreStreaming(const std::string& scan, const ParallelGeometry& g, const ProjectionStack& p,
                    const std::vector<int>& order, int window, int iterations,
                    const std::vector<int>& rotations, const VolumeStack& reference,
                    Denoiser& denoiser, LiveMethod method, ReconstructionFileWriter* images,
                    QualityResult& result) {
  LiveReconstruction streaming(g.gridSize, p.slices(), g.columns, g.centre, {.method = method});
  const int last = *std::max_element(rotations.begin(), rotations.end());
  const double range = dataRange(reference.raw());
  for (int r = 1; r <= last; ++r) {
    const int first = (r - 1) * window;
    const int count = std::min(window, int(order.size()) - first);
    if (count <= 0) break;
    replayInWindows(streaming, p, g.anglesRad, {order.data() + first, std::size_t(count)}, window,
                    iterations);
    if (std::find(rotations.begin(), rotations.end(), r) == rotations.end()) continue;
    const VolumeStack estimate = streaming.estimate();
    const VolumeStack enhanced = enhanceVolume(denoiser, estimate);
    QualityCell c;
    c.scan = scan, c.window = window, c.iterations = iterations, c.rotations = r;
    c.projectionsUsed = first + count;
    c.centre = g.centre;
    c.ssimBefore = ssimVolume(estimate, reference, range);
    c.ssimAfter = ssimVolume(enhanced, reference, range);
    c.psnrBefore = psnrVolume(estimate, reference, range);
    c.psnrAfter = psnrVolume(enhanced, reference, range);
    result.cells.push_back(c);
    if (images) {
      char name[160];
      std::snprintf(name, sizeof name, "/%s/W%d_I%d_R%d", scan.c_str(), window, iterations, r);
      const int s = p.slices() / 2, n = g.gridSize;
      const std::map<std::string, Attribute> attributes{{"ssim_before", c.ssimBefore},
                                                        {"ssim_after", c.ssimAfter}};
      images->add({estimate.slice(s), 1, n, attributes}, std::string(name) + "/before");
      images->add({enhanced.slice(s), 1, n, attributes}, std::string(name) + "/after");
      images->add({reference.slice(s), 1, n, {}}, std::string(name) + "/reference");
    }
  }
}

// Indices 0 … n−1 in bit-reversed order: every prefix spreads evenly over the scan, like
// interlaced acquisition does.
std::vector<int> interlacedOrder(int n) {
  int bits = 0;
  while ((1 << bits) < n) ++bits;
  std::vector<int> order;
  for (int i = 0; i < (1 << bits); ++i) {
    int reversed = 0;
    for (int b = 0; b < bits; ++b) reversed |= ((i >> b) & 1) << (bits - 1 - b);
    if (reversed < n) order.push_back(reversed);
  }
  return order;
}

}  // namespace

QualityResult runQualityEvaluation(const QualityOptions& o, Denoiser& denoiser) {
  QualityResult result;
  result.enhancer = denoiser.name();
  // A cell whose last rotation of W would start beyond the scan cannot be scored (a last
  // rotation cut short by the scan's end is scored on what it has).
  if (o.simulated)
    for (int window : o.windows)
      for (int r : o.rotations)
        if (std::int64_t(r - 1) * window >= o.projections)
          throw std::invalid_argument("quality: " + std::to_string(r) +
                                      " rotations of W = " + std::to_string(window) +
                                      " start beyond the " + std::to_string(o.projections) +
                                      "-projection scans (--projections)");
  // The images replace --images only once every one is written.
  std::optional<ReconstructionFileWriter> images;
  if (!o.imagesPath.empty()) images.emplace(o.imagesPath);
  int phantomIndex = 0;
  for (PhantomKind kind : {PhantomKind::Glass, PhantomKind::Shale}) {
    if (!o.simulated) break;
    for (int window : o.windows) {
      ScanSpec spec;
      spec.phantom = kind;
      spec.size = o.size;
      spec.slices = o.slices;
      spec.acquisition = {AcquisitionOrder::Interlaced, o.projections, window};
      spec.photons = 1e4;
      spec.seed = o.seed + std::uint64_t(phantomIndex);
      const ScanSimulator sim(spec);
      const ProjectionStack p = FlatDarkCorrection(sim.flats(), sim.darks(), o.slices, o.size)
                                    .lineIntegrals(sim.projections(0, sim.projections()));
      const VolumeStack reference = sirtReference(sim.geometry(), p, o.referenceIterations);
      std::vector<int> order(sim.projections());
      std::iota(order.begin(), order.end(), 0);  // already in acquisition (interlaced) order
      for (int iterations : o.iterations)
        scoreStreaming(phantomKindName(kind), sim.geometry(), p, order, window, iterations,
                       o.rotations, reference, denoiser, o.method, images ? &*images : nullptr,
                       result);
    }
    ++phantomIndex;
  }
  for (const std::string& path : o.realScans) {
    const RawScan raw = readScan(path);
    const PreparedScan scan = prepareScan(raw);
    const std::optional<double> stated = raw.statedCentre();  // as `recon` takes it
    const double centre =
        stated ? *stated : chooseCentre(scan.lineIntegrals, scan.anglesRad).centre;
    const ParallelGeometry g =
        ParallelGeometry::make(scan.anglesRad, centre, scan.lineIntegrals.columns());
    const VolumeStack reference = sirtReference(g, scan.lineIntegrals, o.referenceIterations);
    const std::string name = std::filesystem::path(path).stem().string();
    for (int iterations : o.iterations)
      scoreStreaming(name, g, scan.lineIntegrals, interlacedOrder(scan.lineIntegrals.projections()),
                     o.realWindow, iterations, {o.realRotations}, reference, denoiser, o.method,
                     images ? &*images : nullptr, result);
  }
  if (images) images->commit();
  return result;
}

std::string formatQualityEvaluation(const QualityResult& r) {
  std::ostringstream out;
  out << "Enhancer: " << r.enhancer << ". SSIM and PSNR against SIRT-100 over all projections.\n\n"
      << "| scan | W | I | R | projections | SSIM streaming | SSIM enhanced | PSNR streaming (dB) "
         "| "
         "PSNR enhanced (dB) | SSIM gain |\n|---|---|---|---|---|---|---|---|---|---|\n";
  char line[256];
  int raised = 0;
  for (const auto& c : r.cells) {
    std::snprintf(line, sizeof line,
                  "| %s | %d | %d | %d | %d | %.3f | %.3f | %.2f | %.2f | %+.3f%s |\n",
                  c.scan.c_str(), c.window, c.iterations, c.rotations, c.projectionsUsed,
                  c.ssimBefore, c.ssimAfter, c.psnrBefore, c.psnrAfter, c.ssimAfter - c.ssimBefore,
                  c.ssimAfter > c.ssimBefore ? "" : " (no gain)");
    out << line;
    raised += c.ssimAfter > c.ssimBefore;
  }
  std::snprintf(line, sizeof line, "\nEnhancement raised SSIM in %d of %zu cells.\n", raised,
                r.cells.size());
  out << line;
  return out.str();
}

}  // namespace tomolive

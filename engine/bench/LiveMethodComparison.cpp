#include "bench/LiveMethodComparison.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "io/ScanFile.h"
#include "metrics/ImageMetrics.h"
#include "preprocess/CentreFinder.h"
#include "preprocess/ScanPreparation.h"
#include "sim/Acquisition.h"
#include "timing/Timing.h"

namespace tomolive {

namespace {

// SIRT-K from zero over the listed projections (line integrals `p`, angles of all of them).
VolumeStack sirtReference(const ProjectionStack& p, const std::vector<double>& angles,
                          std::span<const int> which, double centre, int iterations,
                          ComputeBackend backend) {
  const ParallelGeometry g{angles, centre, p.columns(), p.columns()};
  const auto solver = makeSirt(backend, p.columns(), p.slices(), {.circularMask = true});
  solver->iterate(g, p, which, iterations);
  return solver->estimate();
}

}  // namespace

std::vector<MethodCandidate> parseMethodCandidates(const std::string& text) {
  std::vector<MethodCandidate> out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    const auto colon = item.find(':');
    MethodCandidate c;
    c.method = parseLiveMethod(item.substr(0, colon));
    if (colon != std::string::npos) {
      const std::string number = item.substr(colon + 1);
      if (number.empty() || number.size() > 4 ||
          number.find_first_not_of("0123456789") != std::string::npos || std::stoi(number) < 1)
        throw std::invalid_argument("candidate \"" + item +
                                    "\": iterations must be a whole number from 1 to 9999");
      c.iterations = std::stoi(number);
    }
    out.push_back(c);
  }
  if (out.empty()) throw std::invalid_argument("no candidate methods given");
  return out;
}

MethodComparison compareLiveMethods(const MethodComparisonOptions& o) {
  if (!(o.fraction > 0.0 && o.fraction <= 1.0))
    throw std::invalid_argument("fraction " + std::to_string(o.fraction) + " must lie in (0, 1]");
  const RawScan raw = readScan(o.path, o.rows);
  const PreparedScan scan = prepareScan(raw);
  const ProjectionStack& p = scan.lineIntegrals;
  MethodComparison result;
  result.scan = std::filesystem::path(o.path).filename().string();
  result.projections = p.projections(), result.slices = p.slices(), result.columns = p.columns();
  if (o.window < 1 || o.window > p.projections())
    throw std::invalid_argument("window " + std::to_string(o.window) + " must lie in 1 … " +
                                std::to_string(p.projections()) + " (the scan's projections)");
  // Given, else the file's, else chosen as `recon` and a live session choose it.
  if (o.centre)
    result.centre = *o.centre;
  else if (const std::optional<double> stated = raw.statedCentre())
    result.centre = *stated;
  else
    result.centre = chooseCentre(p, scan.anglesRad).centre;

  std::vector<int> order(p.projections());
  std::iota(order.begin(), order.end(), 0);
  if (o.interlaced) order = interlacedReplayOrder(scan.anglesRad, o.window);
  const int cut = std::max(1, int(std::lround(o.fraction * p.projections())));
  result.received = cut;
  const std::span<const int> received(order.data(), std::size_t(cut));
  const int k = o.referenceIterations;
  result.referenceIterations = k;
  const VolumeStack full = sirtReference(p, scan.anglesRad, order, result.centre, k, o.backend);
  const VolumeStack converged =
      sirtReference(p, scan.anglesRad, received, result.centre, k, o.backend);
  const FieldOfViewScore cost = scoreInFieldOfView(converged, full);
  result.ssimReceivedVsFull = cost.ssim, result.psnrReceivedVsFull = cost.psnr;
  result.ssimSampleReceivedVsFull = cost.ssimSample;
  result.sampleShare = scoreInFieldOfView(converged, converged).sampleShare;

  // The images replace --images only once every one is written.
  std::optional<ReconstructionFileWriter> images;
  if (!o.imagesPath.empty()) images.emplace(o.imagesPath);
  const int middle = p.slices() / 2, n = p.columns();
  const auto save = [&](const VolumeStack& v, const std::string& name,
                        std::map<std::string, Attribute> attributes) {
    if (images) images->add({v.slice(middle), 1, n, std::move(attributes)}, name);
  };
  save(full, "/reference_full", {{"iterations", std::int64_t(k)}});
  save(converged, "/reference_received", {{"iterations", std::int64_t(k)}});

  for (const MethodCandidate& c : o.candidates) {
    LiveReconstruction live(n, p.slices(), n, result.centre,
                            {.method = c.method, .targetIterations = k, .backend = o.backend});
    // What every candidate ran on (its description is "<method> on <projector>").
    const std::string description = live.description();
    const std::size_t on = description.find(" on ");
    result.compute = on == std::string::npos ? description : description.substr(on + 4);
    std::vector<double> refresh;
    for (const LiveUpdate& u :
         replayInWindows(live, p, scan.anglesRad, received, o.window, c.iterations))
      refresh.push_back(u.seconds);
    const VolumeStack image = live.estimate();
    MethodScore s;
    s.candidate = c;
    s.updates = live.updates(), s.received = cut;
    const FieldOfViewScore vsReceived = scoreInFieldOfView(image, converged),
                           vsFull = scoreInFieldOfView(image, full);
    s.ssimReceived = vsReceived.ssim, s.psnrReceived = vsReceived.psnr;
    s.ssimFull = vsFull.ssim, s.psnrFull = vsFull.psnr;
    s.ssimSampleReceived = vsReceived.ssimSample, s.ssimSampleFull = vsFull.ssimSample;
    s.medianRefresh = median(refresh), s.lastRefresh = refresh.back();
    result.scores.push_back(s);
    save(image, std::string("/") + liveMethodName(c.method) + "_I" + std::to_string(c.iterations),
         {{"ssim_received", s.ssimReceived}, {"ssim_full", s.ssimFull}});
  }
  if (images) images->commit();
  return result;
}

std::string formatMethodComparison(const MethodComparison& r) {
  std::ostringstream out;
  char line[320];
  std::snprintf(line, sizeof line,
                "%s: %d of %d projections received (%d slices × %d columns, centre %.2f), on %s\n"
                "SIRT-%d over the received against SIRT-%d over all: SSIM %.3f (sample %.3f), "
                "PSNR %.2f dB; the sample covers %.0f %% of the field of view\n\n",
                r.scan.c_str(), r.received, r.projections, r.slices, r.columns, r.centre,
                r.compute.c_str(), r.referenceIterations, r.referenceIterations,
                r.ssimReceivedVsFull, r.ssimSampleReceivedVsFull, r.psnrReceivedVsFull,
                100.0 * r.sampleShare);
  out << line;
  out << "| method | I | updates | SSIM vs converged on received | sample | PSNR (dB) | SSIM vs "
         "full scan | sample | PSNR (dB) | refresh median (s) | last refresh (s) |\n"
         "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const MethodScore& s : r.scores) {
    std::snprintf(line, sizeof line,
                  "| %s | %d | %d | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f | %.3f | %.3f |\n",
                  liveMethodName(s.candidate.method), s.candidate.iterations, s.updates,
                  s.ssimReceived, s.ssimSampleReceived, s.psnrReceived, s.ssimFull,
                  s.ssimSampleFull, s.psnrFull, s.medianRefresh, s.lastRefresh);
    out << line;
  }
  return out.str();
}

}  // namespace tomolive

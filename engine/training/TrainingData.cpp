#include "training/TrainingData.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <stdexcept>

#include "io/DataExchange.h"
#include "pipeline/LiveReconstruction.h"
#include "preprocess/FlatDarkCorrection.h"
#include "projector/JosephProjector.h"
#include "sim/ScanSimulator.h"
#include "sirt/SirtSolver.h"

namespace tomolive {

namespace {

// The seed's setting, used for every other scan.
constexpr int kSeedWindow = 32, kSeedIterations = 1, kSeedRotations = 5;

template <class T>
T pick(const std::vector<T>& list, std::mt19937_64& rng) {
  return list[std::uniform_int_distribution<std::size_t>(0, list.size() - 1)(rng)];
}

bool usesV1Draw(const TrainingDataOptions& o) {
  return o.draw.empty() ? parseLiveMethod(o.method) == LiveMethod::window : o.draw == "v1";
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

void validate(const TrainingDataOptions& o) {
  const auto fail = [](const std::string& what) {
    throw std::invalid_argument("training data: " + what);
  };
  if (o.scans < 1) fail("scans " + std::to_string(o.scans) + " must be ≥ 1");
  if (o.size < 16 || o.slices < 3)
    fail("scans of " + std::to_string(o.size) + "² × " + std::to_string(o.slices) +
         " are too small (need ≥ 16² × 3 slices: the network takes 3 adjacent slices)");
  if (o.windows.empty() || o.iterations.empty() || o.photons.empty())
    fail("the window, iteration and photon lists must not be empty");
  if (o.minInputProjections < 1 || o.maxInputProjections < o.minInputProjections ||
      o.maxInputProjections > o.projections)
    fail("input projections " + std::to_string(o.minInputProjections) + "," +
         std::to_string(o.maxInputProjections) +
         " (--input-projections min,max) must satisfy 1 ≤ "
         "min ≤ max ≤ the scan's projections (" +
         std::to_string(o.projections) + ")");
  const bool drawsProjections = o.projectionsMax > 0;
  if (drawsProjections && !(o.projectionsMin >= 16 && o.projectionsMin <= o.projectionsMax))
    fail("projection range " + std::to_string(o.projectionsMin) + " … " +
         std::to_string(o.projectionsMax) + " must satisfy 16 ≤ min ≤ max");
  if (drawsProjections != (o.maxInputFraction > 0))
    fail("a drawn projection count and an input fraction go together (one without the other)");
  if (o.maxInputFraction > 0 &&
      !(o.minInputFraction > 0 && o.minInputFraction <= o.maxInputFraction &&
        o.maxInputFraction <= 1))
    fail("input fraction " + number(o.minInputFraction) + " … " + number(o.maxInputFraction) +
         " must satisfy 0 < min ≤ max ≤ 1");
  for (int w : o.windows)
    if (w < 1 || (!drawsProjections && w > o.maxInputProjections))
      fail("window " + std::to_string(w) + " must lie in 1 … max input projections");
  parseLiveMethod(o.method);
  if (!o.draw.empty() && o.draw != "v1" && o.draw != "independent")
    fail("draw '" + o.draw + "' is neither v1 nor independent");
  if (!(o.tubeFraction >= 0 && o.tubeFraction <= 1))
    fail("tube fraction " + std::to_string(o.tubeFraction) + " must lie in 0 … 1");
  for (const auto& [name, share] :
       {std::pair{"ring", o.ringFraction}, std::pair{"zinger", o.zingerFraction},
        std::pair{"truncation", o.truncationFraction},
        std::pair{"small sample", o.smallSampleFraction}})
    if (!(share >= 0 && share <= 1))
      fail(std::string(name) + " fraction " + std::to_string(share) + " must lie in 0 … 1");
  const bool imperfect = o.ringFraction > 0 || o.zingerFraction > 0 || o.truncationFraction > 0 ||
                         o.smallSampleFraction > 0;
  if ((drawsProjections || o.tubeFraction > 0 || imperfect) && usesV1Draw(o))
    fail("a drawn projection count, a sample tube or detector imperfections need the independent "
         "draw");
  if (usesV1Draw(o) && kSeedWindow * kSeedRotations > o.projections)
    fail("the full scan must hold the seed's 5 rotations of 32 projections");
  if (o.photonsMax > 0 && !(o.photonsMin > 0 && o.photonsMin <= o.photonsMax))
    fail("photon range " + number(o.photonsMin) + " … " + number(o.photonsMax) +
         " must satisfy 0 < min ≤ max");
  for (int n : o.sizes)
    if (n < 16 || n > 4096) fail("grid size " + std::to_string(n) + " must lie in 16 … 4096");
  if (!usesV1Draw(o)) {
    if (o.phantoms.empty()) fail("the phantom list must not be empty");
    for (const auto& name : o.phantoms) parsePhantomKind(name);
  }
}

ScanSpec scanFor(const TrainingDataOptions& o, const TrainingScanSpec& draw) {
  ScanSpec s;
  s.phantom = parsePhantomKind(draw.phantom);
  s.size = draw.size;
  s.slices = o.slices;
  s.acquisition = {AcquisitionOrder::Interlaced, draw.projections, draw.window};
  s.photons = draw.photons;
  s.seed = draw.seed;
  s.tube = draw.tube;
  s.rings = draw.rings;
  s.zingers = draw.zingers;
  s.truncation = draw.truncation;
  s.sampleScale = draw.sampleScale;
  return s;
}

}  // namespace

TrainingScanSpec drawTrainingScan(const TrainingDataOptions& o, int k) {
  validate(o);
  std::mt19937_64 rng(o.seed * 7919 + std::uint64_t(k));
  TrainingScanSpec d;
  d.seed = o.seed + std::uint64_t(k);
  d.projections = o.projections;
  if (!usesV1Draw(o)) {
    d.phantom = o.phantoms[std::size_t(k) % o.phantoms.size()];
    d.size = o.sizes.empty() ? o.size : pick(o.sizes, rng);
    d.photons = o.photonsMax > 0 ? std::round(std::exp(std::uniform_real_distribution<double>(
                                       std::log(o.photonsMin), std::log(o.photonsMax))(rng)))
                                 : pick(o.photons, rng);
    d.window = pick(o.windows, rng);
    d.iterations = pick(o.iterations, rng);
    int minInput = o.minInputProjections, maxInput = o.maxInputProjections;
    if (o.projectionsMax > 0) {  // drawn after the v2/v3 draws, so those stay reproducible
      d.projections = int(std::round(std::exp(std::uniform_real_distribution<double>(
          std::log(o.projectionsMin), std::log(o.projectionsMax))(rng))));
      d.window = std::min(d.window, d.projections);
      minInput = std::max(1, int(std::round(o.minInputFraction * d.projections)));
      maxInput = std::max(minInput, int(std::round(o.maxInputFraction * d.projections)));
    }
    if (o.tubeFraction > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < o.tubeFraction)
      d.tube = std::uniform_real_distribution<double>(0.5, 3.0)(rng);
    const int lo = std::max(1, (minInput + d.window - 1) / d.window);
    const int hi = std::max(lo, maxInput / d.window);
    d.rotations = std::min(std::uniform_int_distribution<int>(lo, hi)(rng),
                           (d.projections + d.window - 1) / d.window);
    // v6's imperfections, drawn last and only when asked for: earlier recipes stay reproducible.
    const auto chance = [&rng](double share) {
      return share > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < share;
    };
    if (chance(o.ringFraction)) d.rings = std::uniform_real_distribution<double>(0.002, 0.02)(rng);
    if (chance(o.zingerFraction))
      d.zingers = std::exp(std::uniform_real_distribution<double>(std::log(1e-5), std::log(1e-3))(rng));
    if (chance(o.truncationFraction))
      d.truncation = std::uniform_real_distribution<double>(0.1, 0.6)(rng);
    if (chance(o.smallSampleFraction) && d.truncation == 0)  // v9, after v6's draws
      d.sampleScale = std::uniform_real_distribution<double>(0.3, 0.7)(rng);
    return d;
  }
  d.size = o.size;
  d.phantom = k % 2 == 0 ? "glass" : "shale";
  d.photons = pick(o.photons, rng);
  if (k % 2 == 0) {
    d.window = kSeedWindow, d.iterations = kSeedIterations, d.rotations = kSeedRotations;
  } else {
    d.window = pick(o.windows, rng);
    d.iterations = pick(o.iterations, rng);
    const int lo = std::max(1, (o.minInputProjections + d.window - 1) / d.window);
    const int hi = std::max(lo, o.maxInputProjections / d.window);
    d.rotations = std::uniform_int_distribution<int>(lo, hi)(rng);
  }
  return d;
}

void to_json(nlohmann::json& j, const TrainingDataOptions& o) {
  j = {{"scans", o.scans},
       {"size", o.size},
       {"slices", o.slices},
       {"seed", o.seed},
       {"projections", o.projections},
       {"target_iterations", o.targetIterations},
       {"windows", o.windows},
       {"iterations", o.iterations},
       {"min_input_projections", o.minInputProjections},
       {"max_input_projections", o.maxInputProjections},
       {"photons", o.photons},
       {"method", o.method},
       {"photons_range", {o.photonsMin, o.photonsMax}},
       {"sizes", o.sizes},
       {"phantoms", o.phantoms}};
  if (o.projectionsMax > 0) {  // v4 keys only when used: earlier recipes' data stay identical
    j["projections_range"] = {o.projectionsMin, o.projectionsMax};
    j["input_fraction"] = {o.minInputFraction, o.maxInputFraction};
  }
  if (o.tubeFraction > 0) j["tube_fraction"] = o.tubeFraction;
  if (o.ringFraction > 0) j["ring_fraction"] = o.ringFraction;
  if (o.zingerFraction > 0) j["zinger_fraction"] = o.zingerFraction;
  if (o.truncationFraction > 0) j["truncation_fraction"] = o.truncationFraction;
  if (o.smallSampleFraction > 0) j["small_sample_fraction"] = o.smallSampleFraction;
}

void writeTrainingData(const TrainingDataOptions& o, const std::string& path,
                       const std::function<void(int, const TrainingScanSpec&)>& progress) {
  validate(o);
  const nlohmann::json recipe = o;
  const LiveMethod method = parseLiveMethod(o.method);
  ReconstructionFileWriter file(path);  // replaces `path` once every pair is written
  for (int k = 0; k < o.scans; ++k) {
    const TrainingScanSpec draw = drawTrainingScan(o, k);
    const ScanSimulator sim(scanFor(o, draw));
    const int n = draw.size, slices = o.slices, total = sim.projections();
    const ProjectionStack all = FlatDarkCorrection(sim.flats(), sim.darks(), slices, n)
                                    .lineIntegrals(sim.projections(0, total));

    // Input: the live reconstruction over the first R windows, one update per window as a
    // session runs it. `filtered` computes each update afresh from everything received, so only
    // its last update is run (the same image, R times cheaper).
    const double centre = sim.geometry().centre;
    LiveReconstruction streaming(n, slices, n, centre,
                                 {.method = method, .targetIterations = o.targetIterations});
    const auto& angles = sim.geometry().anglesRad;
    for (int r = 0; r < draw.rotations; ++r) {
      const int first = r * draw.window, count = std::min(draw.window, total - first);
      ProjectionStack window(count, slices, n);
      for (int p = 0; p < count; ++p) window.setProjection(p, all.projection(first + p));
      streaming.receive(window, {angles.data() + first, std::size_t(count)});
      if (method != LiveMethod::filtered || r + 1 == draw.rotations)
        streaming.update(draw.iterations);
    }

    // Target: SIRT-100 over every projection of the scan.
    const JosephProjector projector(sim.geometry());
    SirtSolver full(n, slices, {.circularMask = true});
    std::vector<int> everything(total);
    std::iota(everything.begin(), everything.end(), 0);
    full.iterate(projector, all, everything, o.targetIterations);

    char group[32];
    std::snprintf(group, sizeof group, "/scans/%04d", k);
    const std::map<std::string, Attribute> attributes = {
        {"phantom", draw.phantom},
        {"method", o.method},
        {"size", std::int64_t(draw.size)},
        {"window", std::int64_t(draw.window)},
        {"iterations", std::int64_t(draw.iterations)},
        {"rotations", std::int64_t(draw.rotations)},
        {"photons", draw.photons},
        {"seed", std::int64_t(draw.seed)},
        {"target_iterations", std::int64_t(o.targetIterations)},
        {"projections", std::int64_t(total)},
        {"tube", draw.tube},
        {"rings", draw.rings},
        {"zingers", draw.zingers},
        {"truncation", draw.truncation},
        {"sample_scale", draw.sampleScale},
        {"recipe", recipe.dump()},
        {"units", std::string("attenuation per pixel")}};
    file.add({streaming.estimate().toSliceMajor(), slices, n, attributes},
             std::string(group) + "/input");
    file.add({full.estimate().toSliceMajor(), slices, n, attributes},
             std::string(group) + "/target");
    if (progress) progress(k, draw);
  }
  file.commit();
}

}  // namespace tomolive

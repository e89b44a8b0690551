#pragma once
// Training pairs for TomoGAN, made with the project's own simulator and reconstructors: input =
// the live reconstruction's image (pipeline/LiveReconstruction.h, method `method`) after R
// interlaced windows of W projections with I iterations per update, computed as a session does;
// target = SIRT with 100 iterations over all projections of the same noisy scan.
//
// Two draws, both reproducible from the seed (`draw`; by default v1 for the window method, the
// independent draw for the others):
// - v1 (recipe v1, kept bit-identical so v1 stays reproducible): phantoms alternate
//   glass and shale; every glass scan at the seed's setting (W = 32, I = 1, R = 5), shale draws
//   W, I and R from the lists; photons from `photons`; one grid size.
// - independent (recipes v2, v3): phantoms cycle through `phantoms`, the grid size is drawn from
//   `sizes`, photons log-uniformly from [photonsMin, photonsMax] (when set, else from the list),
//   and W, I, R for every scan, independently of the phantom. Optionally (recipe v4) the full
//   scan's projection count too, log-uniformly from [projectionsMin, projectionsMax] — real scans
//   are often angularly under-sampled, so their SIRT-100 reference keeps streaks — with R·W a
//   fraction of it drawn from [minInputFraction, maxInputFraction], and a share of the scans in
//   a sample tube. And (recipe v6) shares of scans with the detector and sample imperfections of
//   real scans (sim/ScanSimulator.h): rings, zingers, a truncated field of view.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tomolive {

struct TrainingDataOptions {
  std::string method = "filtered";  ///< the live method whose images are the inputs
  std::string draw;  ///< "v1" or "independent"; empty: v1 for the window method, else independent
  int scans = 48;
  int size = 256;  ///< detector width = grid N
  int slices = 8;  ///< detector rows = slices per scan
  std::uint64_t seed = 1000;
  int projections = 480;  ///< the full scan (the target uses all of them)
  int targetIterations = 100;
  std::vector<int> windows{16, 32, 64};
  std::vector<int> iterations{1, 2, 5};
  int minInputProjections = 64;  ///< R·W of the drawn inputs lies in [min, max]
  int maxInputProjections = 256;
  std::vector<double> photons{3e3, 1e4, 3e4};
  double photonsMin = 0, photonsMax = 0;  ///< v2: log-uniform range when photonsMax > 0
  std::vector<int> sizes;                 ///< v2: grid sizes to draw from (empty: {size})
  std::vector<std::string> phantoms{"glass", "shale", "shepp-logan"};  ///< v2 cycle
  int projectionsMin = 0, projectionsMax = 0;  ///< v4: full scan drawn when projectionsMax > 0
  double minInputFraction = 0, maxInputFraction = 0;  ///< v4: R·W / projections, when max > 0
  double tubeFraction = 0;  ///< v4: share of scans in a sample tube (ScanSpec::tube, 0.5 … 3)
  double ringFraction = 0;  ///< v6: share of scans with rings (ScanSpec::rings, 0.002 … 0.02)
  /// v6: share of scans with zingers (ScanSpec::zingers, log-uniform 10⁻⁵ … 10⁻³)
  double zingerFraction = 0;
  /// v6: share of scans whose sample is wider than the detector (ScanSpec::truncation, 0.1 … 0.6)
  double truncationFraction = 0;
  /// v9: share of scans whose sample is small in a wide field of view, air around it
  /// (ScanSpec::sampleScale 0.3 … 0.7; a tooth fills 16 % of its circle); never truncated too
  double smallSampleFraction = 0;
};

/// The recipe: every option but the draw, as stored (and hashed) with the training data.
void to_json(nlohmann::json& j, const TrainingDataOptions& options);

/// One scan's draw (the recipe applied to scan k).
struct TrainingScanSpec {
  std::string phantom;
  int size = 0;
  int window = 0, iterations = 0, rotations = 0;
  double photons = 0;
  int projections = 0;  ///< the full scan
  double tube = 0;      ///< ScanSpec::tube
  double rings = 0, zingers = 0, truncation = 0;  ///< ScanSpec's imperfections
  double sampleScale = 1;                         ///< ScanSpec::sampleScale
  std::uint64_t seed = 0;
};

TrainingScanSpec drawTrainingScan(const TrainingDataOptions& options, int k);

/// Writes /scans/NNNN/input and /scans/NNNN/target (slices × N × N float32) with the draw as
/// attributes of each, and the options as attributes of /scans/0000/input's siblings' parent.
/// `progress(k, spec)` is called after each scan.
void writeTrainingData(const TrainingDataOptions& options, const std::string& path,
                       const std::function<void(int, const TrainingScanSpec&)>& progress = {});

}  // namespace tomolive

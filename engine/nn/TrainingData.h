#pragma once
// Training pairs for TomoGAN, made with the project's own simulator and reconstructors, as the
// seed did: input = streaming SIRT (W projections per window, I iterations per window, after R
// interlaced rotations), target = SIRT with 100 iterations over all projections of the same
// noisy scan. Half of the scans use the seed's setting (W = 32, I = 1, R = 5); the others draw W,
// I and R from the given lists so the model generalises. Phantoms alternate glass and shale with
// random parameters; the photon count is drawn from a list (several noise levels). Everything
// follows from the seed, so the set can be regenerated exactly.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tomolive {

struct TrainingDataOptions {
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
};

/// One scan's draw (the recipe applied to scan k).
struct TrainingScanSpec {
  std::string phantom;
  int window = 0, iterations = 0, rotations = 0;
  double photons = 0;
  std::uint64_t seed = 0;
};

TrainingScanSpec drawTrainingScan(const TrainingDataOptions& options, int k);

/// Writes /scans/NNNN/input and /scans/NNNN/target (slices × N × N float32) with the draw as
/// attributes of each, and the options as attributes of /scans/0000/input's siblings' parent.
/// `progress(k, spec)` is called after each scan.
void writeTrainingData(const TrainingDataOptions& options, const std::string& path,
                       const std::function<void(int, const TrainingScanSpec&)>& progress = {});

}  // namespace tomolive

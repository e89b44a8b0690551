#pragma once
// `tomolive-cli bench stream`: the seed's refresh-time table on a scaled problem. For each method,
// window W and iteration count I, interlaced windows of a simulated glass scan are preprocessed
// and reconstructed exactly as the live pipeline does (pipeline/LiveReconstruction.h); the
// refresh time is the median time of one update and the sustained rate W / refresh. The seed's
// sliding-window SIRT (`window`) is the reference; methods over everything received cost more
// per update as projections accumulate, so their refresh depends on `updates`.
#include <string>

#include <vector>

#include "backend/ComputeBackend.h"
#include "pipeline/LiveReconstruction.h"

namespace tomolive {

struct StreamBenchOptions {
  int size = 512;
  int slices = 16;
  int projections = 1500;
  std::vector<int> windows{16, 32, 64, 128, 256};
  std::vector<int> iterations{1, 5, 10};
  std::vector<LiveMethod> methods{LiveMethod::window};
  int updates = 3;  ///< timed updates per cell (after one untimed warm-up update)
  /// cuda: the estimate stays on the GPU; each update uploads the window's line integrals.
  ComputeBackend backend = ComputeBackend::cpu;
};

struct StreamBenchCell {
  LiveMethod method = LiveMethod::window;
  int window = 0, iterations = 0;
  double refreshSeconds = 0;    ///< median over the timed updates
  double sustainedPps = 0;      ///< window / refreshSeconds
  double updatesPerSecond = 0;  ///< ray-pixel updates per second achieved inside the update
};

struct StreamBenchResult {
  StreamBenchOptions options;
  std::string projector;
  std::vector<StreamBenchCell> cells;
};

StreamBenchResult runStreamBenchmark(const StreamBenchOptions& options);
std::string formatStreamBenchmark(const StreamBenchResult& result);

}  // namespace tomolive

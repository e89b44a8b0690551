#pragma once
// `tomolive-cli bench stream`: the seed's refresh-time table on a scaled problem. For each method,
// window W and iteration count I, interlaced windows of a simulated glass scan are preprocessed
// and reconstructed exactly as the live pipeline does (pipeline/LiveReconstruction.h); the
// refresh time is the median time of one update and the sustained rate W / refresh. The seed's
// sliding-window SIRT (`window`) is the reference; methods over everything received cost more
// per update as projections accumulate, so their refresh depends on `updates`.
//
// With detector rates (`--auto-steer RATES`) the bench runs live sessions instead
// (pipeline/StreamingSession.h) on the paced simulator — a glass scan of the bench's grid, slices
// and projections, interlaced — one per method and rate, with auto-steering at the target refresh
// (pipeline/AutoSteering.h) and, as the reference, with the first W and I held fixed. Each row:
// the W and I in force at the end, the worst lag (projections received but not yet consumed, in
// windows) and the worst and median refresh over the updates after the first 3 (the last update,
// which takes what the end of the scan left, is not a steady state).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/ComputeBackend.h"
#include "pipeline/LiveReconstruction.h"
#include "pipeline/RowShare.h"

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
  std::vector<double> autoSteerRates;  ///< detector proj/s: live sessions instead of the table
  double targetRefreshSeconds = 1.0;   ///< the auto-steering's target
  /// The table's reconstructions shared by rows over this team (e.g. `mpirun -np N tomolive-cli
  /// bench stream`); null: this process alone.
  std::shared_ptr<RowTeam> rowTeam;
};

struct StreamBenchCell {
  LiveMethod method = LiveMethod::window;
  int window = 0, iterations = 0;
  double refreshSeconds = 0;    ///< median over the timed updates
  double sustainedPps = 0;      ///< window / refreshSeconds
  double updatesPerSecond = 0;  ///< ray-pixel updates per second achieved inside the update
  /// Median over the timed updates of the update's rate over the 64-projection rate timed right
  /// after it (StreamBenchResult::rate64); 0 with a row team.
  double shareOf64 = 0;
  /// With a row team: the median per update of the leader's time in team calls, split as
  /// pipeline/RowShare.h's TeamTimes (rows out, sums, slices back).
  std::optional<TeamTimes> teamSeconds;
};

struct AutoSteerBenchRow {
  LiveMethod method = LiveMethod::filtered;
  double rate = 0.0;       ///< detector projections per second
  bool automatic = false;  ///< auto-steered, or the fixed W and I
  int updates = 0;
  int window = 0, iterations = 0;  ///< in force at the last steady update
  double worstLagWindows = 0.0, worstRefreshSeconds = 0.0, medianRefreshSeconds = 0.0;
  std::string reason;  ///< the auto-steering's, for its last steady update
};

struct StreamBenchResult {
  StreamBenchOptions options;
  std::string projector;
  /// The projector's rate (ray-pixel updates/s) over one forward and one back projection of 64
  /// evenly spread projections of the same grid and slices, timed after each timed update (the
  /// median here): what an update's work rate is compared with. 0 with a row team (no process
  /// holds the whole volume).
  double rate64 = 0;
  std::vector<StreamBenchCell> cells;
  std::vector<AutoSteerBenchRow> autoSteer;  ///< with rates: the sessions (no cells)
};

/// Throws std::invalid_argument for a rate or target refresh that is not positive.
StreamBenchResult runStreamBenchmark(const StreamBenchOptions& options);
std::string formatStreamBenchmark(const StreamBenchResult& result);

}  // namespace tomolive

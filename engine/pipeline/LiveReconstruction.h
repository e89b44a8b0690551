#pragma once
// The live reconstruction: each update takes the projections that arrived since the last one and
// refreshes the image, by one of these methods (`--method`):
//
// - filtered (default): the image of everything received so far that SIRT-K (K = target
//   iterations, 100 by default) would give, computed afresh at each update in 1 + I steps of
//   filtered SIRT (sirt/SirtFilter.h), each standing for K/(1 + I) plain iterations: a start
//   from zero, which costs one back projection, then I corrections on the true residual (a
//   forward and a back projection each). I = 1 costs 1.5 SIRT iterations over the received
//   projections. The image depends only on the received projections, not on how they were
//   split into windows, so it never drifts from the SIRT-K image over a long scan.
// - cgls: I CGLS iterations over everything received, warm-started from the previous image.
// - sirt: I plain SIRT iterations over everything received, warm-started.
// - window: the seed's sliding-window SIRT (Trace): I iterations over the rays of the newest
//   window only, warm-started. The reference the others are measured by.
//
// Every method but `window` keeps every received projection's line integrals (the rows
// reconstructed), so a centre change applies to all of them at the next update, the centre can
// be estimated from all of them, and a sequential scan shows all the angles received so far
// rather than the last wedge; `window` holds only the newest window (the one the next update
// uses, or after an update the one it used, until new projections arrive).
// Non-negativity and the circular mask apply to every method.
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/ComputeBackend.h"
#include "geometry/SliceStacks.h"
#include "nn/EnhancementGuard.h"
#include "nn/SampleSupport.h"
#include "sirt/Sirt.h"

namespace tomolive {

class RowShare;
class RowTeam;
class SirtSolver;

enum class LiveMethod { filtered, cgls, sirt, window };

/// "filtered", "cgls", "sirt" or "window"; throws std::invalid_argument naming the text otherwise.
LiveMethod parseLiveMethod(std::string_view text);
const char* liveMethodName(LiveMethod method);

struct LiveOptions {
  LiveMethod method = LiveMethod::filtered;
  /// filtered: the plain SIRT iterations each update's image stands for (the offline default).
  int targetIterations = 100;
  SirtOptions sirt{.circularMask = true};
  ComputeBackend backend = ComputeBackend::cpu;  ///< resolved: cpu or cuda
};

struct LiveUpdate {
  int update = 0;       ///< 1 for the first window
  int projections = 0;  ///< new projections in this update
  int used = 0;         ///< projections the update computed with (all received, or the window)
  int iterations = 0;
  double seconds = 0.0;  ///< wall time of the reconstruction work
  double dataNorm = 0.0;  ///< ‖p‖ over the projections used
  std::vector<SirtIteration> history;
  /// ‖p − A·x‖ / ‖p‖ over the projections used, at the start of the last iteration (the data
  /// residual the update measured anyway); none when nothing was used or p is zero.
  std::optional<double> relativeResidual;
};

class LiveReconstruction {
 public:
  /// `backend` must be resolved. On CUDA the projector runs on the GPU (for `window` and `sirt`
  /// the estimate also stays there between updates). With a `team` of more than one member
  /// (pipeline/RowTeam.h; this process its leader) the solving is split by rows over the team
  /// (pipeline/RowShare.h) and gives what one process gives, to float rounding.
  LiveReconstruction(int gridSize, int slices, int columns, double centre,
                     LiveOptions options = {}, std::shared_ptr<RowTeam> team = nullptr);
  ~LiveReconstruction();
  LiveReconstruction(const LiveReconstruction&) = delete;
  LiveReconstruction& operator=(const LiveReconstruction&) = delete;

  /// Takes new line integrals (window.projections() projections at `anglesRad`); the next
  /// update() uses them.
  void receive(const ProjectionStack& window, std::span<const double> anglesRad);
  /// Runs `iterations` iterations (I ≥ 1) of the method over what it uses: the projections
  /// received since the last update (window), or all received. An update without new
  /// projections does more work on what was received (e.g. after the scan ended).
  LiveUpdate update(int iterations);
  /// The finishing pass after the scan's end: plain SIRT, `iterations` of them from zero over
  /// everything received — what `recon` computes from the same projections — or, not
  /// `fromZero`, warm-started from the live image (the closing polish: a few clamped iterations
  /// take the air around a sample to where `recon` leaves it, which the filtered method's few
  /// large steps do not). Shared with other processes, every one runs it on its rows. Not for
  /// the window method (it keeps its newest window only: std::logic_error).
  LiveUpdate finish(int iterations, bool fromZero = true);

  VolumeStack estimate() const;
  /// The estimate copied into `into`, reusing its memory when it has the estimate's shape.
  void readEstimate(VolumeStack& into) const;
  /// The estimate without a copy where the method keeps it in this process's memory (the
  /// solver then steps into another buffer while it is held: Sirt::sharedEstimate), else null.
  std::shared_ptr<const VolumeStack> sharedEstimate() const;
  /// Only the listed slices, as row-major gridSize² images one after the other.
  std::vector<float> slices(std::span<const int> which) const;
  int sliceCount() const;
  int gridSize() const { return m_gridSize; }
  /// "filtered SIRT-100 on CPU Joseph (AVX-512, 2 threads)"
  std::string description() const;
  const LiveOptions& options() const { return m_options; }
  double centre() const { return m_centre; }
  /// A new centre applies from the next update on (to every projection held).
  void setCentre(double centre);
  /// Forgets the estimate (warm-started methods start again from zero at the next update), e.g.
  /// after a centre far from the one the estimate was built with.
  void restart();
  int updates() const { return m_updates; }
  /// For the rows of a team member: the inner products CGLS steps by are summed over the team
  /// with `total` (local value in, the team's sum out), so its steps are the whole volume's.
  void sumOverRowsWith(std::function<double(double)> total) { m_rowTotal = std::move(total); }
  /// The row team's side of this reconstruction (its blocks, the time spent in its calls), or
  /// null when it runs in this process alone.
  const RowShare* rowShare() const { return m_share.get(); }
  /// What is held (everything received so far; for `window` the newest window): line integrals (capacity may exceed receivedCount()) and their angles.
  const ProjectionStack& received() const { return m_received; }
  int receivedCount() const { return int(m_angles.size()); }
  std::span<const double> receivedAngles() const { return m_angles; }
  /// Slice s of what is held, on up to `most` of its projections spread evenly (all when fewer):
  /// what the enhancement guard re-projects against. Throws std::invalid_argument for a slice
  /// outside the volume or nothing held.
  SliceSinogram sinogram(int s, int most) const;
  /// The received projections whose shadows are kept at most (then every other one is let go).
  static constexpr int kMostShadowedProjections = 1024;
  /// Slice s's sample shadows (nn/SampleSupport.h) on up to `most` of the projections received
  /// (of at most kMostShadowedProjections kept spread over the scan), spread evenly; each window's
  /// own air level decides them, and a window that shows no air adds none. Kept for the window
  /// method only (its unconverged image leaves mass in the air, which an enhancement of it turns
  /// into texture); none for the others. Throws std::invalid_argument for a slice outside the
  /// volume.
  SliceShadows shadows(int s, int most) const;

 private:
  LiveOptions m_options;
  int m_gridSize, m_slices, m_columns;
  double m_centre;
  int m_updates = 0;
  std::string m_computeName;           ///< what the projector runs on
  std::unique_ptr<Sirt> m_device;      ///< window and sirt: the backend's SIRT
  std::unique_ptr<SirtSolver> m_host;  ///< filtered and cgls: estimate on the host
  std::unique_ptr<RowShare> m_share;   ///< instead of both: the solving split over a team
  std::function<double(double)> m_rowTotal;
  ProjectionStack m_received;          ///< capacity grows by doubling
  std::vector<double> m_angles;
  void recordShadows(const ProjectionStack& window, std::span<const double> anglesRad);
  std::vector<double> m_shadowAngles;  ///< every projection received whose window showed air
  std::vector<Shadow> m_shadows;       ///< [projection][slice], of those projections
  int m_updated = 0;  ///< projections received before the last update
};

/// Feeds the projections of `p` listed in `order` (indices into p and anglesRad, in arrival
/// order) to `live` in windows of `window` (the last may be shorter), one update of `iterations`
/// after each: a recorded scan replayed as a live session would take it. Returns the updates.
std::vector<LiveUpdate> replayInWindows(LiveReconstruction& live, const ProjectionStack& p,
                                        std::span<const double> anglesRad,
                                        std::span<const int> order, int window, int iterations);

}  // namespace tomolive

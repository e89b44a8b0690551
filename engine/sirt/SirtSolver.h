#pragma once
// SIRT in the ASTRA formulation, over any subset of projections (a window), warm-started:
//
//   x ← clamp(x + C · Aᵀ · R · (p − A·x))   on the pixels inside the mask
//
// with R = 1 / row sums (A·1, per ray) and C = 1 / column sums (Aᵀ·1, per pixel) over the rays
// in use. Rays or pixels with a zero sum get weight zero. The estimate persists between calls,
// so a streaming reconstruction runs a few iterations per new window starting from the last
// image; each call may use a different projector (a window's own geometry). Weights are
// recomputed only when the angles in use or the centre change, and only for the new projections
// when the angles in use grow by appending (row sums are per ray, column sums add up), so a
// reconstruction over everything received pays for the weights of each projection once.
//
// With a SirtFilter, the step back-projects the filtered residual instead of R·(p − A·x): one
// such step stands for many plain iterations (SirtFilter.h).
#include <memory>
#include <span>
#include <vector>

#include "geometry/SliceStacks.h"
#include "projector/Projector.h"
#include "sirt/Sirt.h"
#include "sirt/SirtFilter.h"

namespace tomolive {

/// The CPU backend of Sirt (with the CPU Joseph projector), and SIRT with any Projector.
class SirtSolver final : public Sirt {
 public:
  /// Starts from x = 0 on a gridSize × gridSize × slices volume.
  SirtSolver(int gridSize, int slices, SirtOptions options = {});

  /// The estimate to write to (a copy of it first when a reader holds the shared one).
  VolumeStack& estimate() {
    m_zero = false;  // the caller may write to it
    return writableEstimate(true);
  }
  const SirtOptions& options() const { return m_options; }
  /// 1 inside the reconstructed region, 0 outside (one slice).
  const VolumeStack& mask() const { return m_mask; }
  /// Starts again from x = 0 (the next iteration skips the forward projection of zeros).
  void reset();

  /// Runs `iterations` SIRT iterations using only the listed projections of `p`, whose angles
  /// and centre are the projector's geometry. Returns the residuals measured at the start of
  /// each iteration.
  std::vector<SirtIteration> iterate(const Projector& projector, const ProjectionStack& p,
                                     std::span<const int> projections, int iterations,
                                     const SirtFilter* filter = nullptr);

  // Sirt, on the CPU Joseph projector:
  std::vector<SirtIteration> iterate(const ParallelGeometry& geometry, const ProjectionStack& p,
                                     std::span<const int> projections, int iterations) override;
  using Sirt::estimate;
  void readEstimate(VolumeStack& into) const override { into = *m_x; }
  /// Shared with the reader: while it holds it, the next step writes into another buffer (a
  /// former estimate no reader holds any more, else a new one), not into this one.
  std::shared_ptr<const VolumeStack> sharedEstimate() const override { return m_x; }
  std::vector<float> slices(std::span<const int> which) const override;
  int gridSize() const override { return m_x->gridSize(); }
  int sliceCount() const override { return m_x->slices(); }
  std::string name() const override;

 private:
  void updateWeights(const Projector& projector, std::span<const int> projections);
  /// The estimate, no longer shared with a reader: moved into a free buffer first where it is
  /// (its values copied along when `keepValues`).
  VolumeStack& writableEstimate(bool keepValues);
  /// Whether a reader holds the estimate (once none does, what it read is done).
  bool estimateShared() const;
  /// A buffer of the estimate's shape that no reader holds.
  std::shared_ptr<VolumeStack> freeBuffer();
  /// Makes `next` the estimate; the one before waits among the spares until its readers let go.
  void replaceEstimate(std::shared_ptr<VolumeStack> next);

  SirtOptions m_options;
  std::shared_ptr<VolumeStack> m_x;                    ///< the estimate
  std::vector<std::shared_ptr<VolumeStack>> m_spares;  ///< former estimates
  VolumeStack m_mask;                                  ///< one slice (rowSums, CGLS)
  /// One slice each, gridSize² values row by row: the mask, the column sums (all, and of the
  /// projections new to a window that grew), the step's weights C.
  std::vector<float> m_maskPixels, m_columnSums, m_freshSums, m_columnWeights;
  /// The mask less what the projections do not measure every line of (seenByEveryProjection),
  /// for the centre, detector width and full turn in m_seenKey: remade only when one changes.
  std::vector<float> m_seen;
  std::vector<double> m_seenKey;
  VolumeStack m_update;  ///< Aᵀ·residual, where the projector does not fuse the step (addBack)
  ProjectionStack m_residual, m_rowWeights;
  std::vector<double> m_weightKey;       ///< centre, then the angles the weights were computed for
  std::vector<int> m_weightProjections;  ///< their projection indices
  bool m_zero = true;                    ///< x is known to be zero
};

}  // namespace tomolive

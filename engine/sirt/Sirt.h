#pragma once
// What a SIRT backend offers the pipeline: warm-started iterations over any window of
// projections, with the estimate kept where the backend computes (host memory for the CPU,
// device memory for CUDA) and read back only when asked — whole, or just the slices a view needs.
// The formulation is SirtSolver's (SirtSolver.h); backend/ComputeBackend.h makes one.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "geometry/ParallelGeometry.h"
#include "geometry/SliceStacks.h"

namespace tomolive {

struct SirtOptions {
  bool circularMask = false;  ///< reconstruct only inside the grid's inscribed circle
  bool nonNegative = true;    ///< clamp the estimate at zero after every iteration
};

struct SirtIteration {
  double weightedResidual;  ///< ‖R^½ (p − A·x)‖₂ before the update (what SIRT decreases)
  double residual;          ///< ‖p − A·x‖₂ before the update
};

class Sirt {
 public:
  virtual ~Sirt() = default;

  /// Runs `iterations` iterations on the listed projections of `p`, whose angles, centre and
  /// grid are `geometry`'s. Returns the residuals at the start of each iteration.
  virtual std::vector<SirtIteration> iterate(const ParallelGeometry& geometry,
                                             const ProjectionStack& p,
                                             std::span<const int> projections, int iterations) = 0;
  /// Copies the whole estimate into `into`, into the memory it already holds when it has the
  /// estimate's shape (a live session reads every update back into a recycled buffer).
  virtual void readEstimate(VolumeStack& into) const = 0;
  /// The whole estimate without a copy, for readers on other threads, where the backend keeps it
  /// in host memory: the solver's own buffer, which it leaves as it is from then on (its next
  /// step writes into another). Null where it cannot (a device's estimate: readEstimate).
  virtual std::shared_ptr<const VolumeStack> sharedEstimate() const { return nullptr; }
  /// A copy of the whole estimate.
  VolumeStack estimate() const {
    VolumeStack x;
    readEstimate(x);
    return x;
  }
  /// The listed slices as row-major gridSize × gridSize images, one after the other.
  virtual std::vector<float> slices(std::span<const int> which) const = 0;
  virtual int gridSize() const = 0;
  virtual int sliceCount() const = 0;
  /// "CPU Joseph (AVX-512, 2 threads)", "CUDA Joseph (NVIDIA H100 80GB HBM3)"
  virtual std::string name() const = 0;
};

/// The checks every backend's iterate() starts with: throws std::invalid_argument naming the
/// mismatch (negative iterations, slice counts or grid sizes that differ, a projection index
/// outside the stack or the geometry).
void checkSirtCall(int gridSize, int slices, const ParallelGeometry& geometry,
                   const ProjectionStack& p, std::span<const int> projections, int iterations);

}  // namespace tomolive

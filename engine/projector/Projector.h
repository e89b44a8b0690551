#pragma once
// The projector interface: forward projection A and its exact adjoint Aᵀ for one
// ParallelGeometry, on any subset of the geometry's projections (a window).
// Backends (CPU Joseph, CUDA Joseph) implement the same discretisation, so results agree to
// float tolerance whichever runs.
#include <cstdint>
#include <span>
#include <string>

#include "geometry/ParallelGeometry.h"
#include "geometry/SliceStacks.h"

namespace tomolive {

class Projector {
 public:
  virtual ~Projector() = default;

  const ParallelGeometry& geometry() const { return m_geometry; }

  /// y[p] = A_p · x for every p in `projections`; other projections of y are left untouched.
  /// Requires x.gridSize() == geometry.gridSize, y.columns() == geometry.columns and equal
  /// slice counts.
  virtual void forward(const VolumeStack& x, std::span<const int> projections,
                       ProjectionStack& y) const = 0;

  /// x = Σ_{p ∈ projections} A_pᵀ · y[p] (x is overwritten).
  virtual void back(const ProjectionStack& y, std::span<const int> projections,
                    VolumeStack& x) const = 0;

  /// SIRT's step, to = from + C ⊙ Aᵀy on every slice (C: per-pixel weights of one slice,
  /// gridSize² values row by row), clamped at zero when `nonNegative`, where the backend can fuse
  /// it into the back projection; false (`to` untouched) where it cannot, and the caller
  /// back-projects and adds. `from` and `to` are the same volume (the step in place) or two of the
  /// same shape (`to` is written whole, so a reader of `from` is left undisturbed).
  virtual bool addBack(const ProjectionStack& y, std::span<const int> projections,
                       std::span<const float> weights, bool nonNegative, const VolumeStack& from,
                       VolumeStack& to) const {
    (void)y, (void)projections, (void)weights, (void)nonNegative, (void)from, (void)to;
    return false;
  }

  /// addBack, then y[p] = A_p · to for the same projections — the next SIRT iteration's forward
  /// projection, in the same pass over `to` while each part of it is cached — where the backend
  /// can fuse the two; false (nothing done) where it cannot. y is the back projection's input and
  /// then receives the forward projection.
  virtual bool addBackThenForward(ProjectionStack& y, std::span<const int> projections,
                                  std::span<const float> weights, bool nonNegative,
                                  const VolumeStack& from, VolumeStack& to) const {
    (void)y, (void)projections, (void)weights, (void)nonNegative, (void)from, (void)to;
    return false;
  }

  /// SIRT's normalisers over `projections` on one slice: sums[p] = A_p · mask (the row sums of
  /// the masked system). Default: forward(mask, …); a backend may compute it faster.
  virtual void rowSums(const VolumeStack& mask, std::span<const int> projections,
                       ProjectionStack& sums) const;
  /// sums = Σ_{p ∈ projections} A_pᵀ · 1 on one slice (the column sums), gridSize² values row by
  /// row (one slice of a VolumeStack would hold four lanes per pixel, three of them padding: four
  /// times the memory traffic in SIRT's passes over the weights). Default: back() of ones.
  /// Throws std::invalid_argument for another size.
  virtual void columnSums(std::span<const int> projections, std::span<float> sums) const;

  /// Human-readable backend name ("CPU Joseph (AVX-512, 2 threads)", …).
  virtual std::string name() const = 0;

  /// Ray-pixel updates one forward (or back) projection of `projections` performs per slice:
  /// the number of (ray, grid line) pairs whose interpolation touches the grid.
  std::int64_t rayPixelUpdates(std::span<const int> projections) const;

 protected:
  explicit Projector(ParallelGeometry geometry);
  /// Throws std::invalid_argument when the stacks or indices do not match the geometry.
  void checkShapes(const VolumeStack& x, std::span<const int> projections,
                   const ProjectionStack& y) const;
  /// Throws std::invalid_argument naming `what` when `count` is not gridSize².
  void checkPixels(std::size_t count, const char* what) const;

 private:
  ParallelGeometry m_geometry;
};

}  // namespace tomolive

#pragma once
// A detector-row filter that makes one SIRT step do the work of many.
//
// Plain SIRT converges frequency by frequency: for parallel beams its update operator
// M = C·Aᵀ·R·A acts on a Fourier component of radial frequency ν (cycles/pixel) roughly as
// λ(ν) = n(θ) / (P·L·|ν|), with P projections, L the length of a central ray through the masked
// grid and n(θ) the projections per radian near the component's direction. After k iterations from
// zero a component has reached h_k(λ) = 1 − (1 − λ)^k of its value: low frequencies at once, fine
// detail only after hundreds of iterations. A step
//
//   x ← clamp(x + C·Aᵀ·F(p − A·x))      with   F̂_i(ν) = h_k(λ_i(ν)) / (λ_i(ν)·L)
//
// applied along the detector row of each projection i (its own density n_i from its angular
// neighbours) therefore responds like k plain iterations in one go, and s such steps each made
// for k/s iterations respond like k (1 − (1 − h_{k/s})^s = h_k). The shift-invariant picture is an
// approximation (ray lengths vary, angles are discrete); each further step, computed on the
// true residual, corrects what it misses. Where the continuum λ falls below 1/P (components
// finer than the gaps between angles: each is seen by its own projection alone) it is 1/P, the
// discrete operator's floor; without it, few projections gave k-fold amplified steps. This is the
// analytic form of the idea behind SIRT-mimicking FBP filters (Pelt & Batenburg, IEEE TIP 2015).
#include <span>
#include <vector>

#include "geometry/SliceStacks.h"

namespace tomolive {

class SirtFilter {
 public:
  /// Filter for the projections at `anglesRad` (all in use together) on a gridSize² grid read by
  /// `columns` detector columns, each step standing for `iterations` plain SIRT iterations (≥ 1).
  /// Throws std::invalid_argument for no angles, sizes below 1 or iterations below 1.
  SirtFilter(std::span<const double> anglesRad, int columns, int gridSize, double iterations);

  /// Replaces the listed projections of `residual` (projection i at anglesRad[i]) by their
  /// filtered, ray-length-normalised version: what one step back-projects.
  void apply(ProjectionStack& residual, std::span<const int> projections) const;

  int projections() const { return int(m_density.size()); }

 private:
  int m_columns, m_padded, m_gridSize;
  double m_iterations;
  std::vector<double> m_density;  ///< n_i / (P/π): 1 for evenly spread angles
};

}  // namespace tomolive

#pragma once
// Automatic rotation-centre estimate by 0°/180° registration.
//
// A parallel-beam projection at θ + 180° is the projection at θ mirrored about the rotation
// axis. For pairs of projections whose angles differ by (nearly) 180°, the centre c minimises
// the mismatch between p_a(j) and p_b(2c − j); the cost is summed over the pairs and over a few
// detector rows, searched on a coarse grid and refined to sub-pixel precision. Works for any
// angle order; needs at least one pair within 1.5 angular steps of 180° apart (else within 4
// steps, at most 2°: the pairs of a scan whose angles stop short of 180°).
#include <optional>
#include <span>
#include <vector>

#include "geometry/SliceStacks.h"

namespace tomolive {

struct CentreEstimate {
  double centre = 0.0;              ///< detector column of the rotation axis
  int pairs = 0;                    ///< projection pairs used
  double worstPairOffsetDeg = 0.0;  ///< largest |θb − θa − 180°| among the pairs used
  bool fromMass = false;            ///< from the centre-of-mass fit (no pairs)
  double standardError = 0.0;       ///< of the centre-of-mass fit, in pixels
};

/// `lineIntegrals`: preprocessed projections (−log), the first anglesRad.size() of them used,
/// angles in radians. Throws std::invalid_argument when the stack holds fewer projections than
/// angles or no usable pair of opposite projections exists.
CentreEstimate estimateCentre(const ProjectionStack& lineIntegrals,
                              std::span<const double> anglesRad);

/// The centre from the sinogram's centre of mass, which needs no pair 180° apart: for a sample
/// wholly inside the field of view, each projection's centre of mass sits at
/// c + x·cosθ + y·sinθ (x, y: the sample's centre of mass), so a least-squares fit over the
/// received angles gives c. Returned only where it is reliable: the detector's edges absorb
/// less than 5 % of a profile's peak (else the sample reaches beyond the field of view, or the
/// flats do not match the beam: i13's edges absorb 25 %, and its fit put the axis 0.4 px off
/// its pairs'), every profile falls to the background at both detector edges, the fit explains the
/// centres of mass to within 2 px, and the standard error of c is below 0.25 px (it needs a wide
/// enough span of angles: a narrow wedge leaves c and x confounded). Throws std::invalid_argument
/// when the stack holds fewer projections than angles.
std::optional<CentreEstimate> estimateCentreFromMass(const ProjectionStack& lineIntegrals,
                                                     std::span<const double> anglesRad);

/// The rows (of `slices`) the estimates above read: every max(1, slices / 16)-th. A stack of
/// these rows alone gives the same estimates as the whole stack.
std::vector<int> centreRows(int slices);

/// A registration of projections this far or more from 180° apart mirrors a point r pixels from
/// the axis r·sin(offset) off itself (5 px at r = 300 px and 1°): a centre-of-mass fit, where
/// reliable, is the better estimate.
inline constexpr double kLoosePairDeg = 1.0;

/// The centre every estimating reader uses (`recon`, a live session after each update, the
/// method comparison), so that the same projections give the same centre: the 0°/180°
/// registration where its worst pair is within kLoosePairDeg of 180° apart, else the centre of
/// mass where it is reliable, else the looser registration. Throws std::invalid_argument with
/// the registration's reason when none of them can be made.
CentreEstimate chooseCentre(const ProjectionStack& lineIntegrals,
                            std::span<const double> anglesRad);

}  // namespace tomolive

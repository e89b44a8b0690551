#pragma once
// The built-in scanner: a phantom, an acquisition order and detector physics, producing the
// raw frames a beamline detector would (projections, flat fields, darks) in detector counts.
//
// Physics: line integrals p of the phantom by the Joseph forward projector (the same
// discretisation the reconstruction uses), transmitted counts Poisson(photons·e^−p), plus a
// dark current Poisson(darkLevel). Flats are Poisson(photons) + dark current; darks are the dark
// current alone. With photons = 0 the scanner is noise-free: every frame is its mean, with
// kNoiseFreeFlatCounts counts in the open beam, so −log((I − dark)/(flat − dark)) gives p back.
//
// Detector and sample imperfections real scans have, each off by default (ScanSpec): ring
// artefacts (pixel gains the flats do not correct), zingers (isolated hot pixels in projections)
// and a truncated field of view (a sample wider than the detector). They draw from random
// streams of their own, so a scan without them is bit-identical to one made before they existed.
//
// Frames are [slice][column] row-major (one detector row per slice, size columns). Each frame's
// noise depends only on (seed, frame kind, index), so frames can be made in any order, singly
// or in batches, on any number of threads, and always come out the same.
#include <cstdint>
#include <vector>

#include "geometry/ParallelGeometry.h"
#include "geometry/SliceStacks.h"
#include "sim/Acquisition.h"
#include "sim/Phantom.h"

namespace tomolive {

inline constexpr double kNoiseFreeFlatCounts = 10000.0;

struct ScanSpec {
  PhantomKind phantom = PhantomKind::SheppLogan;
  int size = 256;               ///< detector width = reconstruction grid (≥ 8)
  int slices = 1;               ///< detector rows = slices (≥ 1)
  AcquisitionPlan acquisition;  ///< angles and their order (≥ 1 projection)
  double photons = 10000.0;     ///< mean open-beam counts per pixel; 0 = noise-free
  std::uint64_t seed = 0;
  int flats = 10, darks = 5;  ///< frames available from flat() (≥ 1) and dark() (≥ 0)
  double darkLevel = 100.0;   ///< mean dark counts per pixel (≥ 0)
  /// A sample tube around the phantom (a holder, as real samples sit in): a cylindrical wall of
  /// uniform attenuation, outer radius 0.47·size, thickness max(2, 0.025·size) pixels, whose
  /// tangent chord has this line integral (≥ 0; 0 = no tube).
  double tube = 0.0;
  /// Ring artefacts: each detector pixel's gain during the projections differs from its gain in
  /// the flats by the factor 1 + rings·z, z standard normal and fixed per pixel (uncorrected
  /// pixel response); after flat-field correction a constant offset per column, rings in the
  /// slice. ≥ 0 and < 0.2; 0 = none.
  double rings = 0.0;
  /// Zingers: the probability that a pixel of a projection is hit by a stray photon or particle,
  /// which adds 1–10 times the open-beam counts to it. In [0, 0.01]; 0 = none.
  double zingers = 0.0;
  /// A truncated field of view: the sample is drawn on a grid (1 + truncation) times the
  /// detector's width (rounded to an even excess) and the detector sees its middle columns; the
  /// ground truth is the part inside the reconstruction grid. In [0, 1]; 0 = the sample fits.
  double truncation = 0.0;
  /// A small sample in a wide field of view (a tooth fills 16 % of its circle): the sample is
  /// drawn on a grid this share of the detector's width (rounded to an even margin) and sits in
  /// air in the middle of the reconstruction grid; a tube stays at the grid's scale. In
  /// (0, 1]; 1 = the sample fills the grid. Not together with truncation.
  double sampleScale = 1.0;
};

/// Throws std::invalid_argument naming the first impossible parameter and its value.
void validate(const ScanSpec& spec);

class ScanSimulator {
 public:
  /// Validates the spec, draws the phantom and builds the geometry (rotation axis on the
  /// detector's centre column, (size − 1)/2).
  explicit ScanSimulator(const ScanSpec& spec);

  const ScanSpec& spec() const { return m_spec; }
  /// The sample inside the reconstruction grid (size², centred on the rotation axis).
  const VolumeStack& groundTruth() const { return m_phantom; }
  const ParallelGeometry& geometry() const { return m_geometry; }
  int projections() const { return m_geometry.projections(); }
  int slices() const { return m_spec.slices; }
  int columns() const { return m_spec.size; }
  bool noiseFree() const { return m_spec.photons == 0.0; }
  /// Mean open-beam counts above the dark level: photons, or kNoiseFreeFlatCounts.
  double flatCounts() const { return noiseFree() ? kNoiseFreeFlatCounts : m_spec.photons; }

  /// Raw counts of projection k (0 ≤ k < projections()): slices × columns values.
  std::vector<float> projection(int k) const;
  /// Projections first … first + count − 1 as [k][slice][column]; forward-projects them in
  /// batches, far faster than one at a time, with results identical to projection(k).
  std::vector<float> projections(int first, int count) const;
  /// Noise-free line integrals of the same projections, [k][slice][column] (through the whole
  /// sample, also where it is wider than the detector).
  std::vector<float> lineIntegrals(int first, int count) const;
  /// Flat field i (0 ≤ i < flats) and dark frame i (0 ≤ i < darks): slices × columns values.
  std::vector<float> flat(int i) const;
  std::vector<float> dark(int i) const;
  /// Every flat (dark) frame, concatenated: [frame][slice][column].
  std::vector<float> flats() const;
  std::vector<float> darks() const;

 private:
  void checkRange(int first, int count) const;
  ScanSpec m_spec;
  ParallelGeometry m_geometry;
  VolumeStack m_phantom;
  int m_margin = 0;         ///< sample columns beyond the detector on each side (truncation)
  VolumeStack m_sample;     ///< the whole sample when it is wider than the detector
  std::vector<float> m_gains;  ///< per-pixel gain factors of the projections (rings), or empty
};

}  // namespace tomolive

#pragma once
// Raw detector counts → line integrals: p = −log((I − dark) / (flat − dark)).
//
// Flats and darks are averaged per pixel once, with three frames or more leaving out a value
// more than half the beam's range above what its frame leads to expect (a zinger; a flat's beam
// level is its own, so a beam drifting between flats is averaged). Pixels that cannot give a
// line integral — a dead detector pixel (flat ≤ dark), a non-positive or non-finite count, a
// non-finite flat or dark, a count above twice its flat (no sample transmits more than the beam: a
// saturated pixel or a zinger, a cosmic ray's single-pixel spike) — are repaired by linear
// interpolation between the nearest good pixels of the same detector row, and counted, so bad
// pixels never reach the reconstruction as NaN, ±∞ or a spike.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "geometry/SliceStacks.h"

namespace tomolive {

/// Transmission above which a pixel is taken as saturated or a zinger (repaired, counted).
inline constexpr float kMostTransmission = 2.0f;

class FlatDarkCorrection {
 public:
  /// flats: flatCount frames of rows × columns (row-major), darks likewise; darks may be empty
  /// (zero dark current). Throws std::invalid_argument on missing flats or mismatched sizes.
  FlatDarkCorrection(std::span<const float> flats, std::span<const float> darks, int rows,
                     int columns);

  int rows() const { return m_rows; }
  int columns() const { return m_columns; }
  std::int64_t deadDetectorPixels() const { return m_dead; }
  /// Flat and dark values left out of the averages as zingers.
  std::int64_t zingersLeftOut() const { return m_zingersLeftOut; }

  /// Converts one raw frame (rows × columns) into line integrals; returns the number of pixels
  /// that had to be repaired.
  std::int64_t apply(std::span<const float> raw, std::span<float> lineIntegrals) const;

  /// Raw frames stored back to back (a multiple of rows × columns values) as a window of line
  /// integrals, one projection per frame: what every reconstruction of raw frames starts from.
  /// Throws std::invalid_argument for a size that is not whole frames.
  ProjectionStack lineIntegrals(std::span<const float> frames) const;

 private:
  int m_rows, m_columns;
  std::vector<float> m_dark, m_range;  ///< per pixel: mean dark, mean flat − mean dark (≤ 0: dead)
  std::int64_t m_dead = 0;
  std::int64_t m_zingersLeftOut = 0;
};

/// What the detector's edges say about the flat field, or "": the median transmission of the
/// outer columns (the outer 1/64 of the detector on each side, at least 3 columns) over the
/// listed projections and every row, where a sample inside the field of view leaves air that
/// transmits what the flat field did. Below 0.95 the edges are not air — a sample or a container
/// wider than the field of view — or the flats were brighter than the projections' beam; above
/// 1.05 (nothing transmits more than the beam) the flats were dimmer. Either way the
/// reconstruction carries the mismatch (an offset SIRT piles up at the field of view's edge).
/// Where the edge pixels are noisier than that, the offset must exceed three quarters of their
/// noise (robust: 1.4826 × the median distance from their strip's median).
std::string flatFieldNote(const ProjectionStack& lineIntegrals, std::span<const int> projections);

/// Why `repaired` of `pixels` repaired is too many to reconstruct from — more than half: a
/// repair interpolates between good pixels, and with most of them bad the image would be one of
/// the repair (the projections, flats and darks do not belong together) — or "".
std::string unrepairableNote(std::int64_t repaired, std::int64_t pixels);

/// Averages b × b pixel blocks of a rows × columns image (trailing partial blocks are dropped).
std::vector<float> binImage(std::span<const float> image, int rows, int columns, int b);

}  // namespace tomolive

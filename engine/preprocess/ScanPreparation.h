#pragma once
// A raw scan as read from a file, turned into what the reconstructor consumes: line integrals
// in the slice-lane layout, angles, and the ground truth (if the file has one) on the same grid.
#include <cstdint>
#include <string>
#include <vector>

#include "geometry/SliceStacks.h"
#include "io/DataExchange.h"

namespace tomolive {

struct PreparedScan {
  ProjectionStack lineIntegrals;  ///< projections × slices × columns, after binning
  std::vector<double> anglesRad;
  int binning = 1;
  std::int64_t repairedPixels = 0;      ///< raw pixels replaced by interpolation (all frames)
  std::int64_t deadDetectorPixels = 0;  ///< detector pixels with flat ≤ dark
  std::int64_t flatDarkZingers = 0;     ///< flat and dark values left out as zingers
  std::string flatNote;  ///< flatFieldNote over every projection (preprocess/FlatDarkCorrection.h)
  /// binned like the data, in its unit (attenuation per binned pixel: b × the file's values);
  /// empty (0 slices) if none
  VolumeStack groundTruth;
  bool hasGroundTruth() const { return groundTruth.slices() > 0; }
};

/// Flat/dark correction, −log, bad-pixel repair and b × b binning of every projection.
/// Throws std::invalid_argument when binning does not fit the data.
PreparedScan prepareScan(const RawScan& raw, int binning = 1);

}  // namespace tomolive

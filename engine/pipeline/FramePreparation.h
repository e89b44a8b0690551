#pragma once
// The session's preprocessing of raw frames: the detector rows it reconstructs (the `--slices`
// selection, fixed with the detector's shape by the first frame) as line integrals, through the
// flat/dark correction of the latest flats and darks. Frames of another shape are refused with
// both shapes named: a detector does not change shape within a scan.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "geometry/SliceStacks.h"
#include "io/DataExchange.h"
#include "io/Frame.h"
#include "preprocess/FlatDarkCorrection.h"

namespace tomolive {

class FramePreparation {
 public:
  /// Throws std::invalid_argument naming the selection when it selects no row of a
  /// rows × columns detector.
  FramePreparation(int rows, int columns, RowRange selection);

  int rows() const { return m_rows; }        ///< the detector's
  int columns() const { return m_columns; }  ///< the detector's
  int firstRow() const { return m_firstRow; }
  int slices() const { return m_slices; }  ///< rows selected

  /// Flat and dark frames to correct with from now on (frames of another shape are left out).
  void setFlatsDarks(std::span<const std::shared_ptr<const Frame>> flats,
                     std::span<const std::shared_ptr<const Frame>> darks);
  bool hasCorrection() const { return m_correction != nullptr; }
  /// Flat and dark values of the selected rows the correction left out as zingers.
  std::int64_t zingersLeftOut() const { return m_correction ? m_correction->zingersLeftOut() : 0; }

  /// The selected rows of each projection as line integrals (slices × columns each), and their
  /// angles appended to `anglesRad`. Needs setFlatsDarks first; throws std::runtime_error naming a
  /// frame whose shape is not the detector's.
  ProjectionStack lineIntegrals(std::span<const Frame* const> projections,
                                std::vector<double>& anglesRad);
  /// Pixels corrected so far, and of them those repaired (preprocess/FlatDarkCorrection.h).
  std::int64_t pixels() const { return m_pixels; }
  std::int64_t repaired() const { return m_repaired; }

 private:
  int m_rows, m_columns, m_firstRow, m_slices;
  std::unique_ptr<FlatDarkCorrection> m_correction;
  std::int64_t m_pixels = 0, m_repaired = 0;
};

}  // namespace tomolive

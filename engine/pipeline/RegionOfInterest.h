#pragma once
// A region of interest: reconstruct only part of what the session selected at start, for a
// faster refresh — fewer detector rows (slices), and the detector columns of a disk around the
// rotation axis (a smaller grid). The record keeps every pixel either way.
//
// Parallel beams through a disk of radius r around the axis fall on the columns centre ± r at
// every angle, so those columns alone reconstruct the disk (with the truncation every
// region-of-interest scan has: the sample outside the disk adds to every ray). regionAround()
// gives the columns for any rectangle of the slice.
//
// RegionalReconstruction keeps the session's whole selection receiving every window (so its
// history stays complete: the region can change or be dropped at any update without losing a
// projection) and runs the updates on the region's own LiveReconstruction, which starts from
// the whole selection's held line integrals cropped to the region.
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "pipeline/LiveReconstruction.h"

namespace tomolive {

/// Detector rows [firstRow, endRow) and columns [firstColumn, endColumn), in detector pixels.
struct Region {
  int firstRow = 0, endRow = 0, firstColumn = 0, endColumn = 0;
  int rows() const { return endRow - firstRow; }
  int columns() const { return endColumn - firstColumn; }
  bool operator==(const Region&) const = default;
};

/// "rows 10:20, columns 100:300".
std::string describe(const Region& region);

/// Throws std::invalid_argument naming what is wrong where `region` is empty or leaves the rows
/// [firstRow, endRow) a session reconstructs or the detector's `columns` (or keeps fewer than 8),
/// or, with the rotation axis' detector column `centre`, does not contain the axis (a region is
/// reconstructed on a grid centred on it).
void checkRegion(const Region& region, int firstRow, int endRow, int columns,
                 std::optional<double> centre = std::nullopt);

/// The region that reconstructs the rectangle [x0, x1] × [y0, y1] of a slice (grid pixels of a
/// gridSize² grid centred on the axis, which is at detector column `centre`) on rows
/// [firstRow, endRow): the columns centre ± (the rectangle's farthest point from the axis + 1),
/// kept symmetric about the axis and within the `detectorColumns`.
Region regionAround(double x0, double y0, double x1, double y1, int gridSize, double centre,
                    int detectorColumns, int firstRow, int endRow);

class RegionalReconstruction {
 public:
  /// `whole` reconstructs detector rows firstRow … firstRow + whole.sliceCount() − 1 on all
  /// `columns` detector columns.
  RegionalReconstruction(std::unique_ptr<LiveReconstruction> whole, int firstRow, int columns);

  /// Reconstructs `region` from the next update (nullopt: the whole selection again). Throws
  /// std::invalid_argument naming what is wrong where the region is empty or leaves the rows and
  /// columns the session reconstructs; the reconstruction in force is then unchanged.
  void setRegion(std::optional<Region> region);
  const std::optional<Region>& region() const { return m_region; }

  /// New line integrals of the whole selection: the whole reconstruction keeps them, the region
  /// gets its crop.
  void receive(const ProjectionStack& window, std::span<const double> anglesRad);
  /// Centre in detector columns (the region's own is shifted by its first column).
  void setCentre(double centre);
  double centre() const { return m_whole->centre(); }

  /// What updates run on: the region's reconstruction, or the whole one.
  LiveReconstruction& active() { return m_part ? *m_part : *m_whole; }
  const LiveReconstruction& active() const { return m_part ? *m_part : *m_whole; }
  /// The whole selection's (the centre estimate reads its history).
  LiveReconstruction& whole() { return *m_whole; }
  /// Detector row of the active reconstruction's slice 0, and column of its column 0.
  int firstRow() const { return m_region ? m_region->firstRow : m_firstRow; }
  int firstColumn() const { return m_region ? m_region->firstColumn : 0; }

 private:
  ProjectionStack crop(const ProjectionStack& stack, int count) const;

  std::unique_ptr<LiveReconstruction> m_whole, m_part;
  std::optional<Region> m_region;
  int m_firstRow, m_columns;
};

}  // namespace tomolive

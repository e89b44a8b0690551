#pragma once
// Slice-interleaved containers for volumes and projections.
//
// All slices of a parallel-beam scan share one geometry, so the projector's interpolation
// weights are the same for every slice. Slices are therefore stored in groups of `lanes`
// (4, 8 or 16) with the slice index innermost: one SIMD register holds the same pixel of
// `lanes` adjacent slices and each weight is applied to all of them at once, with no gathers.
// Slices beyond the last real one (padding lanes) are kept at zero.
//
//   VolumeStack:     [group][row][column][lane]        (gridSize × gridSize per slice)
//   ProjectionStack: [projection][group][column][lane] (one detector row per slice)
//
// Each projection is contiguous, so projections can be appended as they arrive and any subset
// (a window) can be addressed by index.
#include <cstddef>
#include <span>
#include <vector>

#include "geometry/AlignedBuffer.h"

namespace tomolive {

/// Lane width used for `slices` slices: 4, 8 or 16 (the smallest that wastes least).
int lanesForSlices(int slices);

class VolumeStack {
 public:
  VolumeStack() = default;
  VolumeStack(int slices, int gridSize);

  int slices() const { return m_slices; }
  int gridSize() const { return m_size; }
  int lanes() const { return m_lanes; }
  int groups() const { return m_groups; }
  /// Floats in one group: gridSize² × lanes.
  std::size_t groupStride() const { return std::size_t(m_size) * m_size * m_lanes; }

  float* group(int g) { return m_data.data() + g * groupStride(); }
  const float* group(int g) const { return m_data.data() + g * groupStride(); }
  float& at(int slice, int row, int column) { return m_data.data()[index(slice, row, column)]; }
  float at(int slice, int row, int column) const {
    return m_data.data()[index(slice, row, column)];
  }

  std::span<float> raw() { return m_data.span(); }
  std::span<const float> raw() const { return m_data.span(); }
  void fill(float value);  ///< fills real slices; padding lanes stay zero

  /// One slice as a row-major gridSize × gridSize image.
  std::vector<float> slice(int s) const;
  void setSlice(int s, std::span<const float> image);
  /// All slices as [slice][row][column].
  std::vector<float> toSliceMajor() const;
  static VolumeStack fromSliceMajor(std::span<const float> data, int slices, int gridSize);

 private:
  std::size_t index(int slice, int row, int column) const {
    return (std::size_t(slice / m_lanes) * m_size * m_size + std::size_t(row) * m_size + column) *
               m_lanes +
           slice % m_lanes;
  }
  int m_slices = 0, m_size = 0, m_lanes = 4, m_groups = 0;
  AlignedBuffer m_data;
};

class ProjectionStack {
 public:
  ProjectionStack() = default;
  ProjectionStack(int projections, int slices, int columns);

  int projections() const { return m_projections; }
  int slices() const { return m_slices; }
  int columns() const { return m_columns; }
  int lanes() const { return m_lanes; }
  int groups() const { return m_groups; }
  /// Floats in one projection: groups × columns × lanes.
  std::size_t projectionStride() const { return std::size_t(m_groups) * m_columns * m_lanes; }

  /// Row of `columns` lane vectors for projection p, slice group g.
  float* row(int p, int g) {
    return m_data.data() + p * projectionStride() + std::size_t(g) * m_columns * m_lanes;
  }
  const float* row(int p, int g) const {
    return m_data.data() + p * projectionStride() + std::size_t(g) * m_columns * m_lanes;
  }
  float& at(int p, int slice, int column) { return m_data.data()[index(p, slice, column)]; }
  float at(int p, int slice, int column) const { return m_data.data()[index(p, slice, column)]; }

  std::span<float> raw() { return m_data.span(); }
  std::span<const float> raw() const { return m_data.span(); }

  /// Projection p from a row-major [slice][column] image (slices × columns values).
  void setProjection(int p, std::span<const float> image);
  /// Projection p as a row-major [slice][column] image.
  std::vector<float> projection(int p) const;

 private:
  std::size_t index(int p, int slice, int column) const {
    return p * projectionStride() + (std::size_t(slice / m_lanes) * m_columns + column) * m_lanes +
           slice % m_lanes;
  }
  int m_projections = 0, m_slices = 0, m_columns = 0, m_lanes = 4, m_groups = 0;
  AlignedBuffer m_data;
};

}  // namespace tomolive

#include "geometry/SliceStacks.h"

#include <stdexcept>
#include <string>

namespace tomolive {

int lanesForSlices(int slices) {
  if (slices <= 4) return 4;
  if (slices <= 8) return 8;
  return 16;
}

namespace {
void requirePositive(const char* what, int value) {
  if (value < 1)
    throw std::invalid_argument(std::string(what) + " " + std::to_string(value) +
                                " must be positive");
}
}  // namespace

VolumeStack::VolumeStack(int slices, int gridSize)
    : m_slices(slices), m_size(gridSize), m_lanes(lanesForSlices(slices)) {
  requirePositive("volume slice count", slices);
  requirePositive("volume grid size", gridSize);
  m_groups = (slices + m_lanes - 1) / m_lanes;
  m_data = AlignedBuffer(std::size_t(m_groups) * groupStride());
}

void VolumeStack::fill(float value) {
  for (int s = 0; s < m_slices; ++s)
    for (int r = 0; r < m_size; ++r)
      for (int c = 0; c < m_size; ++c) at(s, r, c) = value;
}

std::vector<float> VolumeStack::slice(int s) const {
  std::vector<float> image(std::size_t(m_size) * m_size);
  for (int r = 0; r < m_size; ++r)
    for (int c = 0; c < m_size; ++c) image[std::size_t(r) * m_size + c] = at(s, r, c);
  return image;
}

void VolumeStack::setSlice(int s, std::span<const float> image) {
  if (image.size() != std::size_t(m_size) * m_size)
    throw std::invalid_argument("slice image has " + std::to_string(image.size()) +
                                " pixels, expected " + std::to_string(m_size * m_size));
  for (int r = 0; r < m_size; ++r)
    for (int c = 0; c < m_size; ++c) at(s, r, c) = image[std::size_t(r) * m_size + c];
}

std::vector<float> VolumeStack::toSliceMajor() const {
  std::vector<float> out;
  out.reserve(std::size_t(m_slices) * m_size * m_size);
  for (int s = 0; s < m_slices; ++s) {
    auto image = slice(s);
    out.insert(out.end(), image.begin(), image.end());
  }
  return out;
}

VolumeStack VolumeStack::fromSliceMajor(std::span<const float> data, int slices, int gridSize) {
  VolumeStack v(slices, gridSize);
  const std::size_t n = std::size_t(gridSize) * gridSize;
  if (data.size() != n * slices)
    throw std::invalid_argument("volume data has " + std::to_string(data.size()) +
                                " values, expected " + std::to_string(n * slices));
  for (int s = 0; s < slices; ++s) v.setSlice(s, data.subspan(s * n, n));
  return v;
}

ProjectionStack::ProjectionStack(int projections, int slices, int columns)
    : m_projections(projections),
      m_slices(slices),
      m_columns(columns),
      m_lanes(lanesForSlices(slices)) {
  if (projections < 0) throw std::invalid_argument("negative projection count");
  requirePositive("projection slice count", slices);
  requirePositive("detector width", columns);
  m_groups = (slices + m_lanes - 1) / m_lanes;
  m_data = AlignedBuffer(std::size_t(projections) * projectionStride());
}

void ProjectionStack::setProjection(int p, std::span<const float> image) {
  if (image.size() != std::size_t(m_slices) * m_columns)
    throw std::invalid_argument("projection image has " + std::to_string(image.size()) +
                                " values, expected " + std::to_string(m_slices * m_columns));
  for (int s = 0; s < m_slices; ++s)
    for (int c = 0; c < m_columns; ++c) at(p, s, c) = image[std::size_t(s) * m_columns + c];
}

std::vector<float> ProjectionStack::projection(int p) const {
  std::vector<float> image(std::size_t(m_slices) * m_columns);
  for (int s = 0; s < m_slices; ++s)
    for (int c = 0; c < m_columns; ++c) image[std::size_t(s) * m_columns + c] = at(p, s, c);
  return image;
}

}  // namespace tomolive

#include "projector/Projector.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "projector/JosephPlan.h"

namespace tomolive {

Projector::Projector(ParallelGeometry geometry) : m_geometry(std::move(geometry)) {
  m_geometry.validate();
}

std::int64_t Projector::rayPixelUpdates(std::span<const int> projections) const {
  std::int64_t total = 0;
  for (int p : projections) total += JosephPlan::make(m_geometry, p).updates();
  return total;
}

void Projector::rowSums(const VolumeStack& mask, std::span<const int> projections,
                        ProjectionStack& sums) const {
  forward(mask, projections, sums);
}

void Projector::checkPixels(std::size_t count, const char* what) const {
  const std::size_t n = std::size_t(m_geometry.gridSize);
  if (count != n * n)
    throw std::invalid_argument(std::string("projector: ") + what + " of " + std::to_string(count) +
                                " pixels; the geometry's grid has " + std::to_string(n) +
                                "² = " + std::to_string(n * n));
}

void Projector::columnSums(std::span<const int> projections, std::span<float> sums) const {
  checkPixels(sums.size(), "column sums");
  const int needed = projections.empty() ? 0 : 1 + *std::ranges::max_element(projections);
  ProjectionStack ones(needed, 1, m_geometry.columns);
  for (int p : projections)
    for (int j = 0; j < m_geometry.columns; ++j) ones.at(p, 0, j) = 1.0f;
  VolumeStack image(1, m_geometry.gridSize);
  back(ones, projections, image);
  const std::vector<float> slice = image.slice(0);
  std::copy(slice.begin(), slice.end(), sums.begin());
}

void Projector::checkShapes(const VolumeStack& x, std::span<const int> projections,
                            const ProjectionStack& y) const {
  const auto fail = [](const std::string& what) {
    throw std::invalid_argument("projector: " + what);
  };
  if (x.gridSize() != m_geometry.gridSize)
    fail("volume grid " + std::to_string(x.gridSize()) + " ≠ geometry grid " +
         std::to_string(m_geometry.gridSize));
  if (y.columns() != m_geometry.columns)
    fail("projection width " + std::to_string(y.columns()) + " ≠ detector width " +
         std::to_string(m_geometry.columns));
  if (x.slices() != y.slices())
    fail("volume has " + std::to_string(x.slices()) + " slices, projections have " +
         std::to_string(y.slices()));
  const int count = std::min(y.projections(), m_geometry.projections());
  for (int p : projections)
    if (p < 0 || p >= count)
      fail("projection index " + std::to_string(p) + " outside 0 … " + std::to_string(count - 1) +
           " (" + std::to_string(y.projections()) + " projections stacked, " +
           std::to_string(m_geometry.projections()) + " angles)");
}

}  // namespace tomolive

#include "pipeline/FramePreparation.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tomolive {

FramePreparation::FramePreparation(int rows, int columns, RowRange selection)
    : m_rows(rows), m_columns(columns) {
  m_firstRow = std::clamp(selection.begin, 0, rows);
  const int end = selection.end < 0 ? rows : std::min(selection.end, rows);
  if (m_firstRow >= end)
    throw std::invalid_argument(
        "slices " + std::to_string(selection.begin) + ":" + std::to_string(selection.end) +
        " select no detector row (detector has " + std::to_string(rows) + " rows)");
  m_slices = end - m_firstRow;
}

void FramePreparation::setFlatsDarks(std::span<const std::shared_ptr<const Frame>> flats,
                                     std::span<const std::shared_ptr<const Frame>> darks) {
  const std::size_t frame = std::size_t(m_rows) * m_columns,
                    part = std::size_t(m_slices) * m_columns;
  std::vector<float> f, d;
  for (const auto* list : {&flats, &darks})
    for (const auto& x : *list) {
      if (x->rows != m_rows || x->columns != m_columns || x->pixels.size() != frame) continue;
      auto& out = list == &flats ? f : d;
      const auto begin = x->pixels.begin() + std::ptrdiff_t(std::size_t(m_firstRow) * m_columns);
      out.insert(out.end(), begin, begin + std::ptrdiff_t(part));
    }
  m_correction = std::make_unique<FlatDarkCorrection>(f, d, m_slices, m_columns);
}

ProjectionStack FramePreparation::lineIntegrals(std::span<const Frame* const> projections,
                                                std::vector<double>& anglesRad) {
  if (!m_correction) throw std::logic_error("frame preparation without flats");
  ProjectionStack stack(int(projections.size()), m_slices, m_columns);
  std::vector<float> lineIntegrals(std::size_t(m_slices) * m_columns);
  const std::size_t part = lineIntegrals.size();
  for (std::size_t k = 0; k < projections.size(); ++k) {
    const Frame& f = *projections[k];
    if (f.rows != m_rows || f.columns != m_columns)
      throw std::runtime_error("projection " + std::to_string(f.number) + " is " +
                               std::to_string(f.rows) + "×" + std::to_string(f.columns) +
                               ", the scan's frames are " + std::to_string(m_rows) + "×" +
                               std::to_string(m_columns));
    m_repaired += m_correction->apply({f.pixels.data() + std::size_t(m_firstRow) * m_columns, part},
                                      lineIntegrals);
    m_pixels += std::int64_t(part);
    stack.setProjection(int(k), lineIntegrals);
    anglesRad.push_back(f.angleRad);
  }
  return stack;
}

}  // namespace tomolive

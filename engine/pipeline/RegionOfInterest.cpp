#include "pipeline/RegionOfInterest.h"

#include "pipeline/RowShare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace tomolive {

namespace {
constexpr int kMinimumColumns = 8;  // a grid smaller than this is no useful image
}

std::string describe(const Region& r) {
  return "rows " + std::to_string(r.firstRow) + ":" + std::to_string(r.endRow) + ", columns " +
         std::to_string(r.firstColumn) + ":" + std::to_string(r.endColumn);
}

Region regionAround(double x0, double y0, double x1, double y1, int gridSize, double centre,
                    int detectorColumns, int firstRow, int endRow) {
  const double middle = 0.5 * (gridSize - 1);
  double farthest = 0.0;
  for (double x : {x0, x1})
    for (double y : {y0, y1}) farthest = std::max(farthest, std::hypot(x - middle, y - middle));
  const double room = std::min(centre, detectorColumns - 1 - centre);
  const double radius = std::clamp(farthest + 1.0, 0.5 * kMinimumColumns, std::max(0.0, room));
  Region r;
  r.firstRow = firstRow, r.endRow = endRow;
  r.firstColumn = std::max(0, int(std::floor(centre - radius)));
  r.endColumn = std::min(detectorColumns, int(std::ceil(centre + radius)) + 1);
  return r;
}

void checkRegion(const Region& r, int firstRow, int endRow, int columns,
                 std::optional<double> centre) {
  if (r.firstRow < firstRow || r.endRow > endRow || r.rows() < 1)
    throw std::invalid_argument("region " + describe(r) +
                                ": the rows must be a non-empty part of " +
                                std::to_string(firstRow) + ":" + std::to_string(endRow) +
                                ", the rows this session reconstructs");
  if (r.firstColumn < 0 || r.endColumn > columns)
    throw std::invalid_argument(
        "region " + describe(r) +
        ": the columns lie outside the detector's 0:" + std::to_string(columns));
  if (r.columns() < kMinimumColumns)
    throw std::invalid_argument("region " + describe(r) + ": the columns must be at least " +
                                std::to_string(kMinimumColumns) +
                                " of the detector's 0:" + std::to_string(columns));
  if (centre && (*centre < r.firstColumn || *centre > r.endColumn - 1)) {
    char text[96];
    std::snprintf(text, sizeof text, "the rotation axis (detector column %.2f)", *centre);
    throw std::invalid_argument("region " + describe(r) + ": the columns do not contain " + text +
                                "; a region is reconstructed around the axis");
  }
}

RegionalReconstruction::RegionalReconstruction(std::unique_ptr<LiveReconstruction> whole,
                                               int firstRow, int columns)
    : m_whole(std::move(whole)), m_firstRow(firstRow), m_columns(columns) {}

void RegionalReconstruction::setRegion(std::optional<Region> region) {
  const int endRow = m_firstRow + m_whole->sliceCount();
  if (region && *region == Region{m_firstRow, endRow, 0, m_columns}) region.reset();
  if (!region) {
    m_part.reset();
    m_region.reset();
    return;
  }
  const Region& r = *region;
  checkRegion(r, m_firstRow, endRow, m_columns, m_whole->centre());
  // Shared by the whole selection's row team where each member gets a row (else this process
  // alone reconstructs it).
  std::shared_ptr<RowTeam> team;
  if (const RowShare* share = m_whole->rowShare(); share && share->team()->members() <= r.rows())
    team = share->team();
  auto part = std::make_unique<LiveReconstruction>(r.columns(), r.rows(), r.columns(),
                                                   m_whole->centre() - r.firstColumn,
                                                   m_whole->options(), std::move(team));
  m_region = region;
  if (const int held = m_whole->receivedCount(); held > 0) {
    const auto angles = m_whole->receivedAngles();
    part->receive(crop(m_whole->received(), held), angles.first(std::size_t(held)));
  }
  m_part = std::move(part);
}

ProjectionStack RegionalReconstruction::crop(const ProjectionStack& stack, int count) const {
  const Region& r = *m_region;
  ProjectionStack out(count, r.rows(), r.columns());
  std::vector<float> projection(std::size_t(r.rows()) * r.columns());
  for (int k = 0; k < count; ++k) {
    for (int s = 0; s < r.rows(); ++s)
      for (int j = 0; j < r.columns(); ++j)
        projection[std::size_t(s) * r.columns() + j] =
            stack.at(k, r.firstRow - m_firstRow + s, r.firstColumn + j);
    out.setProjection(k, projection);
  }
  return out;
}

void RegionalReconstruction::receive(const ProjectionStack& window,
                                     std::span<const double> anglesRad) {
  m_whole->receive(window, anglesRad);
  if (m_part) m_part->receive(crop(window, window.projections()), anglesRad);
}

void RegionalReconstruction::setCentre(double centre) {
  m_whole->setCentre(centre);
  if (m_part) m_part->setCentre(centre - m_region->firstColumn);
}

}  // namespace tomolive

#include "geometry/ParallelGeometry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <numeric>
#include <stdexcept>
#include <string>

namespace tomolive {

double foldedAngle(double anglesRad) {
  const double folded = std::fmod(anglesRad, std::numbers::pi);
  return folded < 0.0 ? folded + std::numbers::pi : folded;
}

std::vector<int> orderByFoldedAngle(std::span<const double> anglesRad) {
  std::vector<int> order(anglesRad.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return foldedAngle(anglesRad[std::size_t(a)]) < foldedAngle(anglesRad[std::size_t(b)]);
  });
  return order;
}

void ParallelGeometry::validate() const {
  if (anglesRad.empty()) throw std::invalid_argument("geometry: no projection angles");
  for (std::size_t i = 0; i < anglesRad.size(); ++i) {
    if (!std::isfinite(anglesRad[i]))
      throw std::invalid_argument("geometry: angle " + std::to_string(i) + " is not finite");
  }
  if (columns < 1)
    throw std::invalid_argument("geometry: detector width " + std::to_string(columns) +
                                " must be positive");
  if (gridSize < 1)
    throw std::invalid_argument("geometry: grid size " + std::to_string(gridSize) +
                                " must be positive");
  checkCentreOnDetector(centre, columns);
}

std::string narrowFieldNote(double centre, int columns, bool fullTurn) {
  const double left = centre + 0.5, right = columns - 0.5 - centre;
  const double reach = fullTurn ? std::max(left, right) : std::min(left, right);
  if (columns < 8 || reach >= 0.25 * columns) return "";
  char text[320];
  std::snprintf(text, sizeof text,
                "the rotation centre %.6g lies %.1f px from the detector's middle: every "
                "projection measures only a disc of radius %.1f px around it, of the %.0f px a "
                "centred axis gives (a wrong centre, or an offset axis that needs a full turn)",
                centre, std::abs(centre - 0.5 * (columns - 1)), std::max(0.0, reach),
                0.5 * columns);
  return text;
}

void checkCentreOnDetector(double centre, int columns) {
  if (std::isfinite(centre) && centre >= 0.0 && (columns <= 0 || centre <= columns - 1)) return;
  char text[160];
  if (columns > 0)
    std::snprintf(text, sizeof text, "rotation centre %.6g lies outside the detector (0 … %d)",
                  centre, columns - 1);
  else
    std::snprintf(text, sizeof text, "rotation centre %.6g: must be a column, 0 or more", centre);
  throw std::invalid_argument(text);
}

ParallelGeometry ParallelGeometry::make(std::vector<double> anglesRad, double centre, int columns) {
  ParallelGeometry g;
  g.anglesRad = std::move(anglesRad);
  g.centre = centre;
  g.columns = columns;
  g.gridSize = columns;
  g.validate();
  return g;
}

}  // namespace tomolive

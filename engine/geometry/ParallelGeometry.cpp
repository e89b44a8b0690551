#include "geometry/ParallelGeometry.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace tomolive {

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
  if (!std::isfinite(centre) || centre < 0.0 || centre > columns - 1)
    throw std::invalid_argument("geometry: rotation centre " + std::to_string(centre) +
                                " lies outside the detector (0 … " + std::to_string(columns - 1) +
                                ")");
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

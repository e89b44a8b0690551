#include "sirt/Sirt.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tomolive {

void checkSirtCall(int gridSize, int slices, const ParallelGeometry& geometry,
                   const ProjectionStack& p, std::span<const int> projections, int iterations) {
  if (iterations < 0)
    throw std::invalid_argument("SIRT: iteration count " + std::to_string(iterations) +
                                " must not be negative");
  if (p.slices() != slices)
    throw std::invalid_argument("SIRT: projections have " + std::to_string(p.slices()) +
                                " slices, the estimate has " + std::to_string(slices));
  if (geometry.gridSize != gridSize)
    throw std::invalid_argument("SIRT: projector grid " + std::to_string(geometry.gridSize) +
                                " ≠ estimate grid " + std::to_string(gridSize));
  for (int i : projections)
    if (i < 0 || i >= p.projections() || i >= geometry.projections())
      throw std::invalid_argument("SIRT: projection " + std::to_string(i) + " outside the " +
                                  std::to_string(std::min(p.projections(), geometry.projections())) +
                                  " held");
}

}  // namespace tomolive

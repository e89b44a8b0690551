#include "sirt/Sirt.h"

#include <stdexcept>
#include <string>

namespace tomolive {

void checkSirtCall(int gridSize, int slices, const ParallelGeometry& geometry,
                   const ProjectionStack& p, int iterations) {
  if (iterations < 0)
    throw std::invalid_argument("SIRT: iteration count " + std::to_string(iterations) +
                                " must not be negative");
  if (p.slices() != slices)
    throw std::invalid_argument("SIRT: projections have " + std::to_string(p.slices()) +
                                " slices, the estimate has " + std::to_string(slices));
  if (geometry.gridSize != gridSize)
    throw std::invalid_argument("SIRT: projector grid " + std::to_string(geometry.gridSize) +
                                " ≠ estimate grid " + std::to_string(gridSize));
}

}  // namespace tomolive

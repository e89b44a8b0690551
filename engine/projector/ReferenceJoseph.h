#pragma once
// The plain Joseph loop: one slice, one thread, scalar, straight from the definition (walk each
// ray along its principal axis, interpolate linearly between the two nearest pixels, skip
// pixels outside the grid). It is the yardstick the fast projector is tested and benchmarked
// against, so it shares no code with it beyond the geometry conventions.
#include <vector>

#include "geometry/ParallelGeometry.h"

namespace tomolive {

/// Forward projection of one slice (gridSize² row-major) for projection `p`: `columns` values.
std::vector<float> referenceForward(const ParallelGeometry& g, const std::vector<float>& slice,
                                    int p);

/// Adds the back projection of one detector row of projection `p` into `slice`.
void referenceBackAdd(const ParallelGeometry& g, const std::vector<float>& row, int p,
                      std::vector<float>& slice);

}  // namespace tomolive

#pragma once
// Streaming SIRT: each update runs I iterations over the rays of one window of newly arrived
// projections, warm-started from the previous estimate (the seed's scheme). The window's own
// angles define the projector, so only the window's projections need to be held.
#include <span>
#include <vector>

#include "geometry/SliceStacks.h"
#include "sirt/SirtSolver.h"

namespace tomolive {

struct WindowUpdate {
  int update = 0;       ///< 1 for the first window
  int projections = 0;  ///< projections in this window
  int iterations = 0;
  double seconds = 0.0;  ///< wall time of the SIRT work
  std::vector<SirtIteration> history;
};

class WindowedReconstruction {
 public:
  WindowedReconstruction(int gridSize, int slices, int columns, double centre,
                         SirtOptions options = {});

  /// Consumes one window: line integrals (window.projections() projections, in the order of
  /// `anglesRad`) and runs `iterations` SIRT iterations on it.
  WindowUpdate update(const ProjectionStack& window, std::span<const double> anglesRad,
                      int iterations);

  const VolumeStack& estimate() const { return m_solver.estimate(); }
  double centre() const { return m_centre; }
  /// A new centre applies from the next update on.
  void setCentre(double centre);
  int updates() const { return m_updates; }

 private:
  SirtSolver m_solver;
  int m_columns;
  double m_centre;
  int m_updates = 0;
};

}  // namespace tomolive

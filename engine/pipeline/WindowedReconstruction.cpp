#include "pipeline/WindowedReconstruction.h"

#include <chrono>
#include <numeric>
#include <stdexcept>
#include <string>

#include "bench/Timing.h"

namespace tomolive {

WindowedReconstruction::WindowedReconstruction(int gridSize, int slices, int columns, double centre,
                                               SirtOptions options, ComputeBackend backend)
    : m_solver(makeSirt(backend, gridSize, slices, options)), m_columns(columns), m_centre(centre) {
  setCentre(centre);
}

void WindowedReconstruction::setCentre(double centre) {
  if (!(centre >= 0.0 && centre <= m_columns - 1))
    throw std::invalid_argument("rotation centre " + std::to_string(centre) +
                                " lies outside the detector (0 … " + std::to_string(m_columns - 1) +
                                ")");
  m_centre = centre;
}

WindowUpdate WindowedReconstruction::update(const ProjectionStack& window,
                                            std::span<const double> anglesRad, int iterations) {
  if (static_cast<int>(anglesRad.size()) != window.projections())
    throw std::invalid_argument("window holds " + std::to_string(window.projections()) +
                                " projections but " + std::to_string(anglesRad.size()) + " angles");
  const auto start = std::chrono::steady_clock::now();
  ParallelGeometry g;
  g.anglesRad.assign(anglesRad.begin(), anglesRad.end());
  g.centre = m_centre;
  g.columns = m_columns;
  g.gridSize = m_solver->gridSize();
  std::vector<int> all(window.projections());
  std::iota(all.begin(), all.end(), 0);
  WindowUpdate u;
  u.update = ++m_updates;
  u.projections = window.projections();
  u.iterations = iterations;
  u.history = m_solver->iterate(g, window, all, iterations);
  u.seconds = secondsSince(start);
  return u;
}

}  // namespace tomolive

#pragma once
// Streaming SIRT: each update runs I iterations over the rays of one window of newly arrived
// projections, warm-started from the previous estimate (the seed's scheme). The window's own
// angles define the projector, so only the window's projections need to be held.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/ComputeBackend.h"
#include "geometry/SliceStacks.h"
#include "sirt/Sirt.h"

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
  /// `backend` must be resolved (cpu or cuda): on CUDA the estimate stays on the GPU between
  /// windows and each update uploads only the window's projections.
  WindowedReconstruction(int gridSize, int slices, int columns, double centre,
                         SirtOptions options = {}, ComputeBackend backend = ComputeBackend::cpu);

  /// Consumes one window: line integrals (window.projections() projections, in the order of
  /// `anglesRad`) and runs `iterations` SIRT iterations on it.
  WindowUpdate update(const ProjectionStack& window, std::span<const double> anglesRad,
                      int iterations);

  /// A copy of the whole estimate (downloaded from the GPU on CUDA).
  VolumeStack estimate() const { return m_solver->estimate(); }
  /// Only the listed slices, as row-major gridSize² images one after the other.
  std::vector<float> slices(std::span<const int> which) const { return m_solver->slices(which); }
  int sliceCount() const { return m_solver->sliceCount(); }
  /// The SIRT backend's name ("CPU Joseph (…)", "CUDA Joseph (…)").
  std::string backendName() const { return m_solver->name(); }
  double centre() const { return m_centre; }
  /// A new centre applies from the next update on.
  void setCentre(double centre);
  int updates() const { return m_updates; }

 private:
  std::unique_ptr<Sirt> m_solver;
  int m_columns;
  double m_centre;
  int m_updates = 0;
};

}  // namespace tomolive

#include "backend/JosephWindow.h"

#include "projector/JosephPlan.h"

namespace tomolive {

gpu::JosephWindow traceJosephWindow(const ParallelGeometry& g, std::span<const int> projections) {
  gpu::JosephWindow w;
  w.gridSize = g.gridSize;
  w.columns = g.columns;
  w.centre = g.centre;
  std::vector<double> angles;
  for (int p : projections) angles.push_back(g.anglesRad[std::size_t(p)]);
  w.fullTurn = coversFullTurn(angles);
  w.projections.reserve(projections.size());
  w.rayBegin.reserve(projections.size() * g.gridSize);
  w.rayEnd.reserve(projections.size() * g.gridSize);
  for (int p : projections) {
    const JosephPlan plan = JosephPlan::make(g, p);
    const JosephRays rays = plan.rays();
    w.projections.push_back(
        {rays.alpha, rays.beta0, rays.betaStep, rays.weight, plan.alongColumns()});
    w.rayBegin.insert(w.rayBegin.end(), rays.rayBegin, rays.rayBegin + g.gridSize);
    w.rayEnd.insert(w.rayEnd.end(), rays.rayEnd, rays.rayEnd + g.gridSize);
  }
  return w;
}

}  // namespace tomolive

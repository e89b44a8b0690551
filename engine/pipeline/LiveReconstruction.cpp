#include "pipeline/LiveReconstruction.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "geometry/ParallelGeometry.h"
#include "pipeline/RowShare.h"
#include "sirt/Cgls.h"
#include "sirt/SirtFilter.h"
#include "sirt/SirtSolver.h"
#include "timing/Timing.h"

namespace tomolive {

namespace {
constexpr const char* kMethodNames[] = {"filtered", "cgls", "sirt", "window"};
}

LiveMethod parseLiveMethod(std::string_view text) {
  for (int m = 0; m < 4; ++m)
    if (text == kMethodNames[m]) return LiveMethod(m);
  throw std::invalid_argument("unknown reconstruction method \"" + std::string(text) +
                              "\"; valid: filtered, cgls, sirt, window");
}

const char* liveMethodName(LiveMethod method) { return kMethodNames[int(method)]; }

LiveReconstruction::LiveReconstruction(int gridSize, int slices, int columns, double centre,
                                       LiveOptions options, std::shared_ptr<RowTeam> team)
    : m_options(options),
      m_gridSize(gridSize),
      m_slices(slices),
      m_columns(columns),
      m_centre(centre) {
  if (gridSize < 1 || slices < 1 || columns < 1)
    throw std::invalid_argument("live reconstruction: grid " + std::to_string(gridSize) + ", " +
                                std::to_string(slices) + " slices and " + std::to_string(columns) +
                                " detector columns must all be at least 1");
  if (options.targetIterations < 1)
    throw std::invalid_argument("live reconstruction: target iterations " +
                                std::to_string(options.targetIterations) + " must be at least 1");
  setCentre(centre);
  if (team && team->members() > 1) {
    m_share = std::make_unique<RowShare>(std::move(team), gridSize, slices, columns, centre,
                                         options);
    m_computeName = m_share->description();
    return;
  }
  if (options.method == LiveMethod::window || options.method == LiveMethod::sirt)
    m_device = makeSirt(options.backend, gridSize, slices, options.sirt);
  else
    m_host = std::make_unique<SirtSolver>(gridSize, slices, options.sirt);
  m_computeName =
      m_device
          ? m_device->name()
          : makeProjector(options.backend, ParallelGeometry::make({0.0}, centre, columns))->name();
}

LiveReconstruction::~LiveReconstruction() = default;

void LiveReconstruction::setCentre(double centre) {
  checkCentreOnDetector(centre, m_columns);
  m_centre = centre;
  if (m_share) m_share->setCentre(centre);
}

void LiveReconstruction::restart() {
  if (m_share)
    m_share->restart();
  else if (m_device)
    m_device = makeSirt(m_options.backend, m_gridSize, m_slices, m_options.sirt);
  else
    m_host->reset();
}

namespace {

// Detector row (projection p, slice s) of a stack, whose rows lie interleaved by lanes.
void copyRow(const ProjectionStack& stack, int p, int s, std::vector<float>& into) {
  const int lanes = stack.lanes();
  const float* first = stack.row(p, s / lanes) + s % lanes;
  into.resize(std::size_t(stack.columns()));
  for (int j = 0; j < stack.columns(); ++j) into[std::size_t(j)] = first[std::size_t(j) * lanes];
}

// The values of up to 2^18 of a window's pixels, whole detector rows spread evenly: what its air
// level is read from.
std::vector<float> sampledRows(const ProjectionStack& window) {
  const std::int64_t rows = std::int64_t(window.projections()) * window.slices();
  const std::int64_t most = std::max<std::int64_t>(1, (std::int64_t(1) << 18) / window.columns());
  const std::int64_t taken = std::min(rows, most);
  std::vector<float> values, row;
  values.reserve(std::size_t(taken * window.columns()));
  for (std::int64_t k = 0; k < taken; ++k) {
    const std::int64_t at = k * rows / taken;
    copyRow(window, int(at / window.slices()), int(at % window.slices()), row);
    values.insert(values.end(), row.begin(), row.end());
  }
  return values;
}

}  // namespace

void LiveReconstruction::receive(const ProjectionStack& window, std::span<const double> anglesRad) {
  if (int(anglesRad.size()) != window.projections())
    throw std::invalid_argument("window holds " + std::to_string(window.projections()) +
                                " projections but " + std::to_string(anglesRad.size()) + " angles");
  if (window.slices() != m_slices || window.columns() != m_columns)
    throw std::invalid_argument("window of " + std::to_string(window.slices()) + " slices × " +
                                std::to_string(window.columns()) +
                                " columns; the reconstruction "
                                "takes " +
                                std::to_string(m_slices) + " × " + std::to_string(m_columns));
  if (m_options.method == LiveMethod::window && m_updated > 0) {  // forget the updated window
    m_angles.clear();
    m_updated = 0;
  }
  const int count = receivedCount(), adding = window.projections();
  if (m_received.projections() < count + adding) {
    ProjectionStack grown(std::max(count + adding, 2 * m_received.projections()), m_slices,
                          m_columns);
    const std::size_t used = std::size_t(count) * grown.projectionStride();
    std::copy_n(m_received.raw().begin(), used, grown.raw().begin());
    m_received = std::move(grown);
  }
  std::copy(window.raw().begin(), window.raw().end(),
            m_received.raw().begin() + std::ptrdiff_t(count * m_received.projectionStride()));
  m_angles.insert(m_angles.end(), anglesRad.begin(), anglesRad.end());
  if (m_options.method == LiveMethod::window) recordShadows(window, anglesRad);
  if (m_share) m_share->receive(window, anglesRad);
}

LiveUpdate LiveReconstruction::update(int iterations) {
  if (iterations < 1)
    throw std::invalid_argument("iterations I = " + std::to_string(iterations) +
                                " must be at least 1");
  const auto start = std::chrono::steady_clock::now();
  if (m_share) {  // the members keep the same account of what was received and used
    LiveUpdate u = m_share->update(iterations);
    m_updates = u.update;
    m_updated = receivedCount();
    u.seconds = secondsSince(start);
    return u;
  }
  LiveUpdate u;
  u.iterations = iterations;
  u.projections = receivedCount() - m_updated;
  u.update = u.projections > 0 ? ++m_updates : m_updates;
  const ParallelGeometry g{m_angles, m_centre, m_columns, m_gridSize};
  std::vector<int> use(receivedCount());
  std::iota(use.begin(), use.end(), 0);
  if (m_options.method == LiveMethod::window) use.erase(use.begin(), use.begin() + m_updated);
  m_updated = receivedCount();
  u.used = int(use.size());
  if (use.empty()) return u;
  double data = 0.0;  // ‖p‖² over the projections used (padding lanes are zero)
  for (int p : use) {
    const float* values = m_received.row(p, 0);
    for (std::size_t i = 0; i < m_received.projectionStride(); ++i)
      data += double(values[i]) * values[i];
  }
  switch (m_options.method) {
    case LiveMethod::window:  // forgets the window at the next receive: memory stays bounded
      u.history = m_device->iterate(g, m_received, use, iterations);
      break;
    case LiveMethod::sirt:
      u.history = m_device->iterate(g, m_received, use, iterations);
      break;
    case LiveMethod::cgls: {
      const auto projector = makeProjector(m_options.backend, g);
      m_computeName = projector->name();
      u.history = cglsIterate(*projector, m_received, use, iterations, m_host->mask(),
                              m_options.sirt.nonNegative, m_host->estimate(), m_rowTotal);
      break;
    }
    case LiveMethod::filtered: {
      const auto projector = makeProjector(m_options.backend, g);
      m_computeName = projector->name();
      const int steps = 1 + iterations;
      const SirtFilter filter(m_angles, m_columns, m_gridSize,
                              std::max(1.0, double(m_options.targetIterations) / steps));
      m_host->reset();
      u.history = m_host->iterate(*projector, m_received, use, steps, &filter);
      break;
    }
  }
  u.dataNorm = std::sqrt(data);
  if (!u.history.empty() && data > 0.0) u.relativeResidual = u.history.back().residual / u.dataNorm;
  u.seconds = secondsSince(start);
  return u;
}

LiveUpdate LiveReconstruction::finish(int iterations, bool fromZero) {
  if (iterations < 1)
    throw std::invalid_argument("finishing pass of " + std::to_string(iterations) +
                                " iterations: must be at least 1");
  if (m_options.method == LiveMethod::window)
    throw std::logic_error("finishing pass: not for the window method");
  const auto start = std::chrono::steady_clock::now();
  if (m_share) {
    LiveUpdate u = m_share->finish(iterations, fromZero);
    u.seconds = secondsSince(start);
    return u;
  }
  LiveUpdate u;
  u.update = m_updates;
  u.iterations = iterations;
  const ParallelGeometry g{m_angles, m_centre, m_columns, m_gridSize};
  std::vector<int> use(receivedCount());
  std::iota(use.begin(), use.end(), 0);
  u.used = int(use.size());
  if (use.empty()) return u;
  if (m_options.method == LiveMethod::sirt) {
    if (fromZero) restart();
    u.history = m_device->iterate(g, m_received, use, iterations);
  } else {
    const auto projector = makeProjector(m_options.backend, g);
    if (fromZero) m_host->reset();
    u.history = m_host->iterate(*projector, m_received, use, iterations, nullptr);
  }
  u.seconds = secondsSince(start);
  return u;
}

SliceSinogram LiveReconstruction::sinogram(int s, int most) const {
  const int count = receivedCount();
  if (s < 0 || s >= m_slices || count == 0 || most < 1)
    throw std::invalid_argument("sinogram of slice " + std::to_string(s) + " (of " +
                                std::to_string(m_slices) + ") over " + std::to_string(most) +
                                " of " + std::to_string(count) + " projections held");
  SliceSinogram out;
  out.centre = m_centre;
  out.columns = m_columns;
  const int taken = std::min(count, most);
  for (int k = 0; k < taken; ++k) {
    const int p = int(std::int64_t(k) * count / taken);
    out.anglesRad.push_back(m_angles[p]);
    for (int j = 0; j < m_columns; ++j) out.lineIntegrals.push_back(m_received.at(p, s, j));
  }
  return out;
}

void LiveReconstruction::recordShadows(const ProjectionStack& window,
                                       std::span<const double> anglesRad) {
  const std::optional<AirLevel> air = airLevel(sampledRows(window), m_columns);
  if (!air) return;
  std::vector<float> row;
  for (int p = 0; p < window.projections(); ++p)
    for (int s = 0; s < m_slices; ++s) {
      copyRow(window, p, s, row);
      m_shadows.push_back(rowShadow(row, *air));
    }
  m_shadowAngles.insert(m_shadowAngles.end(), anglesRad.begin(), anglesRad.end());
  // Bounded like the window: past kMostShadowedProjections every other projection is let go, so
  // those kept stay spread over the scan (8 bytes per row each: 17 MB at 2160 rows).
  if (m_shadowAngles.size() > std::size_t(kMostShadowedProjections)) {
    const std::size_t kept = (m_shadowAngles.size() + 1) / 2, rows = std::size_t(m_slices);
    for (std::size_t k = 0; k < kept; ++k) {
      m_shadowAngles[k] = m_shadowAngles[2 * k];
      std::copy_n(m_shadows.begin() + std::ptrdiff_t(2 * k * rows), rows,
                  m_shadows.begin() + std::ptrdiff_t(k * rows));
    }
    m_shadowAngles.resize(kept);
    m_shadows.resize(kept * rows);
  }
}

SliceShadows LiveReconstruction::shadows(int s, int most) const {
  if (s < 0 || s >= m_slices)
    throw std::invalid_argument("shadows of slice " + std::to_string(s) + " (of " +
                                std::to_string(m_slices) + ")");
  SliceShadows out;
  out.centre = m_centre;
  out.columns = m_columns;
  const int count = int(m_shadowAngles.size()), taken = std::min(count, std::max(most, 0));
  for (int k = 0; k < taken; ++k) {
    const int p = int(std::int64_t(k) * count / taken);
    out.anglesRad.push_back(m_shadowAngles[std::size_t(p)]);
    out.shadows.push_back(m_shadows[std::size_t(p) * m_slices + s]);
  }
  return out;
}

std::vector<LiveUpdate> replayInWindows(LiveReconstruction& live, const ProjectionStack& p,
                                        std::span<const double> anglesRad,
                                        std::span<const int> order, int window, int iterations) {
  if (window < 1)
    throw std::invalid_argument("window W = " + std::to_string(window) + " must be at least 1");
  std::vector<LiveUpdate> updates;
  for (std::size_t first = 0; first < order.size(); first += std::size_t(window)) {
    const int count = int(std::min<std::size_t>(std::size_t(window), order.size() - first));
    ProjectionStack w(count, p.slices(), p.columns());
    std::vector<double> angles;
    for (int k = 0; k < count; ++k) {
      const int i = order[first + std::size_t(k)];
      std::copy_n(p.row(i, 0), p.projectionStride(), w.row(k, 0));
      angles.push_back(anglesRad[std::size_t(i)]);
    }
    live.receive(w, angles);
    updates.push_back(live.update(iterations));
  }
  return updates;
}

void LiveReconstruction::readEstimate(VolumeStack& into) const {
  if (m_share)
    m_share->readEstimate(into);
  else if (m_device)
    m_device->readEstimate(into);
  else
    m_host->readEstimate(into);
}

std::shared_ptr<const VolumeStack> LiveReconstruction::sharedEstimate() const {
  if (m_share) return nullptr;  // the team's rows are gathered
  return m_device ? m_device->sharedEstimate() : m_host->sharedEstimate();
}

VolumeStack LiveReconstruction::estimate() const {
  VolumeStack x;
  readEstimate(x);
  return x;
}

std::vector<float> LiveReconstruction::slices(std::span<const int> which) const {
  if (m_share) return m_share->slices(which);
  return m_device ? m_device->slices(which) : m_host->slices(which);
}

int LiveReconstruction::sliceCount() const { return m_slices; }

std::string LiveReconstruction::description() const {
  if (m_share) return m_share->description();
  std::string method = liveMethodName(m_options.method);
  if (m_options.method == LiveMethod::filtered)
    method += " SIRT-" + std::to_string(m_options.targetIterations);
  return method + " on " + m_computeName;
}

}  // namespace tomolive

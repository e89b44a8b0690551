#include "sirt/SirtSolver.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "projector/JosephProjector.h"

namespace tomolive {

namespace {

// Applies `f(i)` for every element index in parallel.
template <class F>
void forEach(std::size_t count, F&& f) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, 1 << 14),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      for (std::size_t i = r.begin(); i < r.end(); ++i) f(i);
                    });
}

float reciprocalOrZero(float v) { return v > 1e-6f ? 1.0f / v : 0.0f; }
// R of a ray: 1 / its length through the masked grid, at most 1. A ray that only grazes the
// field of view's edge (a sliver of a pixel, as an off-centre axis on an odd detector gives)
// would otherwise multiply its residual by up to 1e6 into the pixel it grazes: a hot pixel at the
// edge (twice the sample's maximum on a cropped tooth). Smaller steps on those rays keep SIRT
// convergent (R ≤ 1/row sum); the GPU's sirtRowWeight is the same.
float rayWeight(float v) { return v > 1e-6f ? 1.0f / std::max(v, 1.0f) : 0.0f; }

}  // namespace

SirtSolver::SirtSolver(int gridSize, int slices, SirtOptions options)
    : m_options(options), m_x(std::make_shared<VolumeStack>(slices, gridSize)) {
  // Row and column weights are the same for every slice: computed on one slice.
  m_mask = VolumeStack(1, gridSize);
  for (int r = 0; r < gridSize; ++r)
    for (int c = 0; c < gridSize; ++c) {
      m_mask.at(0, r, c) =
          !m_options.circularMask || insideFieldOfView(gridSize, r, c) ? 1.0f : 0.0f;
    }
  m_maskPixels = m_mask.slice(0);
  m_columnWeights.assign(m_maskPixels.size(), 0.0f);
}

void SirtSolver::reset() {
  writableEstimate(false).fill(0.0f);
  m_zero = true;
}

std::shared_ptr<VolumeStack> SirtSolver::freeBuffer() {
  for (auto spare = m_spares.begin(); spare != m_spares.end(); ++spare)
    if (spare->use_count() == 1) {
      // Its last reader let go: what it read happened before (shared_ptr's release), and is
      // seen as done here.
      std::atomic_thread_fence(std::memory_order_acquire);
      std::shared_ptr<VolumeStack> buffer = std::move(*spare);
      m_spares.erase(spare);
      return buffer;
    }
  return std::make_shared<VolumeStack>(m_x->slices(), m_x->gridSize());
}

void SirtSolver::replaceEstimate(std::shared_ptr<VolumeStack> next) {
  // Two spares cover a reader of the newest estimate and one of the estimate before; an older
  // one still held is its readers' alone.
  constexpr std::size_t kSpares = 2;
  m_spares.push_back(std::exchange(m_x, std::move(next)));
  if (m_spares.size() > kSpares) m_spares.erase(m_spares.begin());
}

bool SirtSolver::estimateShared() const {
  if (m_x.use_count() > 1) return true;
  std::atomic_thread_fence(std::memory_order_acquire);  // as in freeBuffer()
  return false;
}

VolumeStack& SirtSolver::writableEstimate(bool keepValues) {
  if (estimateShared()) {
    std::shared_ptr<VolumeStack> next = freeBuffer();
    if (keepValues) *next = *m_x;
    replaceEstimate(std::move(next));
  }
  return *m_x;
}

void SirtSolver::updateWeights(const Projector& projector, std::span<const int> projections) {
  const ParallelGeometry& g = projector.geometry();
  std::vector<double> key{g.centre};
  for (int p : projections) key.push_back(g.anglesRad[p]);
  if (key == m_weightKey && std::equal(projections.begin(), projections.end(),
                                       m_weightProjections.begin(), m_weightProjections.end()))
    return;
  // Appended projections (same centre, the old ones first, at the same indices): only the new
  // ones need weights.
  const std::size_t kept =
      m_weightKey.size() > 1 && key.size() > m_weightKey.size() &&
              std::equal(m_weightKey.begin(), m_weightKey.end(), key.begin()) &&
              std::equal(m_weightProjections.begin(), m_weightProjections.end(),
                         projections.begin())
          ? m_weightProjections.size()
          : 0;
  const std::span<const int> fresh = projections.subspan(kept);
  // One-slice stacks, sized for the projection indices in use.
  const int needed = 1 + *std::max_element(projections.begin(), projections.end());
  if (m_rowWeights.projections() < needed || m_rowWeights.columns() != g.columns) {
    ProjectionStack grown(std::max(needed, 2 * m_rowWeights.projections()), 1, g.columns);
    if (kept > 0 && m_rowWeights.columns() == g.columns)
      std::copy(m_rowWeights.raw().begin(), m_rowWeights.raw().end(), grown.raw().begin());
    m_rowWeights = std::move(grown);
  }
  projector.rowSums(m_mask, fresh, m_rowWeights);
  const int lanes = m_rowWeights.lanes();
  tbb::parallel_for(std::size_t(0), fresh.size(), [&](std::size_t i) {
    float* row = m_rowWeights.row(fresh[i], 0);
    for (int j = 0; j < g.columns; ++j)
      row[std::size_t(j) * lanes] = rayWeight(row[std::size_t(j) * lanes]);
  });
  // Column sums of the fresh projections, added to the kept ones' where there are any.
  const std::size_t pixels = m_maskPixels.size();
  m_columnSums.resize(pixels);
  if (kept > 0) m_freshSums.resize(pixels);
  projector.columnSums(fresh, kept > 0 ? m_freshSums : m_columnSums);
  float* sums = m_columnSums.data();
  const float* added = m_freshSums.data();
  // Within the mask, what the projections measure every line of (geometry/ParallelGeometry.h):
  // with the axis off the detector's middle, in a half-turn scan, the mask's outer ring on the
  // short side is left alone.
  std::vector<double> used;
  for (int p : projections) used.push_back(g.anglesRad[std::size_t(p)]);
  const std::vector<double> seenKey{g.centre, double(g.columns), double(coversFullTurn(used))};
  if (seenKey != m_seenKey) {
    m_seen = m_options.circularMask
                 ? seenByEveryProjection(m_x->gridSize(), g.centre, g.columns, seenKey[2] > 0.0)
                 : m_maskPixels;
    m_seenKey = seenKey;
  }
  const std::vector<float>& seen = m_seen;
  const float* mask = m_maskPixels.data();
  float* weights = m_columnWeights.data();
  forEach(pixels, [&](std::size_t pixel) {
    if (kept > 0) sums[pixel] += added[pixel];
    weights[pixel] = mask[pixel] * seen[pixel] * reciprocalOrZero(sums[pixel]);
  });
  m_weightKey = std::move(key);
  m_weightProjections.assign(projections.begin(), projections.end());
}

std::vector<SirtIteration> SirtSolver::iterate(const Projector& projector, const ProjectionStack& p,
                                               std::span<const int> projections, int iterations,
                                               const SirtFilter* filter) {
  checkSirtCall(m_x->gridSize(), m_x->slices(), projector.geometry(), p, projections, iterations);
  std::vector<SirtIteration> history;
  if (projections.empty() || iterations == 0) return history;
  updateWeights(projector, projections);
  if (m_residual.projections() != p.projections() || m_residual.slices() != p.slices())
    m_residual = ProjectionStack(p.projections(), p.slices(), p.columns());

  const int lanes = m_x->lanes(), columns = p.columns(), n = m_x->gridSize();
  bool projected = false;  // the last step left A·x in m_residual
  for (int it = 0; it < iterations; ++it) {
    if (m_zero) {  // A·0 = 0
      for (int proj : projections)
        for (int g = 0; g < p.groups(); ++g)
          std::fill_n(m_residual.row(proj, g), std::size_t(columns) * lanes, 0.0f);
    } else if (!projected) {
      projector.forward(*m_x, projections, m_residual);
    }
    projected = false;
    // residual ← R · (p − A·x) (or p − A·x to be filtered), measuring both norms on the way.
    struct Norms {
      double weighted = 0, plain = 0;
    };
    const int groups = p.groups();
    const Norms norms = tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, projections.size() * groups), Norms{},
        [&](const tbb::blocked_range<std::size_t>& r, Norms acc) {
          for (std::size_t i = r.begin(); i < r.end(); ++i) {
            const int proj = projections[i / groups], g = int(i % groups);
            const float* measured = p.row(proj, g);
            float* res = m_residual.row(proj, g);
            const float* weight = m_rowWeights.row(proj, 0);
            for (int j = 0; j < columns; ++j) {
              const float w = weight[j * m_rowWeights.lanes()];
              for (int l = 0; l < lanes; ++l) {
                const std::size_t k = std::size_t(j) * lanes + l;
                const float d = measured[k] - res[k];
                acc.plain += double(d) * d;
                acc.weighted += double(w) * d * d;
                res[k] = filter ? d : w * d;
              }
            }
          }
          return acc;
        },
        [](Norms a, const Norms& b) {
          a.weighted += b.weighted;
          a.plain += b.plain;
          return a;
        });
    history.push_back({std::sqrt(norms.weighted), std::sqrt(norms.plain)});
    if (filter) filter->apply(m_residual, projections);

    // x ← clamp(x + C · Aᵀ·residual) on the masked grid (C is zero outside it); while a reader
    // holds x, into a free buffer (the step reads x once either way).
    // Before another iteration, the step and the next forward projection in one pass where the
    // projector fuses them.
    const bool clamp = m_options.nonNegative, another = it + 1 < iterations;
    const auto step = [&](VolumeStack& to) {
      if (another &&
          projector.addBackThenForward(m_residual, projections, m_columnWeights, clamp, *m_x, to))
        return projected = true;
      return projector.addBack(m_residual, projections, m_columnWeights, clamp, *m_x, to);
    };
    if (estimateShared()) {
      std::shared_ptr<VolumeStack> next = freeBuffer();
      if (step(*next)) {
        replaceEstimate(std::move(next));
        m_zero = false;
        continue;
      }
      m_spares.push_back(std::move(next));
    } else if (step(*m_x)) {
      m_zero = false;
      continue;
    }
    VolumeStack& estimate = writableEstimate(true);
    if (m_update.slices() != estimate.slices()) m_update = VolumeStack(estimate.slices(), n);
    projector.back(m_residual, projections, m_update);
    const float* c = m_columnWeights.data();
    for (int g = 0; g < estimate.groups(); ++g) {
      float* x = estimate.group(g);
      const float* u = m_update.group(g);
      forEach(std::size_t(n) * n, [&](std::size_t pixel) {
        const float w = c[pixel];
        for (int l = 0; l < lanes; ++l) {
          float& v = x[pixel * lanes + l];
          v += w * u[pixel * lanes + l];
          if (clamp && v < 0.0f) v = 0.0f;
        }
      });
    }
    m_zero = false;
  }
  return history;
}

std::vector<SirtIteration> SirtSolver::iterate(const ParallelGeometry& geometry,
                                               const ProjectionStack& p,
                                               std::span<const int> projections, int iterations) {
  return iterate(JosephProjector(geometry), p, projections, iterations);
}

std::vector<float> SirtSolver::slices(std::span<const int> which) const {
  std::vector<float> images;
  images.reserve(which.size() * std::size_t(m_x->gridSize()) * m_x->gridSize());
  for (int s : which) {
    if (s < 0 || s >= m_x->slices())
      throw std::invalid_argument("SIRT: slice " + std::to_string(s) + " outside 0 … " +
                                  std::to_string(m_x->slices() - 1));
    const std::vector<float> image = m_x->slice(s);
    images.insert(images.end(), image.begin(), image.end());
  }
  return images;
}

std::string SirtSolver::name() const { return JosephProjector::describe(); }

}  // namespace tomolive

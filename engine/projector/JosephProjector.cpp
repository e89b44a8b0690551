#include "projector/JosephProjector.h"

#include <tbb/blocked_range.h>
#include <tbb/blocked_range2d.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "projector/JosephKernels.h"
#include "projector/JosephPlan.h"

namespace tomolive {

namespace {

using joseph::kLinePadding;

// Projections of one orientation, traced.
struct Traced {
  std::vector<JosephPlan> plans;
  std::vector<JosephRays> rays;
  std::vector<int> indices;
};

void trace(const ParallelGeometry& g, std::span<const int> projections, Traced& alongRows,
           Traced& alongColumns) {
  for (int p : projections) {
    JosephPlan plan = JosephPlan::make(g, p);
    Traced& t = plan.alongColumns() ? alongColumns : alongRows;
    t.indices.push_back(p);
    t.plans.push_back(std::move(plan));
  }
  for (Traced* t : {&alongRows, &alongColumns})
    for (const JosephPlan& plan : t->plans) t->rays.push_back(plan.rays());
}

// A grid of n lines of n pixels, each padded with kLinePadding zero pixels at both ends.
struct PaddedLines {
  PaddedLines(int n, int lanes)
      : n(n), lanes(lanes), buffer(std::size_t(n) * (n + 2 * kLinePadding) * lanes) {}
  std::size_t lineFloats() const { return std::size_t(n + 2 * kLinePadding) * lanes; }
  float* pixel(int line, int k) {
    return buffer.data() + line * lineFloats() + (k + kLinePadding) * lanes;
  }
  joseph::LineBlock block(int begin, int end) { return {buffer.data(), n, lanes, begin, end}; }
  int n, lanes;
  AlignedBuffer buffer;
};

// Copies one slice group of the volume into padded lines: rows as they are, or columns
// (transposed) when `columns` is set. Padding is left at zero.
void loadLines(const float* group, bool columns, PaddedLines& lines) {
  const int n = lines.n, lanes = lines.lanes;
  tbb::parallel_for(tbb::blocked_range<int>(0, n, 16), [&](const tbb::blocked_range<int>& r) {
    for (int l = r.begin(); l < r.end(); ++l) {
      if (!columns) {
        std::memcpy(lines.pixel(l, 0), group + std::size_t(l) * n * lanes,
                    sizeof(float) * n * lanes);
      } else {
        for (int k = 0; k < n; ++k)
          std::memcpy(lines.pixel(l, k), group + (std::size_t(k) * n + l) * lanes,
                      sizeof(float) * lanes);
      }
    }
  });
}

constexpr int kProjectionsPerTask = 8;  // projections sharing one pass over the lines
constexpr int kLinesPerTask = 8;        // lines sharing one pass over a detector row

void forwardOrientation(const joseph::KernelSet& kernels, const Traced& traced, PaddedLines& lines,
                        ProjectionStack& y, int group) {
  const int count = static_cast<int>(traced.indices.size());
  if (count == 0) return;
  const int columns = y.columns(), lanes = y.lanes();
  // Split detector columns too when there are few projection blocks to share between threads.
  const int blocks = (count + kProjectionsPerTask - 1) / kProjectionsPerTask;
  const int threads = tbb::info::default_concurrency();
  const int chunks = std::clamp(2 * threads / blocks, 1, std::max(1, columns / 64));
  const int chunkWidth = (columns + chunks - 1) / chunks;
  tbb::parallel_for(
      tbb::blocked_range2d<int>(0, blocks, 1, 0, chunks, 1),
      [&](const tbb::blocked_range2d<int>& r) {
        for (int b = r.rows().begin(); b < r.rows().end(); ++b) {
          const int first = b * kProjectionsPerTask;
          const int n = std::min(kProjectionsPerTask, count - first);
          float* rows[kProjectionsPerTask];
          for (int i = 0; i < n; ++i) rows[i] = y.row(traced.indices[first + i], group);
          for (int c = r.cols().begin(); c < r.cols().end(); ++c) {
            const int rayBegin = c * chunkWidth, rayEnd = std::min(columns, rayBegin + chunkWidth);
            if (rayBegin >= rayEnd) continue;
            for (int i = 0; i < n; ++i)
              std::memset(rows[i] + std::size_t(rayBegin) * lanes, 0,
                          sizeof(float) * (rayEnd - rayBegin) * lanes);
            joseph::RayBlock rays{traced.rays.data() + first, rows, n, columns, rayBegin, rayEnd};
            kernels.forward(lines.block(0, lines.n), rays);
          }
        }
      });
}

void backOrientation(const joseph::KernelSet& kernels, const Traced& traced,
                     const ProjectionStack& y, int group, PaddedLines& lines) {
  const int count = static_cast<int>(traced.indices.size());
  lines.buffer.fill(0.0f);
  if (count == 0) return;
  std::vector<float*> rows(count);
  for (int i = 0; i < count; ++i)
    rows[i] = const_cast<float*>(y.row(traced.indices[i], group));  // kernels only read rows here
  tbb::parallel_for(
      tbb::blocked_range<int>(0, lines.n, kLinesPerTask), [&](const tbb::blocked_range<int>& r) {
        joseph::RayBlock rays{traced.rays.data(), rows.data(), count, y.columns(), 0, y.columns()};
        kernels.back(lines.block(r.begin(), r.end()), rays);
      });
}

}  // namespace

JosephProjector::JosephProjector(ParallelGeometry geometry) : Projector(std::move(geometry)) {}

std::string JosephProjector::describe() {
  return std::string("CPU Joseph (") + joseph::bestKernels().isa + ", " +
         std::to_string(tbb::info::default_concurrency()) + " threads)";
}

void JosephProjector::forward(const VolumeStack& x, std::span<const int> projections,
                              ProjectionStack& y) const {
  checkShapes(x, projections, y);
  Traced alongRows, alongColumns;
  trace(geometry(), projections, alongRows, alongColumns);
  const auto& kernels = joseph::bestKernels();
  PaddedLines lines(x.gridSize(), x.lanes());
  for (int g = 0; g < x.groups(); ++g) {
    for (bool columns : {false, true}) {
      const Traced& traced = columns ? alongColumns : alongRows;
      if (traced.indices.empty()) continue;
      loadLines(x.group(g), columns, lines);
      forwardOrientation(kernels, traced, lines, y, g);
    }
  }
}

void JosephProjector::back(const ProjectionStack& y, std::span<const int> projections,
                           VolumeStack& x) const {
  checkShapes(x, projections, y);
  Traced alongRows, alongColumns;
  trace(geometry(), projections, alongRows, alongColumns);
  const auto& kernels = joseph::bestKernels();
  const int n = x.gridSize(), lanes = x.lanes();
  PaddedLines rows(n, lanes), columns(n, lanes);
  for (int g = 0; g < x.groups(); ++g) {
    backOrientation(kernels, alongRows, y, g, rows);
    backOrientation(kernels, alongColumns, y, g, columns);
    float* out = x.group(g);
    tbb::parallel_for(tbb::blocked_range<int>(0, n, 16), [&](const tbb::blocked_range<int>& r) {
      for (int row = r.begin(); row < r.end(); ++row)
        for (int c = 0; c < n; ++c) {
          const float* a = rows.pixel(row, c);
          const float* b = columns.pixel(c, row);
          float* o = out + (std::size_t(row) * n + c) * lanes;
          for (int l = 0; l < lanes; ++l) o[l] = a[l] + b[l];
        }
    });
  }
  // Padding lanes (slices beyond the last) must stay zero: they are, since y's padding lanes are.
}

}  // namespace tomolive

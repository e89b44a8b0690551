#include "projector/JosephProjector.h"

#include <tbb/blocked_range.h>
#include <tbb/blocked_range2d.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xmmintrin.h>

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

// Slices per pixel in the projector's own buffers for a group holding `slices` real slices:
// a power of two ≥ slices. Below the kernel set's acrossRaysBelow the group is too thin to fill a
// vector across slices, and the across-rays kernels take it, packed without the padding lanes.
int packedLanes(int slices) {
  int lanes = 1;
  while (lanes < slices) lanes *= 2;
  return lanes;
}

// How one slice group is laid out for the kernels.
struct GroupLayout {
  GroupLayout(const joseph::KernelSet& kernels, int slices, int stackLanes, int group)
      : stackLanes(stackLanes),
        lanes(packedLanes(std::min(stackLanes, slices - group * stackLanes))),
        acrossRays(lanes < kernels.acrossRaysBelow) {
    if (!acrossRays) lanes = stackLanes;
  }
  int stackLanes;   ///< lanes per pixel in VolumeStack / ProjectionStack
  int lanes;        ///< lanes per pixel in the kernels' buffers (≤ stackLanes)
  bool acrossRays;  ///< across-rays kernels on packed buffers, else across-slices kernels
};

// The projector's working buffers. A new buffer costs a page fault per 4 KiB and a zeroing pass
// — at 1024² × 1 slice as much as the projection itself, at 2560² × 16 slices over 64
// projections a quarter of a call — so each calling thread keeps one buffer per role and reuses
// it in its next call (a reconstruction calls with the same sizes every iteration). What a thread
// keeps is what one call of its needs anyway, held until the thread ends. The contents are not
// zeroed: each user zeroes what it relies on.
enum class ScratchRole { lines, columnLines, rowBlock, packedRows, forwardTile, count };

class Scratch {
 public:
  Scratch(ScratchRole role, std::size_t floats) {
    struct Kept {
      AlignedBuffer buffer;
      bool inUse = false;  // a call nested in this thread's wait (task stealing) allocates anew
    };
    thread_local Kept kept[int(ScratchRole::count)];
    Kept& k = kept[int(role)];
    if (k.inUse) {
      m_own = AlignedBuffer(floats);
      m_data = m_own.data();
      return;
    }
    if (k.buffer.size() < floats) k.buffer = AlignedBuffer(floats);
    k.inUse = true;
    m_inUse = &k.inUse;
    m_data = k.buffer.data();
  }
  ~Scratch() {
    if (m_inUse) *m_inUse = false;
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  float* data() const { return m_data; }

 private:
  AlignedBuffer m_own;
  float* m_data = nullptr;
  bool* m_inUse = nullptr;
};

// L floats (one pixel of a group) as one vector.
template <int L>
struct PixelLanes {
  typedef float Vec __attribute__((vector_size(L * sizeof(float))));
};

// A grid of n lines of n pixels, each padded with kLinePadding zero pixels at both ends and
// rounded up to joseph::paddedLineStride(n) pixels, plus the kernels' window slack.
struct PaddedLines {
  /// `count` lines (all n by default).
  PaddedLines(int n, int lanes, ScratchRole role, int count = 0)
      : n(n),
        lanes(lanes),
        stride(joseph::paddedLineStride(n)),
        floats(std::size_t(count > 0 ? count : n) * stride * lanes + joseph::kWindowSlack),
        buffer(role, floats) {}
  std::size_t lineFloats() const { return std::size_t(stride) * lanes; }
  float* line(int l) const { return buffer.data() + l * lineFloats(); }
  float* pixel(int l, int k) const { return line(l) + (k + kLinePadding) * lanes; }
  joseph::LineBlock block(int begin, int end) const {
    return {line(begin), n, stride, lanes, begin, end, kLinePadding};
  }
  void zero() const { std::fill_n(buffer.data(), floats, 0.0f); }
  int n, lanes, stride;
  std::size_t floats;
  Scratch buffer;
};

// f(std::integral_constant<int, L>{}) for lanes = L, one of the lane counts of GroupLayout (1, 2,
// 4, 8, 16): per-pixel loops then copy and add a number of floats the compiler knows, where a
// count known only at run time cost a call or a branch per pixel, more than the few-slice kernels
// themselves.
template <class F>
void withLanes(int lanes, F f) {
  switch (lanes) {
    case 1:
      return f(std::integral_constant<int, 1>{});
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 4:
      return f(std::integral_constant<int, 4>{});
    case 8:
      return f(std::integral_constant<int, 8>{});
    default:
      return f(std::integral_constant<int, 16>{});
  }
}

constexpr int kTileLines = 16;      // lines per tile of a transposed copy
constexpr int kPrefetchPixels = 8;  // how far ahead a walk across lines prefetches

// Copies one slice group of the volume (stackLanes floats per pixel) into padded lines of
// lines.lanes ≤ stackLanes floats per pixel: rows as they are, or columns (transposed) when
// `columns` is set. The padding is zeroed.
void loadLines(const float* group, int stackLanes, bool columns, PaddedLines& lines) {
  const int n = lines.n;
  withLanes(lines.lanes, [&](auto lanesConstant) {
    constexpr int L = decltype(lanesConstant)::value;
    tbb::parallel_for(tbb::blocked_range<int>(0, n, kTileLines),
                      [&](const tbb::blocked_range<int>& r) {
                        for (int l = r.begin(); l < r.end(); ++l) {
                          std::fill_n(lines.line(l), kLinePadding * L, 0.0f);
                          std::fill(lines.pixel(l, n), lines.line(l + 1), 0.0f);
                          if (columns) continue;
                          const float* source = group + std::size_t(l) * n * stackLanes;
                          if (L == stackLanes) {
                            std::memcpy(lines.pixel(l, 0), source, sizeof(float) * n * L);
                          } else {
                            float* to = lines.pixel(l, 0);
                            for (int k = 0; k < n; ++k, to += L, source += stackLanes)
                              std::memcpy(to, source, sizeof(float) * L);
                          }
                        }
                      });
    if (!columns) return;
    // Transposed in bands of kTileLines volume rows, each walked along: the band's rows are read
    // once each, as kTileLines sequential streams, and each line gets kTileLines adjacent
    // pixels. (Tiles of kTileLines columns walked down the volume read a few pixels per row, a
    // row apart: a cache miss per row the prefetchers cannot foresee.)
    tbb::parallel_for(
        tbb::blocked_range<int>(0, n, kTileLines), [&](const tbb::blocked_range<int>& r) {
          for (int band = r.begin(); band < r.end(); band += kTileLines) {
            const int bandEnd = std::min(r.end(), band + kTileLines);
            const float* source = group + std::size_t(band) * n * stackLanes;
            for (int l = 0; l < n; ++l, source += stackLanes) {
              float* to = lines.pixel(l, band);
              for (int k = band; k < bandEnd; ++k, to += L)
                std::memcpy(to, source + std::size_t(k - band) * n * stackLanes, sizeof(float) * L);
            }
          }
        });
  });
}

// Detector rows of one orientation in the across-rays kernels' packed layout.
struct PackedRows {
  PackedRows(int count, int columns, int lanes)
      : columns(columns),
        lanes(lanes),
        rowFloats(std::size_t(columns + 2 * joseph::kRowPadding) * lanes + joseph::kWindowSlack),
        buffer(ScratchRole::packedRows, count * rowFloats) {}
  float* row(int i) const { return buffer.data() + i * rowFloats; }
  float* ray(int i, int j) const { return row(i) + std::size_t(j + joseph::kRowPadding) * lanes; }
  /// Zeroes row i's padding and slack (the back kernels read them with weight 0).
  void zeroPadding(int i) const {
    std::fill(row(i), ray(i, 0), 0.0f);
    std::fill(ray(i, columns), row(i + 1), 0.0f);
  }
  int columns, lanes;
  std::size_t rowFloats;
  Scratch buffer;
};

constexpr int kProjectionsPerTask = 8;  // projections sharing one pass over the lines
constexpr int kLinesPerTask = 8;        // lines sharing one pass over a detector row

void forwardOrientation(const joseph::KernelSet& kernels, const Traced& traced,
                        const GroupLayout& layout, const joseph::LineBlock& lines,
                        ProjectionStack& y, int group, bool addToRows = false) {
  const int count = static_cast<int>(traced.indices.size());
  if (count == 0) return;
  const int columns = y.columns(), stackLanes = layout.stackLanes, lanes = layout.lanes;
  std::optional<PackedRows> packed;
  if (layout.acrossRays) packed.emplace(count, columns, lanes);
  // Split detector columns too when there are few projection blocks to share between threads.
  const int blocks = (count + kProjectionsPerTask - 1) / kProjectionsPerTask;
  const int threads = tbb::info::default_concurrency();
  const int chunks = std::clamp(2 * threads / blocks, 1, std::max(1, columns / 64));
  // Whole vectors per chunk: the across-rays kernels' runs start at the chunk's first column.
  constexpr int kWhole = joseph::kVectorFloats;
  const int chunkWidth = ((columns + chunks - 1) / chunks + kWhole - 1) / kWhole * kWhole;
  tbb::parallel_for(
      tbb::blocked_range2d<int>(0, blocks, 1, 0, chunks, 1),
      [&](const tbb::blocked_range2d<int>& r) {
        for (int b = r.rows().begin(); b < r.rows().end(); ++b) {
          const int first = b * kProjectionsPerTask;
          const int n = std::min(kProjectionsPerTask, count - first);
          float* rows[kProjectionsPerTask];
          for (int i = 0; i < n; ++i)
            rows[i] = packed ? packed->row(first + i) : y.row(traced.indices[first + i], group);
          for (int c = r.cols().begin(); c < r.cols().end(); ++c) {
            const int rayBegin = c * chunkWidth, rayEnd = std::min(columns, rayBegin + chunkWidth);
            if (rayBegin >= rayEnd) continue;
            for (int i = 0; i < n && !addToRows; ++i) {
              float* start = packed ? packed->ray(first + i, rayBegin)
                                    : rows[i] + std::size_t(rayBegin) * lanes;
              std::memset(start, 0, sizeof(float) * (rayEnd - rayBegin) * lanes);
            }
            joseph::RayBlock rays{traced.rays.data() + first, rows, n, columns, rayBegin, rayEnd};
            if (!packed) {
              kernels.forward(lines, rays);
              continue;
            }
            kernels.forwardAcrossRays(lines, rays);
            for (int i = 0; i < n; ++i) {
              float* out = y.row(traced.indices[first + i], group);
              for (int j = rayBegin; j < rayEnd; ++j) {
                const float* in = packed->ray(first + i, j);
                for (int s = 0; s < stackLanes; ++s)
                  out[std::size_t(j) * stackLanes + s] = s < lanes ? in[s] : 0.0f;
              }
            }
          }
        }
      });
}

// Back projection of one orientation of one slice group, in blocks of kLinesPerTask lines: each
// block is zeroed and the kernel adds into it — so it adds into cached lines —, then
// done(begin, end, block) runs while the block is still cached. The blocks go to their places in
// `whole` or, without it, to a buffer of the task's own (ScratchRole::rowBlock) that lives only
// until `done` returns.
template <class Done>
void backOrientation(const joseph::KernelSet& kernels, const Traced& traced,
                     const GroupLayout& layout, const ProjectionStack& y, int group, int n,
                     PaddedLines* whole, Done done) {
  const int count = static_cast<int>(traced.indices.size());
  const int columns = y.columns(), lanes = layout.lanes;
  const int stride = joseph::paddedLineStride(n);
  std::vector<float*> rows(count);
  std::optional<PackedRows> packed;
  if (layout.acrossRays && count > 0) {
    packed.emplace(count, columns, lanes);
    withLanes(lanes, [&](auto lanesConstant) {
      constexpr int L = decltype(lanesConstant)::value;
      tbb::parallel_for(0, count, [&](int i) {
        const float* in = y.row(traced.indices[i], group);
        packed->zeroPadding(i);
        for (int j = 0; j < columns; ++j)
          std::memcpy(packed->ray(i, j), in + std::size_t(j) * layout.stackLanes,
                      sizeof(float) * L);
      });
    });
    for (int i = 0; i < count; ++i) rows[i] = packed->row(i);
  } else {
    for (int i = 0; i < count; ++i)
      rows[i] = const_cast<float*>(y.row(traced.indices[i], group));  // kernels only read rows
  }
  const joseph::BackFn back = packed ? kernels.backAcrossRays : kernels.back;
  const std::size_t lineFloats = std::size_t(stride) * lanes;
  tbb::parallel_for(
      tbb::blocked_range<int>(0, n, kLinesPerTask), [&](const tbb::blocked_range<int>& r) {
        std::optional<Scratch> own;
        if (!whole) own.emplace(ScratchRole::rowBlock, kLinesPerTask * lineFloats);
        for (int begin = r.begin(); begin < r.end(); begin += kLinesPerTask) {
          const int end = std::min(r.end(), begin + kLinesPerTask);
          float* lines = whole ? whole->line(begin) : own->data();
          std::fill_n(lines, std::size_t(end - begin) * lineFloats, 0.0f);
          if (count > 0) {
            joseph::RayBlock block{traced.rays.data(), rows.data(), count, columns, 0, columns};
            back({lines, n, stride, lanes, begin, end, kLinePadding}, block);
          }
          done(begin, end, static_cast<const float*>(lines));
        }
      });
}

// Where one orientation's back-projected lines hold their pixels: grid line l's pixel k at
// at(l, k), for the lines firstLine … and pixels firstPixel … they hold (whole padded lines:
// firstPixel 0; a tile's segments: its first row or column).
struct LinesView {
  const float* data;  ///< padded line firstLine
  std::size_t lineFloats;
  int firstLine, firstPixel, lanes;
  const float* at(int l, int k) const {
    return data + (l - firstLine) * lineFloats + (k - firstPixel + kLinePadding) * lanes;
  }
};

// For every pixel (row, c) of grid rows rowBegin … rowEnd − 1 and columns colBegin … colEnd − 1 of
// a group (stackLanes floats in out, n pixels per row), combine(o, a, b, pixel) with a and b that
// pixel's lanes in the lines along rows (line row) and along columns (line c). Row by row: the
// volume and the rows' lines are walked along, and each cache line of the columns' lines (a few
// rows of one column) serves the next rows while it is still cached. (Walking a volume column
// instead keeps many volume rows in flight, a multiple of 4 KiB apart: one cache set, more than
// its ways.)
template <class Combine>
void forEachPixel(const LinesView& rows, const LinesView& columns, int rowBegin, int rowEnd,
                  int colBegin, int colEnd, int n, float* out, int stackLanes, Combine combine) {
  for (int row = rowBegin; row < rowEnd; ++row) {
    std::size_t pixel = std::size_t(row) * n + colBegin;
    float* o = out + pixel * stackLanes;
    const float* a = rows.at(row, colBegin);
    const float* b = columns.at(colBegin, row);
    for (int c = colBegin; c < colEnd;
         ++c, ++pixel, o += stackLanes, a += rows.lanes, b += columns.lineFloats) {
      // The columns' lines are read a line apart, farther than the prefetchers follow.
      __builtin_prefetch(b + kPrefetchPixels * columns.lineFloats);
      combine(o, a, b, pixel);
    }
  }
}

// addOrientations for one slice (lanes 1) into 1 or 4 floats per pixel (column sums, a one-slice
// volume), by 4 × 4 blocks: four columns' lines give four rows' pixels by one transpose in
// registers, where pixel by pixel each read of a column's line was a load a line apart.
void addOneSlice(const LinesView& rows, const LinesView& columns, int rowBegin, int rowEnd,
                 int colBegin, int colEnd, int n, float* out, int stackLanes) {
  const auto scalar = [&](int row, int c) {
    float* o = out + (std::size_t(row) * n + c) * stackLanes;
    o[0] = *rows.at(row, c) + *columns.at(c, row);
    for (int s = 1; s < stackLanes; ++s) o[s] = 0.0f;
  };
  int row = rowBegin;
  for (; row + 4 <= rowEnd; row += 4) {
    int c = colBegin;
    for (; c + 4 <= colEnd; c += 4) {
      // b[j]: column c + j at rows row … row + 3; after the transpose b[i]: row + i at columns
      // c … c + 3.
      __m128 b[4];
      for (int j = 0; j < 4; ++j) b[j] = _mm_loadu_ps(columns.at(c + j, row));
      _MM_TRANSPOSE4_PS(b[0], b[1], b[2], b[3]);
      for (int i = 0; i < 4; ++i) {
        const __m128 sum = _mm_add_ps(_mm_loadu_ps(rows.at(row + i, c)), b[i]);
        float* o = out + (std::size_t(row + i) * n + c) * stackLanes;
        if (stackLanes == 1) {
          _mm_storeu_ps(o, sum);
          continue;
        }
        const __m128 zero = _mm_setzero_ps();
        _mm_storeu_ps(o, _mm_move_ss(zero, sum));
        _mm_storeu_ps(o + 4, _mm_move_ss(zero, _mm_shuffle_ps(sum, sum, 1)));
        _mm_storeu_ps(o + 8, _mm_move_ss(zero, _mm_shuffle_ps(sum, sum, 2)));
        _mm_storeu_ps(o + 12, _mm_move_ss(zero, _mm_shuffle_ps(sum, sum, 3)));
      }
    }
    for (; c < colEnd; ++c)
      for (int i = 0; i < 4; ++i) scalar(row + i, c);
  }
  for (; row < rowEnd; ++row)
    for (int c = colBegin; c < colEnd; ++c) scalar(row, c);
}

// Pixels of rows rowBegin … rowEnd − 1 and columns colBegin … colEnd − 1 of `out` (n pixels per
// row) = the lines along rows + the lines along columns; lanes beyond the lines' own stay zero.
void addOrientations(const LinesView& rows, const LinesView& columns, int rowBegin, int rowEnd,
                     int colBegin, int colEnd, int n, float* out, int stackLanes) {
  if (rows.lanes == 1 && (stackLanes == 1 || stackLanes == 4))
    return addOneSlice(rows, columns, rowBegin, rowEnd, colBegin, colEnd, n, out, stackLanes);
  withLanes(rows.lanes, [&](auto lanesConstant) {
    withLanes(stackLanes, [&](auto stackLanesConstant) {
      constexpr int L = decltype(lanesConstant)::value, S = decltype(stackLanesConstant)::value;
      forEachPixel(rows, columns, rowBegin, rowEnd, colBegin, colEnd, n, out, S,
                   [&](float* o, const float* a, const float* b, std::size_t) {
                     // In vectors of up to 4 lanes, as SIRT's step (JosephProjector::addBack).
                     constexpr int V = L < 4 ? L : 4;
                     using Vec = typename PixelLanes<V>::Vec;
                     for (int s = 0; s < L; s += V) {
                       Vec va, vb;
                       std::memcpy(&va, a + s, sizeof va);
                       std::memcpy(&vb, b + s, sizeof vb);
                       va += vb;
                       std::memcpy(o + s, &va, sizeof va);
                     }
                     for (int s = L; s < S; ++s) o[s] = 0.0f;
                   });
    });
  });
}

// The views of whole padded lines: rows from padded line `begin` of rowLines, every column.
LinesView rowsView(const float* rowLines, int begin, const PaddedLines& columns) {
  return {rowLines, columns.lineFloats(), begin, 0, columns.lanes};
}
LinesView columnsView(const PaddedLines& columns) {
  return {columns.line(0), columns.lineFloats(), 0, 0, columns.lanes};
}

// A one-slice mask as one run of ones per grid line, for the lines of both orientations (line l
// of runs[0] is grid row l, of runs[1] grid column l): pixels first[l] … last[l] (none when
// first > last). Nothing when some line holds anything else.
struct MaskRuns {
  std::vector<int> first, last;
};
std::optional<std::array<MaskRuns, 2>> maskRuns(const VolumeStack& mask) {
  const int n = mask.gridSize(), lanes = mask.lanes();
  std::array<MaskRuns, 2> runs;
  for (MaskRuns& r : runs) {
    r.first.assign(n, n);
    r.last.assign(n, -1);
  }
  std::vector<int> ones(n, 0);  // per grid column
  const float* pixel = mask.group(0);
  for (int row = 0; row < n; ++row) {
    int count = 0;
    for (int c = 0; c < n; ++c, pixel += lanes) {
      if (*pixel == 0.0f) continue;
      if (*pixel != 1.0f) return std::nullopt;
      runs[0].first[row] = std::min(runs[0].first[row], c);
      runs[0].last[row] = c;
      runs[1].first[c] = std::min(runs[1].first[c], row);
      runs[1].last[c] = row;
      ++count;
      ++ones[c];
    }
    if (count > 0 && count != runs[0].last[row] - runs[0].first[row] + 1) return std::nullopt;
  }
  for (int c = 0; c < n; ++c)
    if (ones[c] > 0 && ones[c] != runs[1].last[c] - runs[1].first[c] + 1) return std::nullopt;
  return runs;
}

// Row sums of one projection over a mask given as runs. A ray whose position f on a line lies in
// the run [a, b] interpolates two ones (exactly 1, as in the kernels); only the at most two rays
// with f in (a − 1, a) or (b, b + 1) see an edge. So each line adds its ray length to a range of
// rays (a difference array) and evaluates its edge rays as the kernels do: O(lines) per
// projection where a forward projection of the mask is O(lines × rays).
void rowSumsOfRuns(const JosephPlan& plan, const MaskRuns& runs, int columns, float* row,
                   int lanes) {
  const JosephRays rays = plan.rays();
  std::vector<double> edge(columns, 0.0), step(columns + 1, 0.0);
  const int n = static_cast<int>(runs.first.size());
  for (int l = 0; l < n; ++l) {
    const int a = runs.first[l], b = runs.last[l];
    if (a > b || rays.rayBegin[l] >= rays.rayEnd[l]) continue;
    const double beta = rays.beta0 + l * rays.betaStep;
    const auto value = [&](int j) {
      const double f = rays.alpha * j + beta;
      const int k = static_cast<int>(f + kLinePadding) - kLinePadding;  // the kernels' floor
      const float w = static_cast<float>(f - k);
      const float at = k >= a && k <= b ? 1.0f : 0.0f;
      const float next = k + 1 >= a && k + 1 <= b ? 1.0f : 0.0f;
      return at + w * (next - at);
    };
    double lo = (a - 1 - beta) / rays.alpha, hi = (b + 1 - beta) / rays.alpha;
    if (lo > hi) std::swap(lo, hi);
    int j = std::max(rays.rayBegin[l], static_cast<int>(std::floor(lo)) - 1);
    int last = std::min(rays.rayEnd[l] - 1, static_cast<int>(std::ceil(hi)) + 1);
    for (float v; j <= last && (v = value(j)) != 1.0f; ++j) edge[j] += double(rays.weight) * v;
    for (float v; last >= j && (v = value(last)) != 1.0f; --last)
      edge[last] += double(rays.weight) * v;
    if (j <= last) {
      step[j] += rays.weight;
      step[last + 1] -= rays.weight;
    }
  }
  double inside = 0.0;
  for (int j = 0; j < columns; ++j) {
    inside += step[j];
    row[std::size_t(j) * lanes] = static_cast<float>(inside + edge[j]);
    for (int s = 1; s < lanes; ++s) row[std::size_t(j) * lanes + s] = 0.0f;
  }
}

// Back projection of a large slice group (across slices) in tiles of kTilePixels² pixels: each
// tile's rows and columns as segments (LineBlock::first) in a buffer of its task's own, both
// orientations projected into them and finished while they are cached. No whole buffer of lines
// goes to memory (at 2560² × 16 slices the columns' lines were 420 MB zeroed, written and read
// again per call); the cost is the rays at a segment's ends, projected for both tiles they touch.
constexpr int kTilePixels = 64;
// Slice groups above this size (bytes) are projected by tiles, forward and back.
constexpr std::size_t kLargeGroupBytes = std::size_t(32) << 20;
template <class Finish>
void backTiles(const joseph::KernelSet& kernels, const Traced& alongRows,
               const Traced& alongColumns, const GroupLayout& layout, const ProjectionStack& y,
               int g, int n, Finish finish) {
  const int lanes = layout.lanes, columns = y.columns();
  const int stride = kTilePixels + 2 * kLinePadding;  // pixels per segment, padded
  const std::size_t segmentFloats = std::size_t(kTilePixels) * stride * lanes;
  std::vector<float*> rows[2];
  const Traced* traced[2] = {&alongRows, &alongColumns};
  for (int o = 0; o < 2; ++o)
    for (int p : traced[o]->indices)  // kernels only read rows
      rows[o].push_back(const_cast<float*>(y.row(p, g)));
  const int tiles = (n + kTilePixels - 1) / kTilePixels;
  tbb::parallel_for(
      tbb::blocked_range2d<int>(0, tiles, 1, 0, tiles, 1), [&](const tbb::blocked_range2d<int>& r) {
        const Scratch buffer(ScratchRole::rowBlock, 2 * segmentFloats);
        float* segments[2] = {buffer.data(), buffer.data() + segmentFloats};
        for (int tr = r.rows().begin(); tr < r.rows().end(); ++tr)
          for (int tc = r.cols().begin(); tc < r.cols().end(); ++tc) {
            const int r0 = tr * kTilePixels, r1 = std::min(n, r0 + kTilePixels);
            const int c0 = tc * kTilePixels, c1 = std::min(n, c0 + kTilePixels);
            // Orientation 0: lines are rows r0 … r1 − 1, segments columns c0 … c1 − 1; 1: the
            // transpose.
            const int lineBegin[2] = {r0, c0}, lineEnd[2] = {r1, c1};
            for (int o = 0; o < 2; ++o) {
              const int first = lineBegin[1 - o], count = lineEnd[1 - o] - first;
              std::fill_n(segments[o], std::size_t(lineEnd[o] - lineBegin[o]) * stride * lanes,
                          0.0f);
              if (rows[o].empty()) continue;
              joseph::LineBlock block{segments[o],  count,      stride,       lanes,
                                      lineBegin[o], lineEnd[o], kLinePadding, first};
              kernels.back(block, {traced[o]->rays.data(), rows[o].data(), int(rows[o].size()),
                                   columns, 0, columns});
            }
            const std::size_t lineFloats = std::size_t(stride) * lanes;
            finish(LinesView{segments[0], lineFloats, r0, c0, lanes},
                   LinesView{segments[1], lineFloats, c0, r0, lanes}, r0, r1, c0, c1, g);
          }
      });
}

// Forward projection of a large slice group (across slices) by tiles of kTilePixels² pixels: each
// tile is read once from the volume into its rows and (transposed) its columns as padded
// segments (LineBlock::first) in a buffer of its task's own, and every projection of the batch,
// of either orientation, takes its share of the tile while it is cached; a ray at a segment's
// end is taken by both tiles it touches, each adding its own pixels' part. Tiles run in parallel,
// so each thread adds into detector rows of its own, summed into y at the end; the projections go
// in batches that keep those rows within kTileSumsBytes per thread. The volume is read once per
// batch, where reading the rows in place and copying the columns a band at a time read it twice
// (at 2560² × 16 slices the bands' strided copy alone was 12 % of a streaming update).
constexpr std::size_t kTileSumsBytes = std::size_t(16) << 20;

// One batch of that projection: count projections from batchBegin in the order alongRows,
// then alongColumns.
class TileForward {
 public:
  TileForward(const joseph::KernelSet& kernels, const Traced& alongRows, const Traced& alongColumns,
              const GroupLayout& layout, int columns, int batchBegin, int count)
      : m_kernels(kernels),
        m_traced{&alongRows, &alongColumns},
        m_lanes(layout.lanes),
        m_columns(columns),
        m_count(count),
        m_rowFloats(std::size_t(columns) * layout.lanes) {
    const int counts[2] = {int(alongRows.indices.size()), int(alongColumns.indices.size())};
    for (int o = 0; o < 2; ++o) {
      const int start = o == 0 ? 0 : counts[0];
      m_begin[o] = std::clamp(batchBegin - start, 0, counts[o]);
      m_end[o] = std::clamp(batchBegin + count - start, 0, counts[o]);
      m_offset[o] = o == 0 ? 0 : m_end[0] - m_begin[0];
    }
  }
  /// Projections per batch at `columns` detector columns of `lanes` slices.
  static int batch(int columns, int lanes) {
    return std::max(1, int(kTileSumsBytes / (std::size_t(columns) * lanes * sizeof(float))));
  }
  /// Floats of the segment buffer tile() takes.
  std::size_t bufferFloats() const { return 2 * segmentFloats(); }
  /// Adds what the batch's projections take from the tile (rows r0 … r1 − 1, columns c0 … c1 − 1)
  /// of `group` (n pixels per row) into this thread's rows.
  void tile(const float* group, int n, int r0, int r1, int c0, int c1, float* buffer) {
    Sums& mine = m_sums.local();
    if (mine.row.empty()) {
      mine.rows = AlignedBuffer(std::size_t(m_count) * m_rowFloats);
      for (int i = 0; i < m_count; ++i) mine.row.push_back(mine.rows.data() + i * m_rowFloats);
    }
    withLanes(m_lanes, [&](auto lanesConstant) {
      constexpr int L = decltype(lanesConstant)::value;
      float* segments[2] = {buffer, buffer + segmentFloats()};
      // Segments[0]: line i is grid row r0 + i, pixels c0 … c1 − 1; segments[1]: the transpose.
      // Their padding reads zero.
      for (int o = 0; o < 2; ++o) {
        const int lines = o == 0 ? r1 - r0 : c1 - c0, pixels = o == 0 ? c1 - c0 : r1 - r0;
        for (int i = 0; i < lines; ++i) {
          float* line = segments[o] + std::size_t(i) * kStride * L;
          std::fill_n(line, kLinePadding * L, 0.0f);
          std::fill(line + (kLinePadding + pixels) * L, line + kStride * L, 0.0f);
        }
      }
      for (int row = r0; row < r1; ++row) {
        const float* source = group + (std::size_t(row) * n + c0) * L;
        float* line = segments[0] + std::size_t(row - r0) * kStride * L;
        std::memcpy(line + kLinePadding * L, source, sizeof(float) * (c1 - c0) * L);
        float* column = segments[1] + std::size_t(row - r0 + kLinePadding) * L;
        for (int c = c0; c < c1; ++c, column += std::size_t(kStride) * L)
          std::memcpy(column, line + (c - c0 + kLinePadding) * L, sizeof(float) * L);
      }
      const int lineBegin[2] = {r0, c0}, lineEnd[2] = {r1, c1};
      for (int o = 0; o < 2; ++o) {
        if (m_begin[o] == m_end[o]) continue;
        const int first = lineBegin[1 - o], pixels = lineEnd[1 - o] - first;
        const joseph::LineBlock block{segments[o],  pixels,     kStride,      L,
                                      lineBegin[o], lineEnd[o], kLinePadding, first};
        m_kernels.forward(block,
                          {m_traced[o]->rays.data() + m_begin[o], mine.row.data() + m_offset[o],
                           m_end[o] - m_begin[o], m_columns, 0, m_columns});
      }
    });
  }
  /// y's rows of the batch's projections, group g = the sums of the threads' rows.
  void finish(ProjectionStack& y, int g) const {
    std::vector<const float*> parts;
    for (const Sums& t : m_sums) parts.push_back(t.rows.data());
    tbb::parallel_for(0, m_count, [&](int i) {
      const int o = i < m_offset[1] ? 0 : 1;
      float* out = y.row(m_traced[o]->indices[m_begin[o] + i - m_offset[o]], g);
      const std::size_t at = std::size_t(i) * m_rowFloats;
      if (parts.empty()) {  // no tile at all (an empty grid)
        std::fill_n(out, m_rowFloats, 0.0f);
        return;
      }
      std::copy_n(parts[0] + at, m_rowFloats, out);
      for (std::size_t t = 1; t < parts.size(); ++t)
        for (std::size_t f = 0; f < m_rowFloats; ++f) out[f] += parts[t][at + f];
    });
  }

 private:
  static constexpr int kStride = kTilePixels + 2 * kLinePadding;  // pixels per segment, padded
  std::size_t segmentFloats() const { return std::size_t(kTilePixels) * kStride * m_lanes; }
  struct Sums {
    AlignedBuffer rows;
    std::vector<float*> row;
  };
  const joseph::KernelSet& m_kernels;
  const Traced* m_traced[2];
  int m_lanes, m_columns, m_count;
  std::size_t m_rowFloats;
  // The batch's projections of orientation o: m_traced[o] entries m_begin[o] … m_end[o] − 1,
  // their rows from row m_offset[o] of the sums on.
  int m_begin[2], m_end[2], m_offset[2];
  tbb::enumerable_thread_specific<Sums> m_sums;
};

void forwardTiles(const joseph::KernelSet& kernels, const Traced& alongRows,
                  const Traced& alongColumns, const GroupLayout& layout, const float* group, int n,
                  ProjectionStack& y, int g) {
  const int total = int(alongRows.indices.size() + alongColumns.indices.size());
  const int batch = TileForward::batch(y.columns(), layout.lanes);
  const int tiles = (n + kTilePixels - 1) / kTilePixels;
  for (int batchBegin = 0; batchBegin < total; batchBegin += batch) {
    TileForward forward(kernels, alongRows, alongColumns, layout, y.columns(), batchBegin,
                        std::min(batch, total - batchBegin));
    tbb::parallel_for(tbb::blocked_range2d<int>(0, tiles, 1, 0, tiles, 1),
                      [&](const tbb::blocked_range2d<int>& r) {
                        const Scratch buffer(ScratchRole::forwardTile, forward.bufferFloats());
                        for (int tr = r.rows().begin(); tr < r.rows().end(); ++tr)
                          for (int tc = r.cols().begin(); tc < r.cols().end(); ++tc) {
                            const int r0 = tr * kTilePixels, c0 = tc * kTilePixels;
                            forward.tile(group, n, r0, std::min(n, r0 + kTilePixels), c0,
                                         std::min(n, c0 + kTilePixels), buffer.data());
                          }
                      });
    forward.finish(y, g);
  }
}

// Back projection of one slice group at a time. Large groups across slices go by tiles
// (backTiles); the others project their lines along columns first, whole, then their lines along
// rows a block at a time, each block finished at once while it is cached. Either way
// finish(rows, columns, rowBegin, rowEnd, colBegin, colEnd, group) makes those pixels of the
// group from the two orientations' lines (LinesView).
template <class Finish>
void backProject(const joseph::KernelSet& kernels, const ParallelGeometry& geometry,
                 const ProjectionStack& y, std::span<const int> projections, VolumeStack& x,
                 Finish finish) {
  Traced alongRows, alongColumns;
  trace(geometry, projections, alongRows, alongColumns);
  const int n = x.gridSize(), stackLanes = x.lanes();
  std::optional<PaddedLines> columns;  // only the last group may need another lane count
  for (int g = 0; g < x.groups(); ++g) {
    const GroupLayout layout(kernels, x.slices(), stackLanes, g);
    if (!layout.acrossRays && x.groupStride() * sizeof(float) > kLargeGroupBytes) {
      backTiles(kernels, alongRows, alongColumns, layout, y, g, n, finish);
      continue;
    }
    if (!columns || columns->lanes != layout.lanes)
      columns.emplace(n, layout.lanes, ScratchRole::columnLines);
    backOrientation(kernels, alongColumns, layout, y, g, n, &*columns,
                    [](int, int, const float*) {});
    backOrientation(kernels, alongRows, layout, y, g, n, nullptr,
                    [&](int begin, int end, const float* rowLines) {
                      finish(rowsView(rowLines, begin, *columns), columnsView(*columns), begin, end,
                             0, n, g);
                    });
  }
  // Padding lanes (slices beyond the last) stay zero: y's padding lanes are zero, and packed
  // groups leave them out.
}

}  // namespace

JosephProjector::JosephProjector(ParallelGeometry geometry)
    : JosephProjector(std::move(geometry), joseph::bestKernels()) {}

JosephProjector::JosephProjector(ParallelGeometry geometry, const joseph::KernelSet& kernels)
    : Projector(std::move(geometry)), m_kernels(kernels) {}

namespace {
std::string describeWith(const joseph::KernelSet& kernels) {
  const std::size_t threads =
      std::min(std::size_t(tbb::info::default_concurrency()),
               tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  return std::string("CPU Joseph (") + kernels.isa + ", " + std::to_string(threads) +
         (threads == 1 ? " thread)" : " threads)");
}
}  // namespace

std::string JosephProjector::describe() { return describeWith(joseph::bestKernels()); }

std::string JosephProjector::name() const { return describeWith(m_kernels); }

void JosephProjector::forward(const VolumeStack& x, std::span<const int> projections,
                              ProjectionStack& y) const {
  checkShapes(x, projections, y);
  Traced alongRows, alongColumns;
  trace(geometry(), projections, alongRows, alongColumns);
  const auto& kernels = m_kernels;
  std::optional<PaddedLines> lines;  // only the last group may need another lane count
  for (int g = 0; g < x.groups(); ++g) {
    const GroupLayout layout(kernels, x.slices(), x.lanes(), g);
    if (!layout.acrossRays && x.groupStride() * sizeof(float) > kLargeGroupBytes) {
      forwardTiles(kernels, alongRows, alongColumns, layout, x.group(g), x.gridSize(), y, g);
      continue;
    }
    if (!lines || lines->lanes != layout.lanes)
      lines.emplace(x.gridSize(), layout.lanes, ScratchRole::lines);
    for (bool columns : {false, true}) {
      const Traced& traced = columns ? alongColumns : alongRows;
      if (traced.indices.empty()) continue;
      if (!columns && !layout.acrossRays) {
        // The group's rows are its lines along rows as they are: read in place, not copied (the
        // kernel only reads them; at 2560² × 16 slices a copy was 420 MB per call).
        const int n = x.gridSize();
        forwardOrientation(kernels, traced, layout,
                           {const_cast<float*>(x.group(g)), n, n, layout.lanes, 0, n, 0}, y, g);
        continue;
      }
      loadLines(x.group(g), layout.stackLanes, columns, *lines);
      forwardOrientation(kernels, traced, layout, lines->block(0, lines->n), y, g);
    }
  }
}

void JosephProjector::back(const ProjectionStack& y, std::span<const int> projections,
                           VolumeStack& x) const {
  checkShapes(x, projections, y);
  const int n = x.gridSize();
  backProject(m_kernels, geometry(), y, projections, x,
              [&](const LinesView& rows, const LinesView& columns, int rowBegin, int rowEnd,
                  int colBegin, int colEnd, int g) {
                addOrientations(rows, columns, rowBegin, rowEnd, colBegin, colEnd, n, x.group(g),
                                x.lanes());
              });
}

namespace {

// Throws std::invalid_argument unless SIRT's step goes between volumes of one shape.
void checkStep(const VolumeStack& from, const VolumeStack& to) {
  if (from.slices() != to.slices() || from.gridSize() != to.gridSize())
    throw std::invalid_argument("projector: the step goes from " + std::to_string(from.slices()) +
                                " slices of " + std::to_string(from.gridSize()) + "² to " +
                                std::to_string(to.slices()) + " slices of " +
                                std::to_string(to.gridSize()) + "²; they must match");
}

// SIRT's step as a finish of backProject: to = clamp(from + C · (rows + columns)) on the pixels
// given.
auto stepInto(std::span<const float> weights, bool nonNegative, const VolumeStack& from,
              VolumeStack& to) {
  return [&, c = weights.data(), nonNegative](const LinesView& rows, const LinesView& columns,
                                              int rowBegin, int rowEnd, int colBegin, int colEnd,
                                              int g) {
    const int stackLanes = to.lanes(), n = to.gridSize();
    // `in` is the pixel in `from` (the same layout as `to`); its lanes beyond the group's own
    // (padding slices, zero) are carried over.
    const float* source = from.group(g);
    withLanes(rows.lanes, [&](auto lanesConstant) {
      constexpr int L = decltype(lanesConstant)::value;
      forEachPixel(rows, columns, rowBegin, rowEnd, colBegin, colEnd, n, to.group(g), stackLanes,
                   [&](float* o, const float* a, const float* b, std::size_t pixel) {
                     // In vectors of (up to) 4 lanes, each loaded before it is stored (o may be
                     // in). Lane by lane, the compiler could not tell and made 16 scalar steps
                     // with a branch each; vectors wider than this file's instruction set (the
                     // x86-64 baseline) went through the stack.
                     constexpr int V = L < 4 ? L : 4;
                     using Vec = typename PixelLanes<V>::Vec;
                     const float* in = source + pixel * stackLanes;
                     const float w = c[pixel];
                     for (int s = 0; s < L; s += V) {
                       Vec u, va, vb;
                       std::memcpy(&u, in + s, sizeof u);
                       std::memcpy(&va, a + s, sizeof va);
                       std::memcpy(&vb, b + s, sizeof vb);
                       u += w * (va + vb);
                       if (nonNegative) u = u > 0.0f ? u : Vec{};
                       std::memcpy(o + s, &u, sizeof u);
                     }
                     for (int s = L; s < stackLanes; ++s) o[s] = in[s];
                   });
    });
  };
}

}  // namespace

bool JosephProjector::addBack(const ProjectionStack& y, std::span<const int> projections,
                              std::span<const float> weights, bool nonNegative,
                              const VolumeStack& from, VolumeStack& to) const {
  checkPixels(weights.size(), "the step's weights");
  checkStep(from, to);
  checkShapes(to, projections, y);
  backProject(m_kernels, geometry(), y, projections, to, stepInto(weights, nonNegative, from, to));
  return true;
}

bool JosephProjector::addBackThenForward(ProjectionStack& y, std::span<const int> projections,
                                         std::span<const float> weights, bool nonNegative,
                                         const VolumeStack& from, VolumeStack& to) const {
  checkPixels(weights.size(), "the step's weights");
  checkStep(from, to);
  checkShapes(to, projections, y);
  std::vector<GroupLayout> layouts;
  for (int g = 0; g < to.groups(); ++g) {
    layouts.emplace_back(m_kernels, to.slices(), to.lanes(), g);
    if (layouts.back().acrossRays || to.groupStride() * sizeof(float) <= kLargeGroupBytes)
      return false;  // not by tiles
  }
  if (int(projections.size()) > TileForward::batch(y.columns(), to.lanes())) return false;
  Traced alongRows, alongColumns;
  trace(geometry(), projections, alongRows, alongColumns);
  std::vector<std::unique_ptr<TileForward>> forwards;
  for (const GroupLayout& layout : layouts)
    forwards.push_back(std::make_unique<TileForward>(m_kernels, alongRows, alongColumns, layout,
                                                     y.columns(), 0, int(projections.size())));
  const auto step = stepInto(weights, nonNegative, from, to);
  const int n = to.gridSize();
  backProject(
      m_kernels, geometry(), y, projections, to,
      [&](const LinesView& rows, const LinesView& columns, int r0, int r1, int c0, int c1, int g) {
        step(rows, columns, r0, r1, c0, c1, g);
        TileForward& forward = *forwards[std::size_t(g)];
        const Scratch buffer(ScratchRole::forwardTile, forward.bufferFloats());
        forward.tile(to.group(g), n, r0, r1, c0, c1, buffer.data());
      });
  // Every tile has read its rows of y: they can take the forward projection now.
  for (int g = 0; g < to.groups(); ++g) forwards[std::size_t(g)]->finish(y, g);
  return true;
}

void JosephProjector::rowSums(const VolumeStack& mask, std::span<const int> projections,
                              ProjectionStack& sums) const {
  checkShapes(mask, projections, sums);
  const std::optional<std::array<MaskRuns, 2>> runs =
      mask.slices() == 1 ? maskRuns(mask) : std::nullopt;
  if (!runs) return forward(mask, projections, sums);
  tbb::parallel_for(std::size_t(0), projections.size(), [&](std::size_t i) {
    const JosephPlan plan = JosephPlan::make(geometry(), projections[i]);
    rowSumsOfRuns(plan, (*runs)[plan.alongColumns() ? 1 : 0], sums.columns(),
                  sums.row(projections[i], 0), sums.lanes());
  });
}

void JosephProjector::columnSums(std::span<const int> projections, std::span<float> sums) const {
  const ParallelGeometry& g = geometry();
  checkPixels(sums.size(), "column sums");
  for (int p : projections)
    if (p < 0 || p >= g.projections())
      throw std::invalid_argument("projector: projection index " + std::to_string(p) +
                                  " outside 0 … " + std::to_string(g.projections() - 1));
  Traced alongRows, alongColumns;
  trace(g, projections, alongRows, alongColumns);
  const int n = g.gridSize;
  PaddedLines rows(n, 1, ScratchRole::lines), columns(n, 1, ScratchRole::columnLines);
  for (const auto& [traced, lines] :
       std::array{std::pair{&alongRows, &rows}, std::pair{&alongColumns, &columns}}) {
    if (traced->indices.empty()) {
      lines->zero();
      continue;
    }
    const joseph::RayBlock rays{traced->rays.data(), nullptr, int(traced->indices.size()),
                                g.columns,           0,       g.columns};
    tbb::parallel_for(tbb::blocked_range<int>(0, n, kLinesPerTask),
                      [&](const tbb::blocked_range<int>& r) {
                        std::fill(lines->line(r.begin()), lines->line(r.end()), 0.0f);
                        m_kernels.columnSums(lines->block(r.begin(), r.end()), rays);
                      });
  }
  tbb::parallel_for(0, (n + kLinesPerTask - 1) / kLinesPerTask, [&](int block) {
    const int begin = block * kLinesPerTask, end = std::min(n, begin + kLinesPerTask);
    addOrientations(rowsView(rows.line(begin), begin, columns), columnsView(columns), begin, end, 0,
                    n, n, sums.data(), 1);
  });
}

}  // namespace tomolive

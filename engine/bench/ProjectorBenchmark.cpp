#include "bench/ProjectorBenchmark.h"

#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <numbers>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "timing/Timing.h"
#include "projector/JosephProjector.h"
#include "projector/ReferenceJoseph.h"

namespace tomolive {

namespace {

double copyBandwidth(int repeats) {
  const std::size_t bytes = std::size_t(1) << 30;  // 1 GiB: far beyond any cache
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  const std::size_t chunk = std::size_t(1) << 22;
  const double seconds = medianSeconds(repeats, [&] {
    tbb::parallel_for(std::size_t(0), bytes / chunk, [&](std::size_t i) {
      std::memcpy(dst.data() + i * chunk, src.data() + i * chunk, chunk);
    });
  });
  return 2.0 * bytes / seconds;  // each byte is read once and written once
}

ParallelGeometry benchGeometry(int n, int projections) {
  std::vector<double> angles(projections);
  for (int i = 0; i < projections; ++i) angles[i] = i * std::numbers::pi / projections;
  return ParallelGeometry::make(angles, 0.5 * (n - 1) + 0.25, n);
}

std::unique_ptr<Projector> benchProjector(const ProjectorBenchOptions& o, ParallelGeometry g) {
  if (o.backend == ComputeBackend::cpu)
    return std::make_unique<JosephProjector>(std::move(g), joseph::kernelsNamed(o.kernels));
  if (o.kernels != "best")
    throw std::invalid_argument("bench projector --kernels " + o.kernels +
                                ": a CPU kernel set, and the backend is not the CPU");
  return makeProjector(o.backend, std::move(g));
}

}  // namespace

struct ProjectorCalls::Buffers {
  std::unique_ptr<Projector> projector;
  std::vector<int> all;
  VolumeStack x, aty;
  ProjectionStack y, ax;
};

ProjectorCalls::ProjectorCalls(int n, int slices, const ProjectorBenchOptions& o)
    : m_buffers(std::make_unique<Buffers>()) {
  Buffers& b = *m_buffers;
  b.projector = benchProjector(o, benchGeometry(n, o.projections));
  b.all.resize(o.projections);
  std::iota(b.all.begin(), b.all.end(), 0);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  b.x = VolumeStack(slices, n);
  for (float& v : b.x.raw()) v = value(rng);
  b.y = ProjectionStack(o.projections, slices, n);
  for (float& v : b.y.raw()) v = value(rng);
  b.ax = ProjectionStack(o.projections, slices, n);
  b.aty = VolumeStack(slices, n);
  m_updates = double(b.projector->rayPixelUpdates(b.all)) * slices;
}

ProjectorCalls::~ProjectorCalls() = default;

void ProjectorCalls::forward() {
  m_buffers->projector->forward(m_buffers->x, m_buffers->all, m_buffers->ax);
}

void ProjectorCalls::back() {
  m_buffers->projector->back(m_buffers->y, m_buffers->all, m_buffers->aty);
}

double ProjectorCalls::rate() {
  const auto start = std::chrono::steady_clock::now();
  forward();
  back();
  return 2.0 * m_updates / secondsSince(start);
}

namespace {

// The rows of one grid (one per slice count), timed in turn within each repeat after one untimed
// call of each.
std::vector<ProjectorBenchRow> measureRows(int n, const ProjectorBenchOptions& o) {
  std::vector<std::unique_ptr<ProjectorCalls>> calls;
  for (int slices : o.slices) {
    calls.push_back(std::make_unique<ProjectorCalls>(n, slices, o));
    calls.back()->forward();
    calls.back()->back();
  }
  const std::size_t rows = calls.size();
  std::vector<std::vector<double>> forward(rows), back(rows);
  const auto timed = [](auto&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return secondsSince(start);
  };
  for (int r = 0; r < o.repeats; ++r)
    for (std::size_t i = 0; i < rows; ++i) {
      forward[i].push_back(timed([&] { calls[i]->forward(); }));
      back[i].push_back(timed([&] { calls[i]->back(); }));
    }
  const auto sixteen = std::find(o.slices.begin(), o.slices.end(), 16);
  const std::size_t s16 = std::size_t(sixteen - o.slices.begin());
  std::vector<ProjectorBenchRow> result(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    ProjectorBenchRow& row = result[i];
    row.size = n;
    row.slices = o.slices[i];
    row.projections = o.projections;
    row.updates = calls[i]->updates();
    row.forwardSeconds = median(forward[i]);
    row.backSeconds = median(back[i]);
    row.forwardRate = row.updates / row.forwardSeconds;
    row.backRate = row.updates / row.backSeconds;
    if (sixteen == o.slices.end()) continue;
    // rate / 16-slice rate of each repeat: (updates / seconds) / (updates16 / seconds16)
    std::vector<double> forwardShares, backShares;
    const double perUpdates = row.updates / calls[s16]->updates();
    for (int r = 0; r < o.repeats; ++r) {
      forwardShares.push_back(perUpdates * forward[s16][std::size_t(r)] /
                              forward[i][std::size_t(r)]);
      backShares.push_back(perUpdates * back[s16][std::size_t(r)] / back[i][std::size_t(r)]);
    }
    row.forwardVs16 = median(forwardShares);
    row.backVs16 = median(backShares);
  }
  return result;
}

// The plain loop on one slice and a few projections (it is slow), scaled to updates / s.
void measurePlainLoop(int n, const ProjectorBenchOptions& o, ProjectorBenchRow& row) {
  const ParallelGeometry g = benchGeometry(n, o.projections);
  const int referenceProjections = std::min(o.projections, 8);
  std::vector<int> few(referenceProjections);
  for (int i = 0; i < referenceProjections; ++i) few[i] = i * o.projections / referenceProjections;
  const double referenceUpdates = double(makeProjector(o.backend, g)->rayPixelUpdates(few));
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  std::vector<float> slice(std::size_t(n) * n);
  for (float& v : slice) v = value(rng);
  std::vector<float> image(std::size_t(n) * n, 0.0f);
  std::vector<float> detectorRow(n, 1.0f);
  float sink = 0.0f;
  const int referenceRepeats = std::max(1, o.repeats / 2);
  const double fwd = medianSeconds(referenceRepeats, [&] {
    for (int p : few) sink += referenceForward(g, slice, p)[n / 2];
  });
  const double back = medianSeconds(referenceRepeats, [&] {
    for (int p : few) referenceBackAdd(g, detectorRow, p, image);
  });
  if (sink == -1.0f) std::puts("");  // keeps the reference work observable
  row.referenceForwardRate = referenceUpdates / fwd;
  row.referenceBackRate = referenceUpdates / back;
}

}  // namespace

ProjectorBenchResult runProjectorBenchmark(const ProjectorBenchOptions& options) {
  benchProjector(options, benchGeometry(16, 1));  // an unusable kernel set fails now
  ProjectorBenchResult result;
  result.threads = tbb::info::default_concurrency();
  result.copyBandwidthBytesPerSecond = copyBandwidth(options.repeats);
  for (int n : options.sizes) {
    ProjectorBenchRow plain;
    measurePlainLoop(n, options, plain);
    for (ProjectorBenchRow& row : measureRows(n, options)) {
      row.referenceForwardRate = plain.referenceForwardRate;
      row.referenceBackRate = plain.referenceBackRate;
      result.rows.push_back(row);
    }
  }
  result.projector = benchProjector(options, ParallelGeometry::make({0.0}, 7.5, 16))->name();
  return result;
}

std::string formatProjectorBenchmark(const ProjectorBenchResult& r) {
  std::ostringstream out;
  char line[512];
  std::snprintf(
      line, sizeof line,
      "Projector: %s. Memory bandwidth (1 GiB copy, read+write, %d threads): %.1f GB/s.\n\n",
      r.projector.c_str(), r.threads, r.copyBandwidthBytesPerSecond / 1e9);
  out << line;
  out << "| grid | slices | projections | ray-pixel updates | forward (s) | forward (updates/s) | "
         "back (s) | back (updates/s) | vs 16 slices fwd / back | plain loop fwd / back "
         "(updates/s) | speed-up fwd / back |\n";
  out << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& row : r.rows) {
    char vs16[64] = "–";
    if (row.forwardVs16 > 0)
      std::snprintf(vs16, sizeof vs16, "%.0f %% / %.0f %%", 100 * row.forwardVs16,
                    100 * row.backVs16);
    std::snprintf(line, sizeof line,
                  "| %d² | %d | %d | %.3g | %.3f | %.2e | %.3f | %.2e | %s | %.2e / %.2e | %.1f× / "
                  "%.1f× |\n",
                  row.size, row.slices, row.projections, row.updates, row.forwardSeconds,
                  row.forwardRate, row.backSeconds, row.backRate, vs16, row.referenceForwardRate,
                  row.referenceBackRate, row.forwardRate / row.referenceForwardRate,
                  row.backRate / row.referenceBackRate);
    out << line;
  }
  return out.str();
}

}  // namespace tomolive

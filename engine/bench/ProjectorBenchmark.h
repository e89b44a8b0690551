#pragma once
// `tomolive-cli bench projector`: forward and back projection throughput of the CPU Joseph
// projector in ray-pixel updates per second for each grid size and slice count, beside the
// plain scalar loop (one thread, one slice at a time) and the 16-slice rate of the same grid,
// both measured in the same run, and the machine's memory bandwidth measured by a large copy.
// Every figure is the median of repeats; the rows of one grid are timed in turn within each
// repeat, and a row's share of the 16-slice rate is the median of the repeats' shares (a shared
// machine's speed drifts over the seconds between one row and the next).
#include <memory>
#include <string>
#include <vector>

#include "backend/ComputeBackend.h"

namespace tomolive {

struct ProjectorBenchOptions {
  std::vector<int> sizes{512, 1024, 2048};
  std::vector<int> slices{16};
  int projections = 64;  ///< evenly spread over 180°
  int repeats = 5;
  /// cuda: the CUDA projector through the Projector interface, so each call includes uploading
  /// its input and downloading its output (the plain loop stays the CPU reference).
  ComputeBackend backend = ComputeBackend::cpu;
  /// The CPU's kernel set (joseph::kernelsNamed): "best", or "avx2" to measure an AVX2-only
  /// machine's kernels on an AVX-512 one.
  std::string kernels = "best";
};

struct ProjectorBenchRow {
  int size = 0, slices = 0, projections = 0;
  double updates = 0;  ///< ray-pixel updates per direction (all slices)
  double forwardSeconds = 0, backSeconds = 0;
  double forwardRate = 0, backRate = 0;                    ///< updates / s
  double referenceForwardRate = 0, referenceBackRate = 0;  ///< plain loop, updates / s
  /// forwardRate and backRate over those of the 16-slice row of the same grid in this run;
  /// 0 when the run has none.
  double forwardVs16 = 0, backVs16 = 0;
};

struct ProjectorBenchResult {
  std::string projector;  ///< backend description
  int threads = 0;
  double copyBandwidthBytesPerSecond = 0;  ///< read + write bytes of a large multi-threaded copy
  std::vector<ProjectorBenchRow> rows;
};

ProjectorBenchResult runProjectorBenchmark(const ProjectorBenchOptions& options);

/// The calls a row times, one at a time: forward and back over options.projections evenly spread
/// projections of an n² grid with `slices` slices of random values. The rows of one grid are timed
/// in turn, repeat after repeat, and `bench stream` times one pair after each update, so that the
/// figures a ratio compares see the machine in the same state.
class ProjectorCalls {
 public:
  ProjectorCalls(int n, int slices, const ProjectorBenchOptions& options);
  ~ProjectorCalls();
  double updates() const { return m_updates; }  ///< ray-pixel updates per direction, all slices
  void forward();
  void back();
  /// One forward and one back projection, timed: 2 · updates() / seconds.
  double rate();

 private:
  struct Buffers;
  std::unique_ptr<Buffers> m_buffers;
  double m_updates = 0;
};

/// Markdown table of the result, as published in docs/performance.md.
std::string formatProjectorBenchmark(const ProjectorBenchResult& result);

}  // namespace tomolive

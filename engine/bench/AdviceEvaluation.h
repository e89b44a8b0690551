#pragma once
// `tomolive-cli bench advice`: the stop advice checked where the truth is known. A set of
// simulated scans (one grid, length and seed; glass, shale and Shepp–Logan at several W, I and
// photon counts) is replayed update by update as a session sees it (bench/QualityReplay.h); per
// scan, the plateau — the first update from which SSIM against the ground truth stays within
// 0.01 of its final value, over the whole slice and over the sample alone — and the first update
// whose image is within 0.01 SSIM of the last (the image still, the real scans' criterion),
// beside the first update advised "stop" (docs/quality.md, "Live resolution (FRC) and stop advice";
// test_advice checks the test's own sets).
#include <cstdint>
#include <string>
#include <vector>

#include "backend/ComputeBackend.h"
#include "sim/Acquisition.h"
#include "sim/Phantom.h"

namespace tomolive {

/// One scan of a set: the phantom, the window W and iterations I it is replayed with, and the
/// open-beam photons per pixel.
struct AdviceCase {
  PhantomKind phantom = PhantomKind::SheppLogan;
  int window = 16, iterations = 1;
  double photons = 1e4;
};

/// The 18 scans of each validation set: 3 phantoms × W ∈ 16–32 × I ∈ {1, 2} × 10³–10⁵ photons.
const std::vector<AdviceCase>& adviceValidationCases();
/// "glass W=24 I=1 1e4"
std::string adviceCaseName(const AdviceCase& c);

struct AdviceBenchOptions {
  int size = 128, projections = 384, slices = 4;
  std::uint64_t seed = 31;
  /// Interlaced (W per rotation, each scan its own W) or golden; sequential leaves the half
  /// circle uncovered until the scan's end and is refused.
  AcquisitionOrder order = AcquisitionOrder::Interlaced;
  int window = 0;         ///< every scan's W instead of its own (0: its own)
  double photons = 0.0;   ///< every scan's photons instead of its own (0: its own)
  std::string directory;  ///< where the scans are written (empty: the system's temporary one)
  ComputeBackend backend = ComputeBackend::cpu;  ///< resolved: cpu or cuda
};

struct AdviceRow {
  AdviceCase scan;
  int updates = 0;
  double finalSsim = 0.0;
  int plateau = 0;  ///< first update within 0.01 of the final SSIM against the truth
  int advice = 0;   ///< first update advised "stop", 0 for none
  /// The same over the sample alone (FieldOfViewScore::ssimSample): what the image shows of the
  /// sample, without the air's windows, where SSIM's luminance term weighs the faintest offset.
  double finalSampleSsim = 0.0;
  int samplePlateau = 0;
  /// First update whose image is within 0.01 SSIM of the last image: the image still, what the
  /// advice is held to on real scans (test_advice), where no truth is known.
  int stillFrom = 0;
  /// advice − plateau, a missing advice counted as update N + 1
  int offset() const { return (advice > 0 ? advice : updates + 1) - plateau; }
  int sampleOffset() const { return (advice > 0 ? advice : updates + 1) - samplePlateau; }
  int stillOffset() const { return (advice > 0 ? advice : updates + 1) - stillFrom; }
};

/// Rows by their offset: |offset| ≤ 2, offset < −2, offset > 2.
struct AdviceTally {
  int within = 0, early = 0, late = 0;
  void count(int offset) { (offset < -2 ? early : offset > 2 ? late : within) += 1; }
};

struct AdviceResult {
  AdviceBenchOptions options;
  std::vector<AdviceRow> rows;
  /// against the plateau of SSIM over all, over the sample, and against the image still
  AdviceTally whole, sample, still;
};

/// Throws std::invalid_argument for a sequential order, a grid, length or W out of range, or a
/// directory that is not a folder. The scans' files are removed, also on failure.
AdviceResult runAdviceEvaluation(const AdviceBenchOptions& options);
std::string formatAdviceEvaluation(const AdviceResult& result);

}  // namespace tomolive

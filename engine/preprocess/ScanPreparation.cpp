#include "preprocess/ScanPreparation.h"

#include <tbb/parallel_for.h>

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <string>

#include "preprocess/FlatDarkCorrection.h"

namespace tomolive {

PreparedScan prepareScan(const RawScan& raw, int binning) {
  if (binning < 1 || raw.rows / binning < 1 || raw.columns / binning < 1)
    throw std::invalid_argument("binning " + std::to_string(binning) + " does not fit " +
                                std::to_string(raw.rows) + " rows × " +
                                std::to_string(raw.columns) + " columns");
  const int slices = raw.rows / binning, columns = raw.columns / binning;
  const std::size_t frame = std::size_t(raw.rows) * raw.columns;
  const FlatDarkCorrection correction(raw.flats, raw.darks, raw.rows, raw.columns);

  PreparedScan out;
  out.binning = binning;
  out.anglesRad = raw.thetaRad;
  out.deadDetectorPixels = correction.deadDetectorPixels();
  out.flatDarkZingers = correction.zingersLeftOut();
  out.lineIntegrals = ProjectionStack(raw.projections, slices, columns);
  std::atomic<std::int64_t> repaired{0};
  tbb::parallel_for(0, raw.projections, [&](int p) {
    std::vector<float> lineIntegrals(frame);
    repaired += correction.apply({raw.data.data() + p * frame, frame}, lineIntegrals);
    out.lineIntegrals.setProjection(p, binImage(lineIntegrals, raw.rows, raw.columns, binning));
  });
  out.repairedPixels = repaired;
  if (const std::string why =
          unrepairableNote(out.repairedPixels, std::int64_t(raw.projections) * std::int64_t(frame));
      !why.empty())
    throw std::invalid_argument("line integrals: " + why);
  std::vector<int> all(std::size_t(raw.projections));
  std::iota(all.begin(), all.end(), 0);
  out.flatNote = flatFieldNote(out.lineIntegrals, all);

  if (!raw.groundTruth.empty()) {
    const int n = raw.groundTruthSize, binnedN = n / binning;
    const std::size_t sliceSize = std::size_t(n) * n;
    out.groundTruth = VolumeStack(slices, binnedN);
    for (int s = 0; s < slices; ++s) {
      // b detector rows become one slice: average the b ground-truth slices, then bin in-plane.
      // The reconstruction's pixels are b times wider, so its values (attenuation per pixel)
      // are b times the unbinned ones: the truth in the same unit.
      std::vector<float> mean(sliceSize, 0.0f);
      for (int k = 0; k < binning; ++k)
        for (std::size_t i = 0; i < sliceSize; ++i)
          mean[i] += raw.groundTruth[(std::size_t(s) * binning + k) * sliceSize + i];
      out.groundTruth.setSlice(s, binImage(mean, n, n, binning));
    }
  }
  return out;
}

}  // namespace tomolive

#pragma once
// The built-in scanner running live: flats, darks, then projections in the scan's acquisition
// order (interlaced by default), generated on the fly at a chosen frame rate. Projections are
// simulated in small batches (the projector is much faster on batches), ahead of their release.
#include <memory>

#include "sim/ScanSimulator.h"
#include "sources/PacedSource.h"

namespace tomolive {

class SimulatorSource final : public PacedSource {
 public:
  /// `lossless`: frames wait for the reconstruction, so every update gets exactly W new
  /// projections (as a file replay without a rate does); else a live scanner that never waits.
  SimulatorSource(const ScanSpec& spec, double framesPerSecond, bool lossless = false);

  bool waitsForConsumer() const override { return m_lossless; }

  ScanDescription describe() const override;
  const VolumeStack* groundTruth() const override { return &m_sim.groundTruth(); }
  const ScanSimulator& simulator() const { return m_sim; }

 protected:
  std::optional<Frame> makeFrame(std::int64_t i) override;

 private:
  ScanSimulator m_sim;
  std::vector<float> m_batch;  ///< raw projections [m_batchFirst, m_batchFirst + m_batchCount)
  int m_batchFirst = 0, m_batchCount = 0;
  bool m_lossless;
};

}  // namespace tomolive

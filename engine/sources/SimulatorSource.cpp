#include "sources/SimulatorSource.h"

#include <algorithm>

namespace tomolive {

namespace {
constexpr int kBatch = 8;
}

SimulatorSource::SimulatorSource(const ScanSpec& spec, double framesPerSecond, bool lossless)
    : PacedSource(std::int64_t(spec.flats) + spec.darks + spec.acquisition.projections,
                  framesPerSecond),
      m_sim(spec),
      m_lossless(lossless) {}

ScanDescription SimulatorSource::describe() const {
  ScanDescription d;
  d.rows = m_sim.slices();
  d.columns = m_sim.columns();
  d.projections = m_sim.projections();
  d.centre = m_sim.geometry().centre;
  d.label = "simulated " + phantomKindName(m_sim.spec().phantom) + " " +
            std::to_string(m_sim.columns()) + "² × " + std::to_string(m_sim.slices());
  return d;
}

std::optional<Frame> SimulatorSource::makeFrame(std::int64_t i) {
  const ScanSpec& spec = m_sim.spec();
  Frame f;
  f.number = i;
  f.rows = m_sim.slices();
  f.columns = m_sim.columns();
  f.type = m_sim.noiseFree() ? PixelType::Float32 : PixelType::UInt16;
  if (i < spec.flats) {
    f.kind = FrameKind::Flat;
    f.pixels = m_sim.flat(int(i));
  } else if (i < spec.flats + spec.darks) {
    f.kind = FrameKind::Dark;
    f.pixels = m_sim.dark(int(i - spec.flats));
  } else {
    const int k = int(i - spec.flats - spec.darks);
    if (k < m_batchFirst || k >= m_batchFirst + m_batchCount) {
      m_batchFirst = k;
      m_batchCount = std::min(kBatch, m_sim.projections() - k);
      m_batch = m_sim.projections(m_batchFirst, m_batchCount);
    }
    const std::size_t frame = std::size_t(f.rows) * f.columns;
    const auto begin = m_batch.begin() + std::ptrdiff_t((k - m_batchFirst) * frame);
    f.kind = FrameKind::Projection;
    f.angleRad = m_sim.geometry().anglesRad[k];
    f.pixels.assign(begin, begin + std::ptrdiff_t(frame));
  }
  if (f.type == PixelType::UInt16)  // the simulated detector saturates like a 16-bit one
    for (float& v : f.pixels) v = std::min(v, 65535.0f);
  return f;
}

}  // namespace tomolive

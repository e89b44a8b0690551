#include "sources/FileReplaySource.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "geometry/ParallelGeometry.h"
#include "io/ScanFile.h"
#include "preprocess/FlatDarkCorrection.h"
#include "sim/Acquisition.h"

namespace tomolive {

namespace {
PixelType storedType(const std::string& type) {
  if (type == "uint8") return PixelType::UInt8;
  if (type == "uint16") return PixelType::UInt16;
  if (type == "uint32") return PixelType::UInt32;
  if (type == "float64") return PixelType::Float64;
  return PixelType::Float32;
}
}  // namespace

FileReplaySource::FileReplaySource(const std::string& path, double framesPerSecond,
                                   const std::string& order)
    : FileReplaySource(path, readScan(path, {}, false), framesPerSecond, order) {}

FileReplaySource::FileReplaySource(const std::string& path, RawScan scan, double framesPerSecond,
                                   const std::string& order)
    : PacedSource(std::int64_t(scan.flatCount()) + scan.darkCount() + scan.projections,
                  framesPerSecond),
      m_path(path),
      m_scan(std::move(scan)),
      m_read(openProjections(path)),
      m_type(storedType(m_scan.dataType)) {
  if (order.starts_with("interlaced:")) {
    const int window = parseAcquisitionOrder(order, m_scan.projections).window;
    m_order = interlacedReplayOrder(m_scan.thetaRad, window);
  } else if (!order.empty() && order != "file") {
    throw std::invalid_argument("order \"" + order +
                                "\" of a file replay is neither file nor interlaced:W");
  } else {
    m_order.resize(std::size_t(m_scan.projections));
    std::iota(m_order.begin(), m_order.end(), 0);
  }
  // What `recon` refuses is refused here too, naming the file, before a frame is sent.
  if (atOneAngle(m_scan.thetaRad)) throw std::invalid_argument(path + ": " + m_scan.angleNote);
  if (const std::optional<double> centre = m_scan.statedCentre()) {
    try {
      checkCentreOnDetector(*centre, m_scan.columns);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(path + ": the file's rotation_center: " + e.what());
    }
  }
  try {
    const FlatDarkCorrection check(m_scan.flats, m_scan.darks, m_scan.rows, m_scan.columns);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
  if (!m_scan.groundTruth.empty())
    m_groundTruth =
        VolumeStack::fromSliceMajor(m_scan.groundTruth, m_scan.rows, m_scan.groundTruthSize);
  if (!m_scan.formatNote.empty()) m_warnings.push_back(path + ": " + m_scan.formatNote);
  if (!m_scan.angleNote.empty()) m_warnings.push_back(path + ": " + m_scan.angleNote);
}

ScanDescription FileReplaySource::describe() const {
  ScanDescription d;
  d.rows = m_scan.rows;
  d.columns = m_scan.columns;
  d.projections = m_scan.projections;
  d.centre = m_scan.statedCentre();
  d.label = "file " + m_path;
  d.pixelSizeMicrometres = m_scan.pixelSizeMicrometres;
  d.projectionType = m_type;
  return d;
}

std::optional<Frame> FileReplaySource::makeFrame(std::int64_t i) {
  const std::size_t frame = std::size_t(m_scan.rows) * m_scan.columns;
  const int flats = m_scan.flatCount(), darks = m_scan.darkCount();
  Frame f;
  f.number = i;
  f.rows = m_scan.rows;
  f.columns = m_scan.columns;
  f.type = m_type;
  if (i >= flats + darks) {
    const std::int64_t k = i - flats - darks;
    const int index = m_order[std::size_t(k)];
    f.angleRad = m_scan.thetaRad[std::size_t(index)];
    f.pixels = m_read(index);
    // Never written (a dataset sized for the whole scan by a writer that stopped): the fill
    // value, nothing but zeros — no measurement, left out as readScan leaves it out.
    const bool empty = std::all_of(f.pixels.begin(), f.pixels.end(),
                                   [](float v) { return v == 0.0f || !std::isfinite(v); });
    if (empty && m_leftOut++ == 0)
      m_warnings.push_back(m_path + ": left out projection " + std::to_string(index) +
                           " (file index): nothing but zeros (never written: an aborted scan?)");
    if (k + 1 == std::int64_t(m_order.size()) && m_leftOut > 1)
      m_warnings.push_back(
          m_path + ": left out " + std::to_string(m_leftOut) +
          (m_leftOut == std::int64_t(m_order.size())
               ? " projections in all, every one: nothing but zeros, nothing to reconstruct "
                 "(never written?)"
               : " projections in all that hold nothing but zeros"));
    if (empty) return std::nullopt;
    return f;
  }
  const std::vector<float>& from = i < flats ? m_scan.flats : m_scan.darks;
  const std::int64_t index = i < flats ? i : i - flats;
  f.kind = i < flats ? FrameKind::Flat : FrameKind::Dark;
  f.type = PixelType::Float32;
  const auto begin = from.begin() + std::ptrdiff_t(index * frame);
  f.pixels.assign(begin, begin + std::ptrdiff_t(frame));
  return f;
}

}  // namespace tomolive

#include "sources/FileReplaySource.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

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

namespace {

// Everything but the projections, with the angles and the count of those that hold a
// measurement: the projections never written read as zeros in every row, the middle one
// included (one row of each read to find them, as readScan finds them in the rows it reads).
RawScan withoutProjections(const std::string& path) {
  RawScan scan = readScan(path, {}, false);
  const int middle = scan.rows / 2;
  const RawScan row = readScan(path, {middle, middle + 1});
  scan.projections = row.projections;
  scan.thetaRad = row.thetaRad;
  scan.emptyProjections = row.emptyProjections;
  scan.angleNote = row.angleNote;
  return scan;
}

}  // namespace

FileReplaySource::FileReplaySource(const std::string& path, double framesPerSecond,
                                   const std::string& order)
    : FileReplaySource(path, withoutProjections(path), framesPerSecond, order) {}

FileReplaySource::FileReplaySource(const std::string& path, RawScan scan, double framesPerSecond,
                                   const std::string& order)
    : PacedSource(std::int64_t(scan.flatCount()) + scan.darkCount() + scan.projections,
                  framesPerSecond),
      m_path(path),
      m_scan(std::move(scan)),
      m_read(openProjections(path)),
      m_type(storedType(m_scan.dataType)) {
  for (int i = 0, empty = 0; int(m_fileIndex.size()) < m_scan.projections; ++i) {
    if (empty < int(m_scan.emptyProjections.size()) && m_scan.emptyProjections[empty] == i)
      ++empty;
    else
      m_fileIndex.push_back(i);
  }
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
  if (m_scan.projections > 1 && std::all_of(m_scan.thetaRad.begin(), m_scan.thetaRad.end(),
                                            [&](double a) { return a == m_scan.thetaRad.front(); }))
    throw std::invalid_argument(path + ": " + m_scan.angleNote);
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
  if (const auto& empty = m_scan.emptyProjections; !empty.empty())
    m_warnings.push_back(path + ": left out " + std::to_string(empty.size()) +
                         " projections that hold nothing but zeros (never written: an aborted "
                         "scan?), the first at file index " +
                         std::to_string(empty.front()));
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

Frame FileReplaySource::makeFrame(std::int64_t i) {
  const std::size_t frame = std::size_t(m_scan.rows) * m_scan.columns;
  const int flats = m_scan.flatCount(), darks = m_scan.darkCount();
  Frame f;
  f.number = i;
  f.rows = m_scan.rows;
  f.columns = m_scan.columns;
  f.type = m_type;
  if (i >= flats + darks) {
    const int index = m_order[std::size_t(i - flats - darks)];
    f.angleRad = m_scan.thetaRad[std::size_t(index)];
    f.pixels = m_read(m_fileIndex[std::size_t(index)]);
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

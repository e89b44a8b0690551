#include "io/ScanFile.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "geometry/ParallelGeometry.h"
#include "io/NexusTomo.h"

namespace tomolive {

ScanFormat detectScanFormat(const std::string& path) {
  return isNxTomoFile(path) ? ScanFormat::NxTomo : ScanFormat::DataExchange;
}

namespace {

// A Data Exchange file that also carries a NeXus entry: which of the two is read.
std::string formatNoteOf(const std::string& path, ScanFormat format) {
  if (format == ScanFormat::DataExchange && holdsNexusEntry(path))
    return "the file holds both a Data Exchange scan (/exchange) and a NeXus entry: /exchange "
           "is read, the NeXus entry is not";
  return {};
}

std::string unitRead(bool radians, bool stated) {
  return std::string(radians ? "radians" : "degrees") +
         (stated ? " (as its units attribute says)" : " (inferred: no units attribute)");
}

}  // namespace

bool atOneAngle(double minDeg, double maxDeg, int projections) {
  return projections > 1 && maxDeg - minDeg < kOneAngleDeg;
}

bool atOneAngle(std::span<const double> anglesRad) {
  if (anglesRad.empty()) return false;
  const auto [lowest, highest] = std::minmax_element(anglesRad.begin(), anglesRad.end());
  return atOneAngle(*lowest * 180 / std::numbers::pi, *highest * 180 / std::numbers::pi,
                    int(anglesRad.size()));
}

std::string angleNote(double minDeg, double maxDeg, int projections, const std::string& unit) {
  char text[400];
  if (atOneAngle(minDeg, maxDeg, projections)) {
    if (maxDeg - minDeg < 1e-6)
      std::snprintf(text, sizeof text,
                    "all %d projections are at one angle, %g°: nothing to reconstruct (a "
                    "rotation stage that did not turn, or angles not written?)",
                    projections, minDeg);
    else
      std::snprintf(text, sizeof text,
                    "all %d projections are at one angle, %g° (within %.2g°): nothing to "
                    "reconstruct (a rotation stage that did not turn, or angles not written?)",
                    projections, minDeg, maxDeg - minDeg);
    return text;
  }
  if (const double turns = (maxDeg - minDeg) / 360.0; turns > 2.0) {
    std::snprintf(text, sizeof text,
                  "the angles span %.1f turns (%g° … %g°, read in %s): a multi-turn scan is "
                  "reconstructed as one, but if the values are in another unit, correct the "
                  "units attribute",
                  turns, minDeg, maxDeg, unit.c_str());
    return text;
  }
  return {};
}

DataExchangeInfo inspectScan(const std::string& path) {
  const ScanFormat format = detectScanFormat(path);
  DataExchangeInfo info =
      format == ScanFormat::NxTomo ? inspectNxTomo(path) : inspectDataExchange(path);
  if (info.format == "Data Exchange") info.formatNote = formatNoteOf(path, format);
  if (info.projections > 0)
    info.angleNote = angleNote(info.thetaMinDeg, info.thetaMaxDeg, info.projections,
                               unitRead(info.thetaInRadians, info.thetaUnitsStated));
  // What `recon` and a replay refuse is no usable scan.
  if (info.problems.empty() && atOneAngle(info.thetaMinDeg, info.thetaMaxDeg, info.projections))
    info.problems.push_back(path + ": " + info.angleNote);
  if (info.problems.empty()) try {  // what the scan states besides its frames (one row read)
      const RawScan stated = readScan(path, {0, 1}, false);
      info.statedCentre = stated.statedCentre();
      info.pixelSizeMicrometres = stated.pixelSizeMicrometres;
      if (info.statedCentre) try {
          checkCentreOnDetector(*info.statedCentre, info.columns);
        } catch (const std::invalid_argument& e) {
          info.problems.push_back(path + ": the file's rotation_center: " + e.what());
        }
    } catch (const DataExchangeError& e) {
      info.problems.push_back(e.what());
    }
  return info;
}

RawScan readScan(const std::string& path, RowRange rows, bool projections) {
  const ScanFormat format = detectScanFormat(path);
  RawScan scan = format == ScanFormat::NxTomo ? readNxTomo(path, rows, projections)
                                              : readDataExchange(path, rows, projections);
  scan.formatNote = formatNoteOf(path, format);
  try {
    scan.statedCentre();
  } catch (const std::invalid_argument& e) {
    throw DataExchangeError(path + ": " + e.what());
  }
  const auto noteAngles = [&] {
    if (scan.thetaRad.empty()) return;
    const auto [lowest, highest] = std::minmax_element(scan.thetaRad.begin(), scan.thetaRad.end());
    scan.angleNote =
        angleNote(*lowest * 180 / std::numbers::pi, *highest * 180 / std::numbers::pi,
                  scan.projections, unitRead(scan.thetaInRadians, scan.thetaUnitsStated));
  };
  if (!projections) {
    noteAngles();
    return scan;
  }
  // Frames never written (a dataset sized for the whole scan by a writer that stopped, a virtual
  // dataset whose source file is gone) read as the fill value: nothing but zeros. They are no
  // measurement: leave them out, and say so.
  const std::size_t frame = std::size_t(scan.rows) * scan.columns;
  std::size_t kept = 0;
  for (int p = 0; p < scan.projections; ++p) {
    const float* values = scan.data.data() + std::size_t(p) * frame;
    if (std::all_of(values, values + frame,
                    [](float v) { return v == 0.0f || !std::isfinite(v); })) {
      scan.emptyProjections.push_back(p);
      continue;
    }
    if (kept != std::size_t(p)) {
      std::copy_n(values, frame, scan.data.data() + kept * frame);
      scan.thetaRad[kept] = scan.thetaRad[std::size_t(p)];
    }
    ++kept;
  }
  if (kept == 0)
    throw DataExchangeError(path + ": every one of the " + std::to_string(scan.projections) +
                            " projections holds nothing but zeros in the rows read (never "
                            "written?): nothing to reconstruct");
  scan.projections = int(kept);
  scan.data.resize(kept * frame);
  scan.thetaRad.resize(kept);
  noteAngles();
  return scan;
}

std::function<std::vector<float>(int)> openProjections(const std::string& path) {
  return detectScanFormat(path) == ScanFormat::NxTomo ? nxTomoProjections(path)
                                                      : dataExchangeProjections(path);
}

void writeScan(const std::string& path, const ScanToWrite& scan, ScanFormat format) {
  if (format == ScanFormat::NxTomo)
    writeNxTomo(path, scan);
  else
    writeDataExchange(path, scan);
}

}  // namespace tomolive

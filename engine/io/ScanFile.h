#pragma once
// One entry point for raw scan files, whatever the beamline wrote: the format is told from the
// file's content, never from its name (and chosen by the caller when writing), and both formats give the same RawScan and
// DataExchangeInfo (io/DataExchange.h, io/NexusTomo.h). Replay, `recon`, `info`, `methods` and
// the console read scans only through here.
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "io/DataExchange.h"

namespace tomolive {

enum class ScanFormat { DataExchange, NxTomo };

/// NxTomo when isNxTomoFile says so, otherwise DataExchange (whose reader then says what is
/// missing). Throws DataExchangeError when the file cannot be opened.
ScanFormat detectScanFormat(const std::string& path);

/// What is odd about a scan's angles, or "": all at one angle ("all 181 projections are at one
/// angle, 0°: nothing to reconstruct …"), or spanning more than two turns (a multi-turn scan, or
/// values in another unit than the one they are read in: degrees labelled radians span 57 times
/// the turns they should). `unit` names how they were read ("degrees", "radians").
std::string angleNote(double minDeg, double maxDeg, int projections, const std::string& unit);

/// Angles spanning less than this are one angle, whatever an encoder's jitter.
inline constexpr double kOneAngleDeg = 0.1;
/// Whether more than one projection and all within kOneAngleDeg: nothing to reconstruct
/// (`recon`, a replay and `info` refuse the scan).
bool atOneAngle(double minDeg, double maxDeg, int projections);
bool atOneAngle(std::span<const double> anglesRad);

/// Both say, in formatNote, when a Data Exchange file also holds a NeXus entry (not read), and
/// in angleNote what is odd about the angles.
DataExchangeInfo inspectScan(const std::string& path);
/// Without `projections`, everything but the projections (`data` stays empty, and no
/// projection is known to be empty).
RawScan readScan(const std::string& path, RowRange rows = {}, bool projections = true);
/// Projection `index` (file order), all rows, of either format, from a file kept open by the
/// function returned (dataExchangeProjections, nxTomoProjections).
std::function<std::vector<float>(int index)> openProjections(const std::string& path);
/// Writes (replacing) `scan` in `format` (writeDataExchange or writeNxTomo).
void writeScan(const std::string& path, const ScanToWrite& scan, ScanFormat format);

}  // namespace tomolive

#pragma once
// NeXus NXtomo scans (what Diamond, ESRF and PSI write), read into the same RawScan as Data
// Exchange: one stack of frames whose `image_key` gives each frame's kind — 0 projection, 1 flat
// field, 2 dark field, 3 invalid and -1 alignment (ESRF's image_key_control, tomoscan; both
// skipped) — split into projections, flats and darks, each kept
// in file order, with the projections' `rotation_angle` in radians.
//
// Where it looks (NeXus application definition NXtomo):
//   entry   the NXentry/NXsubentry whose `definition` is "NXtomo"; else the one entry holding an
//           NXdetector or NXdata group with frames and image_key; else, for files written without
//           NX_class attributes, /entry1/tomo_entry (Diamond), /entry or /entry0000
//   frames  `data` (or the NXdata `signal`) of the first NXdetector, else NXdata, group that
//           also holds image_key; else of the first NXdata, else NXdetector, holding frames;
//           frame × row × column, rows along the rotation axis; uint8/16/32, float32/64
//   image_key        beside the frames, else in the NXdetector, else in an NXdata; one per frame
//   rotation_angle   beside the frames, else in the NXsample (or its NXtransformations), else in
//                    an NXdata; one per frame, float; degrees unless its `units` attribute says
//                    rad/radian(s); only projection frames' angles must be finite
// At least one projection and one flat field are required; no dark field means a zero dark.
// Every failure is a DataExchangeError reading "<file>: <dataset>: <problem>", naming the value
// that was wrong; nothing is printed to stderr. No ground truth and no attributes are read.
#include <functional>
#include <string>

#include "io/DataExchange.h"

namespace tomolive {

/// Whether the file's content is NeXus rather than Data Exchange: no /exchange group, and an
/// NXentry (or an NXtomo layout at one of the paths above). Throws DataExchangeError when the
/// file cannot be opened.
bool isNxTomoFile(const std::string& path);
/// Whether the file holds an NXentry or an NXtomo layout at one of the paths above, whatever
/// else it holds (a Data Exchange file may carry one too). Throws as isNxTomoFile.
bool holdsNexusEntry(const std::string& path);

/// Never throws for content problems (they go to `problems`); throws DataExchangeError only
/// when the file cannot be opened at all. format = "NXtomo", entry = the entry used.
DataExchangeInfo inspectNxTomo(const std::string& path);

/// Reads only the selected detector rows of the frames after validating the whole layout;
/// without `projections`, everything but the projections (`data` stays empty).
RawScan readNxTomo(const std::string& path, RowRange rows = {}, bool projections = true);

/// Projection `index` (among the projections, in file order), all rows, from the file kept open
/// by the function returned. Throws DataExchangeError as readNxTomo does.
std::function<std::vector<float>(int index)> nxTomoProjections(const std::string& path);

/// Writes (replacing) `scan` as an NXtomo file in the layout of the definition (ESRF's):
/// /entry (NXentry, definition "NXtomo") / instrument / detector (NXdetector) with `data` —
/// darks, then flats, then projections, uint16 or float32 as the scan's data — and `image_key`
/// (2, 1, 0); /entry/sample (NXsample) / rotation_angle in degrees (0 for flats and darks);
/// /entry/data (NXdata, signal "data") linking the three; the scan's attributes on /entry. No
/// ground truth (NXtomo has no place for it). Throws DataExchangeError naming what is wrong.
void writeNxTomo(const std::string& path, const ScanToWrite& scan);

}  // namespace tomolive

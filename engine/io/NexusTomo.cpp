#include "io/NexusTomo.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numbers>
#include <optional>

#include "io/Hdf5Attributes.h"
#include "io/Hdf5Handles.h"
#include "io/Hdf5Reading.h"
#include "io/Hdf5Writing.h"

namespace tomolive {
using namespace hdf5;
namespace {

// -1: alignment frames (ESRF's image_key_control and tomoscan use it; skipped like invalid ones)
enum ImageKey : std::int64_t {
  kAlignment = -1,
  kProjection = 0,
  kFlat = 1,
  kDark = 2,
  kInvalid = 3
};

// Entries of files written without NX_class attributes: Diamond's, then the definition's own.
constexpr std::array<const char*, 3> kPlainEntries{"/entry1/tomo_entry", "/entry", "/entry0000"};

struct NexusGroup {
  std::string path;
  std::string nxClass;  // empty when the group has no NX_class
};

bool isEntryClass(const std::string& nxClass) {
  return nxClass == "NXentry" || nxClass == "NXsubentry";
}

bool isUnder(const std::string& name, const std::string& group) {
  return name.size() > group.size() + 1 && name.compare(0, group.size(), group) == 0 &&
         name[group.size()] == '/';
}

// A string attribute of `object`, or "" when it is absent or not a string.
std::string stringAttribute(hid_t object, const std::string& path, const std::string& objectName,
                            const char* key) {
  const htri_t exists = H5Aexists(object, key);
  if (exists < 0) fail(path, objectName, withHdf5Detail(std::string("cannot look up ") + key));
  if (exists == 0) return "";
  const Attribute value = readHdf5Attribute(object, path, objectName, key);
  const auto* text = std::get_if<std::string>(&value);
  return text ? *text : "";
}

// Every group reachable by hard links, with its NX_class, in name order (parents first).
std::vector<NexusGroup> nexusGroups(hid_t file, const std::string& path) {
  std::vector<NexusGroup> groups;
  for (const std::string& name : hardLinkNames(file, path)) {
    const Hdf5Object object = openObject(file, path, name);
    if (H5Iget_type(object.get()) != H5I_GROUP) continue;
    groups.push_back({name, stringAttribute(object.get(), path, name, "NX_class")});
  }
  return groups;
}

// The value of a scalar (or one-element) string dataset; nullopt when it is anything else.
std::optional<std::string> readStringDataset(hid_t file, const std::string& path,
                                             const std::string& name) {
  if (!linkExists(file, path, name)) return std::nullopt;
  Hdf5Dataset dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT));
  if (!dataset) return std::nullopt;
  Hdf5Datatype type(H5Dget_type(dataset.get()));
  Hdf5Dataspace space(H5Dget_space(dataset.get()));
  if (!type || !space || H5Tget_class(type.get()) != H5T_STRING ||
      H5Sget_simple_extent_npoints(space.get()) != 1) {
    return std::nullopt;
  }
  Hdf5Datatype memoryType(H5Tcopy(type.get()));
  if (!memoryType) fail(path, name, withHdf5Detail("cannot copy the string type"));
  const htri_t variable = H5Tis_variable_str(type.get());
  if (variable < 0) fail(path, name, withHdf5Detail("cannot read the string type"));
  std::string text;
  if (variable > 0) {
    char* value = nullptr;
    if (H5Dread(dataset.get(), memoryType.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0) {
      fail(path, name, withHdf5Detail("cannot read the string"));
    }
    text = value != nullptr ? value : "";
    H5free_memory(value);
  } else {
    text.assign(H5Tget_size(type.get()) + 1, '\0');
    if (H5Dread(dataset.get(), memoryType.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()) < 0) {
      fail(path, name, withHdf5Detail("cannot read the string"));
    }
    text.resize(std::strlen(text.c_str()));
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
  return text;
}

bool hasDataset(hid_t file, const std::string& path, const std::string& name) {
  if (!linkExists(file, path, name)) return false;
  const Hdf5Object object(H5Oopen(file, name.c_str(), H5P_DEFAULT));
  return object && H5Iget_type(object.get()) == H5I_DATASET;
}

bool isGroup(hid_t file, const std::string& path, const std::string& name) {
  if (!linkExists(file, path, name)) return false;
  const Hdf5Object object(H5Oopen(file, name.c_str(), H5P_DEFAULT));
  return object && H5Iget_type(object.get()) == H5I_GROUP;
}

// The frames' dataset name in a group: NXdata's `signal` attribute when it names one, else data.
std::string framesIn(hid_t file, const std::string& path, const NexusGroup& group) {
  if (group.nxClass == "NXdata") {
    const Hdf5Object object = openObject(file, path, group.path);
    const std::string signal = stringAttribute(object.get(), path, group.path, "signal");
    if (!signal.empty() && hasDataset(file, path, group.path + "/" + signal)) {
      return group.path + "/" + signal;
    }
  }
  return group.path + "/data";
}

bool holdsFramesAndKeys(hid_t file, const std::string& path, const NexusGroup& group) {
  return (group.nxClass == "NXdetector" || group.nxClass == "NXdata") &&
         linkExists(file, path, framesIn(file, path, group)) &&
         linkExists(file, path, group.path + "/image_key");
}

// Drops candidates that contain another candidate (Diamond nests the NXtomo NXsubentry in an
// NXentry): the innermost entry is the scan.
std::vector<std::string> innermost(std::vector<std::string> entries) {
  std::vector<std::string> kept;
  for (const std::string& entry : entries) {
    const bool containsAnother = std::any_of(entries.begin(), entries.end(),
                                             [&](const auto& e) { return isUnder(e, entry); });
    if (!containsAnother) kept.push_back(entry);
  }
  return kept;
}

std::string listed(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// Where the scan lives in the file.
struct NexusPaths {
  std::string entry, frames, imageKey, angle;
};

// The entry, or nullopt when the file holds none; fails when it holds several.
std::optional<std::string> findEntry(hid_t file, const std::string& path,
                                     const std::vector<NexusGroup>& groups) {
  std::vector<std::string> byDefinition, byContent;
  for (const NexusGroup& group : groups) {
    if (!isEntryClass(group.nxClass)) continue;
    if (readStringDataset(file, path, group.path + "/definition") == "NXtomo") {
      byDefinition.push_back(group.path);
    }
    const bool holdsScan = std::any_of(groups.begin(), groups.end(), [&](const NexusGroup& g) {
      return isUnder(g.path, group.path) && holdsFramesAndKeys(file, path, g);
    });
    if (holdsScan) byContent.push_back(group.path);
  }
  for (const std::vector<std::string>& candidates : {byDefinition, innermost(byContent)}) {
    if (candidates.size() > 1) {
      fail(path, "/",
           std::to_string(candidates.size()) + " NXtomo entries (" + listed(candidates) +
               "); TomoLive reads files holding one scan");
    }
    if (candidates.size() == 1) return candidates.front();
  }
  for (const char* entry : kPlainEntries) {
    const std::string name = entry;
    if (isGroup(file, path, name) && (linkExists(file, path, name + "/data/data") ||
                                      linkExists(file, path, name + "/instrument/detector/data"))) {
      return name;
    }
  }
  return std::nullopt;
}

// The groups of `nxClass` under the entry, in name order, then the definition's own path for
// that group when it exists without NX_class.
std::vector<NexusGroup> groupsOf(hid_t file, const std::string& path,
                                 const std::vector<NexusGroup>& groups, const std::string& entry,
                                 const std::string& nxClass, const std::string& plainPath) {
  std::vector<NexusGroup> found;
  for (const NexusGroup& group : groups) {
    if (group.nxClass == nxClass && isUnder(group.path, entry)) found.push_back(group);
  }
  const std::string plain = entry + "/" + plainPath;
  if (std::none_of(found.begin(), found.end(), [&](const auto& g) { return g.path == plain; }) &&
      isGroup(file, path, plain)) {
    found.push_back({plain, nxClass});
  }
  return found;
}

NexusPaths findDatasets(hid_t file, const std::string& path, const std::string& entry,
                        const std::vector<NexusGroup>& groups) {
  const std::vector<NexusGroup> detectors =
      groupsOf(file, path, groups, entry, "NXdetector", "instrument/detector");
  const std::vector<NexusGroup> plots = groupsOf(file, path, groups, entry, "NXdata", "data");
  std::vector<NexusGroup> samples = groupsOf(file, path, groups, entry, "NXsample", "sample");
  for (const NexusGroup& group : groups) {
    if (group.nxClass == "NXtransformations" && isUnder(group.path, entry))
      samples.push_back(group);
  }

  NexusPaths paths{entry, entry + "/instrument/detector/data",
                   entry + "/instrument/detector/image_key", entry + "/sample/rotation_angle"};
  std::optional<NexusGroup> framesGroup;
  for (const auto* kind : {&detectors, &plots}) {
    for (const NexusGroup& group : *kind) {
      if (!framesGroup && holdsFramesAndKeys(file, path, group)) framesGroup = group;
    }
  }
  for (const auto* kind : {&plots, &detectors}) {
    for (const NexusGroup& group : *kind) {
      if (!framesGroup && linkExists(file, path, framesIn(file, path, group))) framesGroup = group;
    }
  }
  if (!framesGroup) return paths;  // the frames are reported missing where the definition puts them
  paths.frames = framesIn(file, path, *framesGroup);

  const auto firstWith = [&](const char* field,
                             std::initializer_list<const std::vector<NexusGroup>*> kinds,
                             std::string& found) {
    if (linkExists(file, path, framesGroup->path + "/" + field)) {
      found = framesGroup->path + "/" + field;
      return;
    }
    for (const auto* kind : kinds) {
      for (const NexusGroup& group : *kind) {
        if (linkExists(file, path, group.path + "/" + field)) {
          found = group.path + "/" + field;
          return;
        }
      }
    }
  };
  firstWith("image_key", {&detectors, &plots}, paths.imageKey);
  firstWith("rotation_angle", {&samples, &plots}, paths.angle);
  return paths;
}

// --- validation ------------------------------------------------------------------------------

struct NexusLayout {
  NexusPaths paths;
  bool entryFound = false;
  int frameCount = 0, rows = 0, columns = 0;
  bool frameKnown = false;                       // rows and columns come from well-formed frames
  std::optional<Probe> frames, imageKey, angle;  // set only when usable
  std::vector<std::int64_t> keys;                // one per frame, when imageKey is usable
  std::vector<double> angles;                    // one per frame, as stored
  bool anglesInRadians = false;
  bool anglesUnitsStated = true;
  int projections = 0, flats = 0, darks = 0, invalid = 0, alignment = 0;
};

std::string frameCounts(const NexusLayout& layout) {
  return std::to_string(layout.frameCount) + " frames: " + std::to_string(layout.projections) +
         " projections, " + std::to_string(layout.flats) + " flats, " +
         std::to_string(layout.darks) + " darks, " + std::to_string(layout.invalid) + " invalid, " +
         std::to_string(layout.alignment) + " alignment";
}

void checkFrames(hid_t file, const std::string& path, NexusLayout& layout,
                 std::vector<std::string>& problems) {
  FrameStack frames = checkFrameStack(file, path, layout.paths.frames, "frame x row x column",
                                      "holds no frames", problems);
  layout.frameCount = frames.frames;
  layout.rows = frames.rows;
  layout.columns = frames.columns;
  layout.frameKnown = frames.frameKnown;
  layout.frames = std::move(frames.usable);
}

// A per-frame dataset (image_key, rotation_angle): rank 1, one value per frame.
bool checkPerFrame(const Probe& perFrame, const std::string& path, const NexusLayout& layout,
                   const char* what, std::vector<std::string>& problems) {
  if (!checkRank(perFrame, path, 1, "one value per frame", problems)) return false;
  if (layout.frameKnown && perFrame.dims[0] != static_cast<hsize_t>(layout.frameCount)) {
    problems.push_back(message(path, perFrame.name,
                               "holds " + std::to_string(perFrame.dims[0]) + " " + what + ", but " +
                                   layout.paths.frames + " holds " +
                                   std::to_string(layout.frameCount) + " frames"));
    return false;
  }
  return true;
}

void checkImageKey(hid_t file, const std::string& path, NexusLayout& layout,
                   std::vector<std::string>& problems) {
  const std::string& name = layout.paths.imageKey;
  if (!linkExists(file, path, name)) {
    problems.push_back(message(path, name,
                               "required dataset is missing: NXtomo tells projections, flats and "
                               "darks apart by image_key (0 projection, 1 flat, 2 dark, 3 "
                               "invalid, -1 alignment), one per frame"));
    return;
  }
  std::optional<Probe> key = probe(file, path, name, true, problems);
  if (!key) return;
  const bool typeOk = checkType(*key, path, isIntegerType, "an integer type", problems);
  if (!checkPerFrame(*key, path, layout, "keys", problems) || !typeOk) return;
  layout.keys = readSlab<std::int64_t>(file, path, *key, 0, 0, key->dims[0], H5T_NATIVE_INT64);
  const auto isBad = [](std::int64_t k) { return k < kAlignment || k > kInvalid; };
  const auto firstBad = std::find_if(layout.keys.begin(), layout.keys.end(), isBad);
  if (firstBad != layout.keys.end()) {
    problems.push_back(
        message(path, name,
                "image_key[" + std::to_string(firstBad - layout.keys.begin()) +
                    "] = " + std::to_string(*firstBad) +
                    " is not 0 (projection), 1 (flat), 2 (dark), 3 (invalid) or -1 "
                    "(alignment) (" +
                    std::to_string(std::count_if(layout.keys.begin(), layout.keys.end(), isBad)) +
                    " of " + std::to_string(layout.keys.size()) + " keys)"));
    layout.keys.clear();
    return;
  }
  for (const std::int64_t k : layout.keys) {
    layout.projections += k == kProjection;
    layout.flats += k == kFlat;
    layout.darks += k == kDark;
    layout.invalid += k == kInvalid;
    layout.alignment += k == kAlignment;
  }
  bool ok = true;
  if (layout.projections == 0) {
    problems.push_back(message(
        path, name, "no projections: no frame has image_key 0 (" + frameCounts(layout) + ")"));
    ok = false;
  }
  if (layout.flats == 0) {
    problems.push_back(message(
        path, name, "no flat fields: no frame has image_key 1 (" + frameCounts(layout) + ")"));
    ok = false;
  }
  if (ok) layout.imageKey = std::move(key);
}

void checkAngle(hid_t file, const std::string& path, NexusLayout& layout,
                std::vector<std::string>& problems) {
  const std::string& name = layout.paths.angle;
  std::optional<Probe> angle = probe(file, path, name, true, problems);
  if (!angle) return;
  const bool typeOk = checkType(*angle, path, isNumberType, kNumberTypes, problems);
  const bool shapeOk = checkPerFrame(*angle, path, layout, "angles", problems);
  if (!typeOk || !shapeOk) return;
  std::vector<double> angles =
      readSlab<double>(file, path, *angle, 0, 0, angle->dims[0], H5T_NATIVE_DOUBLE);
  // The unit from the projections' angles only: flats and darks often carry none.
  std::vector<double> projectionAngles;
  for (std::size_t i = 0; i < angles.size() && i < layout.keys.size(); ++i)
    if (layout.keys[i] == kProjection) projectionAngles.push_back(angles[i]);
  const std::optional<AngleUnits> units = angleUnits(file, path, name, projectionAngles, problems);
  if (!units) return;
  layout.anglesInRadians = units->radians;
  layout.anglesUnitsStated = units->stated;
  layout.angles = std::move(angles);
  if (layout.keys.size() != layout.angles.size()) return;  // the keys' problem is reported
  // Flats, darks and invalid frames are often stored without a meaningful angle.
  int bad = 0;
  std::size_t firstBad = 0;
  for (std::size_t i = 0; i < layout.angles.size(); ++i) {
    if (layout.keys[i] != kProjection || std::isfinite(layout.angles[i])) continue;
    if (bad++ == 0) firstBad = i;
  }
  if (bad > 0) {
    problems.push_back(message(
        path, name,
        "rotation_angle[" + std::to_string(firstBad) + "] = " + number(layout.angles[firstBad]) +
            " is not a finite angle for a projection (" + std::to_string(bad) + " of " +
            std::to_string(layout.projections) + " projection angles are not finite)"));
    return;
  }
  layout.angle = std::move(angle);
}

NexusLayout checkLayout(hid_t file, const std::string& path, std::vector<std::string>& problems) {
  NexusLayout layout;
  std::vector<NexusGroup> groups;
  std::optional<std::string> entry;
  collect(problems, [&] {
    groups = nexusGroups(file, path);
    entry = findEntry(file, path, groups);
    if (!entry) {
      problems.push_back(message(path, "/",
                                 "no NXtomo entry: no NXentry whose definition is NXtomo, no "
                                 "NXdetector or NXdata group holding data and image_key, and "
                                 "none of /entry1/tomo_entry, /entry, /entry0000"));
      return;
    }
    layout.entryFound = true;
    layout.paths = findDatasets(file, path, *entry, groups);
  });
  if (!layout.entryFound) return layout;
  collect(problems, [&] { checkFrames(file, path, layout, problems); });
  collect(problems, [&] { checkImageKey(file, path, layout, problems); });
  collect(problems, [&] { checkAngle(file, path, layout, problems); });
  return layout;
}

// Consecutive frames of one kind: [first, first + count).
struct Run {
  hsize_t first = 0, count = 0;
};

std::vector<Run> runsOf(const std::vector<std::int64_t>& keys, std::int64_t kind) {
  std::vector<Run> runs;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] != kind) continue;
    if (!runs.empty() && runs.back().first + runs.back().count == i) {
      ++runs.back().count;
    } else {
      runs.push_back({i, 1});
    }
  }
  return runs;
}

// Every frame of one kind, in file order, for the selected rows.
std::vector<float> readFramesOf(hid_t file, const std::string& path, const NexusLayout& layout,
                                std::int64_t kind, int frames, hsize_t firstRow, hsize_t rows) {
  const auto columns = static_cast<hsize_t>(layout.columns);
  const std::uint64_t elements =
      checkedElementCount({static_cast<hsize_t>(frames), rows, columns}, path, layout.frames->name);
  std::vector<float> values = allocate<float>(elements, path, layout.frames->name);
  std::size_t filled = 0;
  for (const Run& run : runsOf(layout.keys, kind)) {
    const std::vector<float> block =
        readBlock<float>(file, path, *layout.frames, {run.first, firstRow, 0},
                         {run.count, rows, columns}, H5T_NATIVE_FLOAT);
    std::copy(block.begin(), block.end(), values.begin() + static_cast<std::ptrdiff_t>(filled));
    filled += block.size();
  }
  return values;
}

double toRadians(const NexusLayout& layout) {
  return layout.anglesInRadians ? 1.0 : std::numbers::pi / 180.0;
}

}  // namespace

bool isNxTomoFile(const std::string& path) {
  {
    const Hdf5ErrorPrintingOff quiet;
    const Hdf5File file = openFile(path, H5F_ACC_RDONLY);
    if (linkExists(file.get(), path, "/exchange")) return false;
  }
  return holdsNexusEntry(path);
}

bool holdsNexusEntry(const std::string& path) {
  const Hdf5ErrorPrintingOff quiet;
  const Hdf5File file = openFile(path, H5F_ACC_RDONLY);
  const std::vector<NexusGroup> groups = nexusGroups(file.get(), path);
  if (std::any_of(groups.begin(), groups.end(),
                  [](const NexusGroup& g) { return isEntryClass(g.nxClass); })) {
    return true;
  }
  return findEntry(file.get(), path, groups).has_value();
}

DataExchangeInfo inspectNxTomo(const std::string& path) {
  const Hdf5ErrorPrintingOff quiet;
  const Hdf5File file = openFile(path, H5F_ACC_RDONLY);
  DataExchangeInfo info;
  info.path = path;
  info.format = "NXtomo";
  collect(info.problems, [&] { info.datasets = listDatasets(file.get(), path); });
  const NexusLayout layout = checkLayout(file.get(), path, info.problems);
  info.entry = layout.paths.entry;
  info.projections = layout.projections;
  info.rows = layout.rows;
  info.columns = layout.columns;
  info.flats = layout.flats;
  info.darks = layout.darks;
  info.invalidFrames = layout.invalid;
  info.alignmentFrames = layout.alignment;
  info.thetaInRadians = layout.anglesInRadians;
  info.thetaUnitsStated = layout.anglesUnitsStated;
  const double toDegrees = layout.anglesInRadians ? 180.0 / std::numbers::pi : 1.0;
  bool first = true;
  for (std::size_t i = 0; i < layout.angles.size() && i < layout.keys.size(); ++i) {
    const double theta = layout.angles[i] * toDegrees;
    if (layout.keys[i] != kProjection || !std::isfinite(theta)) continue;
    info.thetaMinDeg = first ? theta : std::min(info.thetaMinDeg, theta);
    info.thetaMaxDeg = first ? theta : std::max(info.thetaMaxDeg, theta);
    first = false;
  }
  if (layout.frames && layout.imageKey) {
    for (const std::int64_t kind : {kProjection, kFlat, kDark}) {
      for (const Run& run : runsOf(layout.keys, kind)) {
        collect(info.problems, [&] {
          info.nonFiniteData +=
              countNonFinite(file.get(), path, *layout.frames, run.first, run.count);
        });
      }
    }
  }
  return info;
}

RawScan readNxTomo(const std::string& path, RowRange range, bool projections) {
  const Hdf5ErrorPrintingOff quiet;
  const Hdf5File file = openFile(path, H5F_ACC_RDONLY);
  std::vector<std::string> problems;
  const NexusLayout layout = checkLayout(file.get(), path, problems);
  if (!problems.empty()) throw DataExchangeError(problems.front());

  const auto [begin, count] = selectedRows(range, layout.rows, path, layout.paths.frames);
  RawScan scan;
  scan.projections = layout.projections;
  scan.rows = static_cast<int>(count);
  scan.columns = layout.columns;
  scan.firstRow = range.begin;
  scan.dataType = layout.frames->type;
  if (projections)
    scan.data =
        readFramesOf(file.get(), path, layout, kProjection, layout.projections, begin, count);
  scan.flats = readFramesOf(file.get(), path, layout, kFlat, layout.flats, begin, count);
  scan.darks = readFramesOf(file.get(), path, layout, kDark, layout.darks, begin, count);
  scan.thetaInRadians = layout.anglesInRadians, scan.thetaUnitsStated = layout.anglesUnitsStated;
  scan.thetaRad.reserve(static_cast<std::size_t>(layout.projections));
  for (std::size_t i = 0; i < layout.keys.size(); ++i) {
    if (layout.keys[i] == kProjection)
      scan.thetaRad.push_back(layout.angles[i] * toRadians(layout));
  }
  // The rotation centre, where the entry states it as ours do (not part of NXtomo: an
  // attribute of another kind or type is no error, only not a centre).
  // A centre the entry states is read as /exchange's is; one that cannot be read is refused
  // (naming it), not passed over for an estimate.
  if (H5Aexists_by_name(file.get(), "/entry", "rotation_center", H5P_DEFAULT) > 0) {
    const Hdf5Object entry = openObject(file.get(), path, "/entry");
    scan.attributes["rotation_center"] =
        readHdf5Attribute(entry.get(), path, "/entry", "rotation_center");
  }
  return scan;
}

std::function<std::vector<float>(int)> nxTomoProjections(const std::string& path) {
  const Hdf5ErrorPrintingOff quiet;
  auto file = std::make_shared<Hdf5File>(openFile(path, H5F_ACC_RDONLY));
  std::vector<std::string> problems;
  const NexusLayout layout = checkLayout(file->get(), path, problems);
  if (!problems.empty()) throw DataExchangeError(problems.front());
  std::vector<hsize_t> frameOf;  // the frame index of each projection
  for (std::size_t i = 0; i < layout.keys.size(); ++i)
    if (layout.keys[i] == kProjection) frameOf.push_back(hsize_t(i));
  return [file, path, frames = *layout.frames, frameOf = std::move(frameOf)](int index) {
    const Hdf5ErrorPrintingOff quiet;
    return readSlab<float>(file->get(), path, frames, 0, frameOf.at(std::size_t(index)), 1,
                           H5T_NATIVE_FLOAT);
  };
}

void writeNxTomo(const std::string& path, const ScanToWrite& scan) {
  validateScanToWrite(scan, path);
  const Hdf5ErrorPrintingOff quiet;
  ReplacingWrite write(path);
  Hdf5File file = createFile(write.temporary(), path);
  const std::size_t frame = std::size_t(scan.rows) * scan.columns;
  const std::size_t darks = scan.darks.size() / frame, flats = scan.flats.size() / frame;
  const std::size_t frames = darks + flats + std::size_t(scan.projections);
  const std::vector<hsize_t> shape{frames, hsize_t(scan.rows), hsize_t(scan.columns)};
  const std::string detector = "/entry/instrument/detector";
  if (!scan.dataU16.empty()) {
    std::vector<std::uint16_t> all;
    all.reserve(frames * frame);
    for (const auto* open : {&scan.darks, &scan.flats})
      for (float v : *open)
        all.push_back(std::uint16_t(std::lround(std::clamp(v, 0.0f, 65535.0f))));
    all.insert(all.end(), scan.dataU16.begin(), scan.dataU16.end());
    writeDataset(file.get(), path, detector + "/data", shape,
                 {H5T_STD_U16LE, H5T_NATIVE_UINT16, true}, all.data());
  } else {
    std::vector<float> all(scan.darks);
    all.insert(all.end(), scan.flats.begin(), scan.flats.end());
    all.insert(all.end(), scan.dataF32.begin(), scan.dataF32.end());
    writeDataset(file.get(), path, detector + "/data", shape,
                 {H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, true}, all.data());
  }
  std::vector<std::int32_t> keys(darks, std::int32_t(kDark));
  keys.insert(keys.end(), flats, std::int32_t(kFlat));
  keys.insert(keys.end(), std::size_t(scan.projections), std::int32_t(kProjection));
  writeDataset(file.get(), path, detector + "/image_key", {frames},
               {H5T_STD_I32LE, H5T_NATIVE_INT32, false}, keys.data());
  std::vector<double> angles(darks + flats, 0.0);
  angles.insert(angles.end(), scan.thetaDeg.begin(), scan.thetaDeg.end());
  writeDataset(file.get(), path, "/entry/sample/rotation_angle", {frames},
               {H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, false}, angles.data(),
               {{"units", std::string("degree")}});
  {
    // definition: a scalar string dataset
    Hdf5Datatype text(H5Tcopy(H5T_C_S1));
    const std::string value = "NXtomo";
    Hdf5Dataspace scalar(H5Screate(H5S_SCALAR));
    if (!text || H5Tset_size(text.get(), value.size()) < 0 || !scalar)
      fail(path, "/entry/definition", withHdf5Detail("cannot make the string type"));
    Hdf5Dataset definition(H5Dcreate2(file.get(), "/entry/definition", text.get(), scalar.get(),
                                      H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!definition ||
        H5Dwrite(definition.get(), text.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, value.data()) < 0)
      fail(path, "/entry/definition", withHdf5Detail("cannot write it"));
  }
  if (H5Gclose(H5Gcreate2(file.get(), "/entry/data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
    fail(path, "/entry/data", withHdf5Detail("cannot create the group"));
  for (const auto& [link, target] :
       {std::pair{"data", detector + "/data"},
        {"image_key", detector + "/image_key"},
        {"rotation_angle", std::string("/entry/sample/rotation_angle")}})
    if (H5Lcreate_hard(file.get(), target.c_str(), file.get(),
                       ("/entry/data/" + std::string(link)).c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0)
      fail(path, "/entry/data/" + std::string(link), withHdf5Detail("cannot link " + target));
  for (const auto& [group, nxClass] : {std::pair{"/entry", "NXentry"},
                                       {"/entry/instrument", "NXinstrument"},
                                       {"/entry/instrument/detector", "NXdetector"},
                                       {"/entry/sample", "NXsample"},
                                       {"/entry/data", "NXdata"}}) {
    const Hdf5Object object = openObject(file.get(), path, group);
    std::map<std::string, Attribute> attributes{{"NX_class", std::string(nxClass)}};
    if (std::string(group) == "/entry/data") attributes["signal"] = std::string("data");
    if (std::string(group) == "/entry")
      attributes.insert(scan.attributes.begin(), scan.attributes.end());
    writeAttributes(object.get(), path, group, attributes);
  }
  closeWritten(file, path);
  write.commit();
}

}  // namespace tomolive

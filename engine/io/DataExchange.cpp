#include "io/DataExchange.h"

#include "io/Hdf5Attributes.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "io/Hdf5Handles.h"
#include "io/Hdf5Reading.h"

namespace tomolive {
using namespace hdf5;
using namespace exchange_paths;
namespace {

// --- validation of a scan's layout ---------------------------------------------------------

struct ScanLayout {
  int projections = 0, rows = 0, columns = 0, flats = 0, darks = 0;
  bool frameKnown = false;  // rows and columns come from a well-formed /exchange/data
  std::optional<Probe> data, white, dark, theta, groundTruth;  // set only when usable
  std::vector<double> thetaValues;                             // as stored
  bool thetaInRadians = false;
  bool thetaUnitsStated = true;  ///< false: no units attribute, the unit inferred
  int groundTruthSize = 0;
  std::optional<double> pixelSizeMicrometres;
};

void checkData(hid_t file, const std::string& path, ScanLayout& layout,
               std::vector<std::string>& problems) {
  FrameStack data = checkFrameStack(file, path, kData, "projection x row x column",
                                    "holds no projections", problems);
  layout.projections = data.frames;
  layout.rows = data.rows;
  layout.columns = data.columns;
  layout.frameKnown = data.frameKnown;
  layout.data = std::move(data.usable);
}

// Flats or darks: frame × row × column with /exchange/data's frame shape.
std::optional<Probe> checkFrames(hid_t file, const std::string& path, const std::string& name,
                                 bool required, const ScanLayout& layout, int& count,
                                 std::vector<std::string>& problems) {
  std::optional<Probe> frames = probe(file, path, name, required, problems);
  if (!frames) return std::nullopt;
  bool ok = checkType(*frames, path, isCountType, kCountTypes, problems);
  // One image may come without the frame axis (row x column): one frame.
  const bool single = frames->dims.size() == 2;
  if (!single && !checkRank(*frames, path, 3, "frame x row x column, or row x column", problems))
    return std::nullopt;
  count = single ? 1 : static_cast<int>(frames->dims[0]);
  const hsize_t rows = frames->dims[single ? 0 : 1], columns = frames->dims[single ? 1 : 2];
  if (layout.frameKnown && (rows != static_cast<hsize_t>(layout.rows) ||
                            columns != static_cast<hsize_t>(layout.columns))) {
    problems.push_back(message(path, name,
                               "frames are " + shapeText({rows, columns}) + " (shape " +
                                   shapeText(frames->dims) + "), but " + kData + " frames are " +
                                   std::to_string(layout.rows) + "x" +
                                   std::to_string(layout.columns)));
    ok = false;
  }
  if (required && count == 0) {
    problems.push_back(
        message(path, name, "holds no frames (shape " + shapeText(frames->dims) + ")"));
    ok = false;
  }
  return ok ? std::move(frames) : std::nullopt;
}

void checkTheta(hid_t file, const std::string& path, ScanLayout& layout,
                std::vector<std::string>& problems) {
  std::optional<Probe> theta = probe(file, path, kTheta, true, problems);
  if (!theta) return;
  const bool typeOk = checkType(*theta, path, isNumberType, kNumberTypes, problems);
  const bool rankOk = checkRank(*theta, path, 1, "one angle per projection", problems);
  bool ok = typeOk && rankOk;
  if (rankOk && layout.frameKnown && theta->dims[0] != static_cast<hsize_t>(layout.projections)) {
    problems.push_back(message(path, kTheta,
                               "holds " + std::to_string(theta->dims[0]) + " angles, but " + kData +
                                   " holds " + std::to_string(layout.projections) +
                                   " projections"));
    ok = false;
  }

  if (typeOk && rankOk) {
    layout.thetaValues =
        readSlab<double>(file, path, *theta, 0, 0, theta->dims[0], H5T_NATIVE_DOUBLE);
    const auto& values = layout.thetaValues;
    const auto isBad = [](double v) { return !std::isfinite(v); };
    const auto firstBad = std::find_if(values.begin(), values.end(), isBad);
    if (firstBad != values.end()) {
      problems.push_back(
          message(path, kTheta,
                  "theta[" + std::to_string(firstBad - values.begin()) +
                      "] = " + number(*firstBad) + " is not a finite angle (" +
                      std::to_string(std::count_if(values.begin(), values.end(), isBad)) + " of " +
                      std::to_string(values.size()) + " angles are not finite)"));
      ok = false;
    }
  }
  const std::optional<AngleUnits> units =
      angleUnits(file, path, kTheta, layout.thetaValues, problems);
  if (units) {
    layout.thetaInRadians = units->radians;
    layout.thetaUnitsStated = units->stated;
  } else {
    ok = false;
  }
  if (ok) layout.theta = std::move(theta);
}

void checkGroundTruth(hid_t file, const std::string& path, ScanLayout& layout,
                      std::vector<std::string>& problems) {
  std::optional<Probe> truth = probe(file, path, kGroundTruth, false, problems);
  if (!truth) return;
  bool ok = checkType(*truth, path, isFloatType, kFloatTypes, problems);
  if (!checkRank(*truth, path, 3, "slice x row x column", problems)) return;
  if (layout.frameKnown && truth->dims[0] != static_cast<hsize_t>(layout.rows)) {
    problems.push_back(message(path, kGroundTruth,
                               "holds " + std::to_string(truth->dims[0]) +
                                   " slices, but the detector has " + std::to_string(layout.rows) +
                                   " rows"));
    ok = false;
  }
  if (truth->dims[1] != truth->dims[2] || truth->dims[1] == 0) {
    problems.push_back(message(path, kGroundTruth,
                               "slices are " + shapeText({truth->dims[1], truth->dims[2]}) +
                                   ", expected square N x N slices with N > 0"));
    ok = false;
  }
  if (!ok) return;
  layout.groundTruthSize = static_cast<int>(truth->dims[1]);
  layout.groundTruth = std::move(truth);
}

// One positive length; micrometres unless its `units` attribute says otherwise (APS writes µm).
void checkPixelSize(hid_t file, const std::string& path, ScanLayout& layout,
                    std::vector<std::string>& problems) {
  if (!linkExists(file, path, kPixelSize)) return;
  const std::optional<Probe> size = probe(file, path, kPixelSize, false, problems);
  if (!size) return;
  bool ok = checkType(*size, path, isFloatType, kFloatTypes, problems);
  if (checkedElementCount(size->dims, path, kPixelSize) != 1) {
    problems.push_back(
        message(path, kPixelSize, "holds " + shapeText(size->dims) + " values, not one length"));
    ok = false;
  }
  const double unit = lengthUnitInMicrometres(file, path, kPixelSize, 1.0, problems);
  if (!ok || !(unit > 0.0)) return;
  double value = 0.0;
  const Hdf5Dataset dataset = openDataset(file, path, kPixelSize);
  if (H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0)
    fail(path, kPixelSize, withHdf5Detail("cannot read the value"));
  if (!(std::isfinite(value) && value > 0.0)) {
    problems.push_back(message(path, kPixelSize, number(value) + " is not a positive length"));
    return;
  }
  layout.pixelSizeMicrometres = value * unit;
}

ScanLayout checkLayout(hid_t file, const std::string& path, std::vector<std::string>& problems) {
  ScanLayout layout;
  // Without an /exchange group nothing below can be there: one problem that says what the file
  // is not, instead of every dataset missing (or an HDF5 lookup error when it is a dataset).
  if (!linkExists(file, path, "/exchange")) {
    problems.push_back(message(
        path, "/exchange",
        "no such group: neither a Data Exchange scan nor a NeXus NXtomo one (no NXentry with "
        "definition NXtomo, or an entry whose instrument/detector or NXdata holds data and "
        "image_key)"));
    return layout;
  }
  const Hdf5Object exchange = openObject(file, path, "/exchange");
  if (H5Iget_type(exchange.get()) != H5I_GROUP) {
    problems.push_back(
        message(path, "/exchange", "is a dataset, not the group of a Data Exchange scan"));
    return layout;
  }
  collect(problems, [&] { checkData(file, path, layout, problems); });
  collect(problems, [&] {
    layout.white = checkFrames(file, path, kWhite, true, layout, layout.flats, problems);
  });
  collect(problems, [&] {
    layout.dark = checkFrames(file, path, kDark, false, layout, layout.darks, problems);
  });
  collect(problems, [&] { checkTheta(file, path, layout, problems); });
  collect(problems, [&] { checkGroundTruth(file, path, layout, problems); });
  collect(problems, [&] { checkPixelSize(file, path, layout, problems); });
  return layout;
}

}  // namespace

std::optional<double> RawScan::statedCentre() const {
  const auto found = attributes.find("rotation_center");
  if (found == attributes.end()) return std::nullopt;
  const Attribute& a = found->second;
  std::optional<double> value;
  if (const double* c = std::get_if<double>(&a)) value = *c;
  if (const std::int64_t* c = std::get_if<std::int64_t>(&a)) value = double(*c);
  if (const auto* c = std::get_if<std::vector<double>>(&a); c && c->size() == 1) value = c->front();
  if (const std::string* text = std::get_if<std::string>(&a)) {  // writers that store "295.6"
    const char* begin = text->c_str();
    char* end = nullptr;
    const double parsed = std::strtod(begin, &end);
    while (end && std::isspace(static_cast<unsigned char>(*end))) ++end;
    const bool decimal = text->find_first_of("xXpP") == std::string::npos;  // not 0x4B
    if (decimal && end != begin && end && *end == '\0') value = parsed;
  }
  if (!value || !std::isfinite(*value)) {
    std::string shown;
    if (const std::string* text = std::get_if<std::string>(&a))
      shown = "'" + *text + "'";
    else if (value)  // nan, inf
      shown = std::to_string(*value);
    else if (const auto* c = std::get_if<std::vector<double>>(&a))
      shown = std::to_string(c->size()) + " numbers";
    throw std::invalid_argument("rotation_center " + shown +
                                " is not one finite number (a detector column)");
  }
  return value;
}

int RawScan::flatCount() const {
  const std::size_t frame = static_cast<std::size_t>(rows) * columns;
  return frame == 0 ? 0 : static_cast<int>(flats.size() / frame);
}

int RawScan::darkCount() const {
  const std::size_t frame = static_cast<std::size_t>(rows) * columns;
  return frame == 0 ? 0 : static_cast<int>(darks.size() / frame);
}

DataExchangeInfo inspectDataExchange(const std::string& path) {
  const Hdf5ErrorPrintingOff quiet;
  const Hdf5File file = openFile(path, H5F_ACC_RDONLY);
  DataExchangeInfo info;
  info.path = path;
  collect(info.problems, [&] { info.datasets = listDatasets(file.get(), path); });
  const ScanLayout layout = checkLayout(file.get(), path, info.problems);
  if (!linkExists(file.get(), path, "/exchange")) info.format = "neither Data Exchange nor NXtomo";
  info.projections = layout.projections;
  info.rows = layout.rows;
  info.columns = layout.columns;
  info.flats = layout.flats;
  info.darks = layout.darks;
  info.thetaInRadians = layout.thetaInRadians;
  info.thetaUnitsStated = layout.thetaUnitsStated;
  info.hasGroundTruth = layout.groundTruth.has_value();
  const double toDegrees = layout.thetaInRadians ? 180.0 / std::numbers::pi : 1.0;
  bool first = true;
  for (const double theta : layout.thetaValues) {
    if (!std::isfinite(theta)) continue;
    info.thetaMinDeg = first ? theta * toDegrees : std::min(info.thetaMinDeg, theta * toDegrees);
    info.thetaMaxDeg = first ? theta * toDegrees : std::max(info.thetaMaxDeg, theta * toDegrees);
    first = false;
  }
  for (const auto* frames : {&layout.data, &layout.white, &layout.dark}) {
    if (!frames->has_value()) continue;
    collect(info.problems, [&] {
      info.nonFiniteData += countNonFinite(file.get(), path, **frames, 0, (*frames)->dims[0]);
    });
  }
  return info;
}

RawScan readDataExchange(const std::string& path, RowRange range, bool projections) {
  const Hdf5ErrorPrintingOff quiet;
  const Hdf5File file = openFile(path, H5F_ACC_RDONLY);
  std::vector<std::string> problems;
  const ScanLayout layout = checkLayout(file.get(), path, problems);
  if (!problems.empty()) throw DataExchangeError(problems.front());

  const auto [begin, count] = selectedRows(range, layout.rows, path, kData);

  RawScan scan;
  scan.projections = layout.projections;
  scan.rows = static_cast<int>(count);
  scan.columns = layout.columns;
  scan.firstRow = range.begin;
  scan.dataType = layout.data->type;
  if (projections)
    scan.data = readSlab<float>(file.get(), path, *layout.data, 1, begin, count, H5T_NATIVE_FLOAT);
  // Flats and darks: the row axis is 1, or 0 for one image stored without the frame axis.
  const auto rowAxis = [](const Probe& p) { return p.dims.size() == 2 ? 0u : 1u; };
  scan.flats = readSlab<float>(file.get(), path, *layout.white, rowAxis(*layout.white), begin,
                               count, H5T_NATIVE_FLOAT);
  if (layout.dark) {
    scan.darks = readSlab<float>(file.get(), path, *layout.dark, rowAxis(*layout.dark), begin,
                                 count, H5T_NATIVE_FLOAT);
  }
  const double toRadians = layout.thetaInRadians ? 1.0 : std::numbers::pi / 180.0;
  scan.thetaInRadians = layout.thetaInRadians, scan.thetaUnitsStated = layout.thetaUnitsStated;
  scan.thetaRad.reserve(layout.thetaValues.size());
  for (const double theta : layout.thetaValues) scan.thetaRad.push_back(theta * toRadians);
  if (layout.groundTruth) {
    scan.groundTruth =
        readSlab<float>(file.get(), path, *layout.groundTruth, 0, begin, count, H5T_NATIVE_FLOAT);
    scan.groundTruthSize = layout.groundTruthSize;
  }
  scan.pixelSizeMicrometres = layout.pixelSizeMicrometres;
  const Hdf5Object exchange = openObject(file.get(), path, kExchange);
  scan.attributes = readHdf5Attributes(exchange.get(), path, kExchange);
  return scan;
}

std::function<std::vector<float>(int)> dataExchangeProjections(const std::string& path) {
  const Hdf5ErrorPrintingOff quiet;
  auto file = std::make_shared<Hdf5File>(openFile(path, H5F_ACC_RDONLY));
  std::vector<std::string> problems;
  const ScanLayout layout = checkLayout(file->get(), path, problems);
  if (!problems.empty()) throw DataExchangeError(problems.front());
  return [file, path, data = *layout.data](int index) {
    const Hdf5ErrorPrintingOff quiet;
    return readSlab<float>(file->get(), path, data, 0, hsize_t(index), 1, H5T_NATIVE_FLOAT);
  };
}

namespace {

std::optional<Reconstruction> readReconstructionDataset(const std::string& path,
                                                        const std::string& dataset, bool required) {
  const Hdf5ErrorPrintingOff quiet;
  const Hdf5File file = openFile(path, H5F_ACC_RDONLY);
  std::vector<std::string> problems;
  const std::optional<Probe> volume = probe(file.get(), path, dataset, required, problems);
  if (!volume && problems.empty()) return std::nullopt;
  if (volume) {
    checkType(*volume, path, isFloatType, kFloatTypes, problems);
    if (checkRank(*volume, path, 3, "slice x row x column", problems) &&
        (volume->dims[0] == 0 || volume->dims[1] == 0 || volume->dims[1] != volume->dims[2])) {
      problems.push_back(message(
          path, dataset,
          "shape " + shapeText(volume->dims) + " is not a non-empty stack of square slices"));
    }
  }
  if (!problems.empty()) throw DataExchangeError(problems.front());

  Reconstruction recon;
  recon.slices = static_cast<int>(volume->dims[0]);
  recon.size = static_cast<int>(volume->dims[1]);
  recon.volume =
      readSlab<float>(file.get(), path, *volume, 0, 0, volume->dims[0], H5T_NATIVE_FLOAT);
  const Hdf5Dataset handle = openDataset(file.get(), path, dataset);
  recon.attributes = readHdf5Attributes(handle.get(), path, dataset);
  return recon;
}

}  // namespace

Reconstruction readReconstruction(const std::string& path, const std::string& dataset) {
  return *readReconstructionDataset(path, dataset, true);
}

std::optional<Reconstruction> readReconstructionIfPresent(const std::string& path,
                                                          const std::string& dataset) {
  return readReconstructionDataset(path, dataset, false);
}

}  // namespace tomolive

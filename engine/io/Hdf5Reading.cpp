#include "io/Hdf5Reading.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>

#include "io/Hdf5Attributes.h"

namespace tomolive::hdf5 {

std::string message(const std::string& file, const std::string& dataset,
                    const std::string& problem) {
  return file + ": " + dataset + ": " + problem;
}

[[noreturn]] void fail(const std::string& file, const std::string& dataset,
                       const std::string& problem) {
  throw DataExchangeError(message(file, dataset, problem));
}

std::string number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

std::string shapeText(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return "scalar";
  std::string text;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += 'x';
    text += std::to_string(dims[i]);
  }
  return text;
}

std::string typeName(hid_t type) {
  const std::string bits = std::to_string(H5Tget_size(type) * 8);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + bits;
    case H5T_FLOAT:
      return "float" + bits;
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "vlen";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_REFERENCE:
      return "reference";
    case H5T_TIME:
      return "time";
    default:
      return "unknown";
  }
}

bool isIntegerType(const std::string& type) {
  return type.rfind("int", 0) == 0 || type.rfind("uint", 0) == 0;
}

bool isCountType(const std::string& type) {
  // Signed integers too (Pilatus and Eiger detectors write int32, some cameras int16); HDF5
  // converts every one of these to float32 on reading.
  return isIntegerType(type) || type == "float16" || type == "float32" || type == "float64";
}

bool isNumberType(const std::string& type) { return isIntegerType(type) || isFloatType(type); }

bool isFloatType(const std::string& type) { return type == "float32" || type == "float64"; }

std::uint64_t checkedElementCount(const std::vector<hsize_t>& dims, const std::string& file,
                                  const std::string& name) {
  std::uint64_t count = 1;
  for (const hsize_t d : dims) {
    if (d != 0 && count > kMaxElements / d) {
      fail(file, name,
           "selection of " + shapeText(dims) +
               " values exceeds the limit of 2^34 values read at "
               "once; select fewer rows");
    }
    count *= d;
  }
  return count;
}

Hdf5File openFile(const std::string& path, unsigned flags) {
  std::string problem;
  Hdf5File file = openExistingHdf5(path, flags, problem);
  if (!file) fail(path, "/", problem);
  return file;
}

// H5Lexists needs every intermediate group to exist, so walk the path one component at a time.
bool linkExists(hid_t file, const std::string& path, const std::string& name) {
  for (std::size_t slash = name.find('/', 1);; slash = name.find('/', slash + 1)) {
    const std::string prefix = name.substr(0, slash);
    const htri_t exists = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
    if (exists < 0) fail(path, name, withHdf5Detail("cannot look up " + prefix));
    if (exists == 0) return false;
    if (slash == std::string::npos) return true;
  }
}

Hdf5Dataset openDataset(hid_t file, const std::string& path, const std::string& name) {
  Hdf5Dataset dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT));
  if (!dataset) fail(path, name, withHdf5Detail("cannot open the dataset"));
  return dataset;
}

Probe describe(hid_t dataset, const std::string& path, const std::string& name) {
  Probe probe{name, {}, {}};
  Hdf5Dataspace space(H5Dget_space(dataset));
  if (!space) fail(path, name, withHdf5Detail("cannot read the dataspace"));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail(path, name, withHdf5Detail("cannot read the rank"));
  probe.dims.resize(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), probe.dims.data(), nullptr) < 0) {
    fail(path, name, withHdf5Detail("cannot read the shape"));
  }
  Hdf5Datatype type(H5Dget_type(dataset));
  if (!type) fail(path, name, withHdf5Detail("cannot read the type"));
  probe.type = typeName(type.get());
  return probe;
}

std::optional<Probe> probe(hid_t file, const std::string& path, const std::string& name,
                           bool required, std::vector<std::string>& problems) {
  if (!linkExists(file, path, name)) {
    if (required) problems.push_back(message(path, name, "required dataset is missing"));
    return std::nullopt;
  }
  Hdf5Dataset dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT));
  if (!dataset) {
    problems.push_back(message(path, name, withHdf5Detail("exists but is not a dataset")));
    return std::nullopt;
  }
  if (const auto missing = missingFilter(dataset.get())) {
    problems.push_back(message(path, name, *missing));
    return std::nullopt;
  }
  return describe(dataset.get(), path, name);
}

std::optional<std::string> missingFilter(hid_t dataset) {
  const Hdf5PropertyList create(H5Dget_create_plist(dataset));
  if (!create) return std::nullopt;
  const int filters = H5Pget_nfilters(create.get());
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0, config = 0;
    std::size_t values = 0;
    char name[64] = {};
    const H5Z_filter_t id = H5Pget_filter2(create.get(), unsigned(i), &flags, &values, nullptr,
                                           sizeof name, name, &config);
    // An optional filter that is missing was skipped when writing: the chunks read without it.
    if (id < 0 || (flags & H5Z_FLAG_OPTIONAL) || H5Zfilter_avail(id) > 0) continue;
    // Known plugin filters (registered ids, https://portal.hdfgroup.org/documentation/).
    const char* known = id == 32000   ? "LZF"
                        : id == 32001 ? "Blosc"
                        : id == 32004 ? "LZ4"
                        : id == 32008 ? "bitshuffle"
                        : id == 32015 ? "Zstandard"
                        : id == 32026 ? "Blosc2"
                                      : nullptr;
    std::string what = known ? known : name[0] ? name : "unknown";
    return "stored with HDF5 filter " + std::to_string(id) + " (" + what +
           "), which this HDF5 cannot decode: install the filter's plugin (e.g. Python's "
           "hdf5plugin) and point HDF5_PLUGIN_PATH at its folder";
  }
  return std::nullopt;
}

bool checkType(const Probe& probe, const std::string& path, bool (*accepted)(const std::string&),
               const char* acceptedText, std::vector<std::string>& problems) {
  if (accepted(probe.type)) return true;
  problems.push_back(message(
      path, probe.name, "unsupported type " + probe.type + " (expected " + acceptedText + ")"));
  return false;
}

bool checkRank(const Probe& probe, const std::string& path, std::size_t rank, const char* axes,
               std::vector<std::string>& problems) {
  if (probe.dims.size() != rank) {
    problems.push_back(message(path, probe.name,
                               "rank " + std::to_string(probe.dims.size()) + " (shape " +
                                   shapeText(probe.dims) + "), expected rank " +
                                   std::to_string(rank) + " (" + axes + ")"));
    return false;
  }
  for (const hsize_t d : probe.dims) {
    if (d > static_cast<hsize_t>(INT_MAX)) {
      problems.push_back(message(path, probe.name,
                                 "dimension " + std::to_string(d) + " of shape " +
                                     shapeText(probe.dims) + " exceeds " +
                                     std::to_string(INT_MAX)));
      return false;
    }
  }
  return true;
}

Hdf5Object openObject(hid_t file, const std::string& path, const std::string& name) {
  Hdf5Object object(H5Oopen(file, name.c_str(), H5P_DEFAULT));
  if (!object) fail(path, name, withHdf5Detail("cannot open"));
  return object;
}

namespace {

// A units attribute compared without case or trailing blanks.
std::string normalisedUnits(std::string units) {
  std::transform(units.begin(), units.end(), units.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!units.empty() && std::isspace(static_cast<unsigned char>(units.back()))) units.pop_back();
  return units;
}

}  // namespace

std::optional<bool> unitsAreRadians(std::string units) {
  units = normalisedUnits(std::move(units));
  if (units.empty() || units == "deg" || units == "degree" || units == "degrees") return false;
  if (units == "rad" || units == "radian" || units == "radians") return true;
  return std::nullopt;
}

std::int64_t countNonFinite(hid_t file, const std::string& path, const Probe& frames, hsize_t first,
                            hsize_t count) {
  if (!isFloatType(frames.type)) return 0;
  std::int64_t nonFinite = 0;
  for (hsize_t frame = first; frame < first + count; ++frame) {
    const std::vector<float> values =
        readSlab<float>(file, path, frames, 0, frame, 1, H5T_NATIVE_FLOAT);
    nonFinite +=
        std::count_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); });
  }
  return nonFinite;
}

std::vector<std::string> hardLinkNames(hid_t file, const std::string& path) {
  std::vector<std::string> names;
  const auto collectName = [](hid_t, const char* name, const H5L_info_t* info,
                              void* out) -> herr_t {
    if (info->type != H5L_TYPE_HARD) return 0;
    try {
      static_cast<std::vector<std::string>*>(out)->push_back(std::string("/") + name);
      return 0;
    } catch (...) {
      return -1;
    }
  };
  if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collectName, &names) < 0) {
    fail(path, "/", withHdf5Detail("cannot list the file's content"));
  }
  return names;
}

std::vector<DatasetInfo> listDatasets(hid_t file, const std::string& path) {
  const std::vector<std::string> names = hardLinkNames(file, path);
  std::vector<DatasetInfo> datasets;
  for (const std::string& name : names) {
    const Hdf5Object object = openObject(file, path, name);
    if (H5Iget_type(object.get()) != H5I_DATASET) continue;
    const Probe probe = describe(object.get(), path, name);
    datasets.push_back(
        {name, std::vector<std::int64_t>(probe.dims.begin(), probe.dims.end()), probe.type});
  }
  return datasets;
}

std::pair<hsize_t, hsize_t> selectedRows(RowRange range, int rows, const std::string& path,
                                         const std::string& dataset) {
  const int end = range.end == -1 ? rows : range.end;
  if (range.begin < 0 || range.begin >= end || end > rows) {
    fail(path, dataset,
         "row range [" + std::to_string(range.begin) + ", " + std::to_string(range.end) +
             ") is empty or outside the detector rows [0, " + std::to_string(rows) + ")");
  }
  return {static_cast<hsize_t>(range.begin), static_cast<hsize_t>(end - range.begin)};
}

FrameStack checkFrameStack(hid_t file, const std::string& path, const std::string& name,
                           const char* axes, const char* noFrames,
                           std::vector<std::string>& problems) {
  FrameStack stack;
  std::optional<Probe> frames = probe(file, path, name, true, problems);
  if (!frames) return stack;
  const bool typeOk = checkType(*frames, path, isCountType, kCountTypes, problems);
  if (!checkRank(*frames, path, 3, axes, problems)) return stack;
  stack.frames = static_cast<int>(frames->dims[0]);
  stack.rows = static_cast<int>(frames->dims[1]);
  stack.columns = static_cast<int>(frames->dims[2]);
  if (stack.rows == 0 || stack.columns == 0) {
    problems.push_back(
        message(path, name, "empty detector frames (shape " + shapeText(frames->dims) + ")"));
    return stack;
  }
  stack.frameKnown = true;
  if (stack.frames == 0) {
    problems.push_back(
        message(path, name, std::string(noFrames) + " (shape " + shapeText(frames->dims) + ")"));
    return stack;
  }
  if (typeOk) stack.usable = std::move(frames);
  return stack;
}

namespace {

// A dataset's `units` attribute: "" when absent; nullopt (with a problem) when not a string.
std::optional<std::string> unitsAttribute(hid_t file, const std::string& path,
                                          const std::string& name,
                                          std::vector<std::string>& problems) {
  const Hdf5Dataset dataset = openDataset(file, path, name);
  const htri_t hasUnits = H5Aexists(dataset.get(), "units");
  if (hasUnits < 0) fail(path, name, withHdf5Detail("cannot look up the units attribute"));
  if (hasUnits == 0) return std::string();
  const Attribute units = readHdf5Attribute(dataset.get(), path, name, "units");
  const auto* text = std::get_if<std::string>(&units);
  if (!text) {
    problems.push_back(message(path, name, "units attribute is not a string"));
    return std::nullopt;
  }
  return *text;
}

std::optional<double> micrometresPerUnit(std::string units) {
  units = normalisedUnits(std::move(units));
  if (units == "nm") return 1e-3;
  if (units == "um" || units == "\u00b5m" || units == "micron" || units == "microns" ||
      units == "micrometre" || units == "micrometres" || units == "micrometer" ||
      units == "micrometers")
    return 1.0;
  if (units == "mm") return 1e3;
  if (units == "cm") return 1e4;
  if (units == "m") return 1e6;
  return std::nullopt;
}

}  // namespace

double lengthUnitInMicrometres(hid_t file, const std::string& path, const std::string& name,
                               double whenAbsent, std::vector<std::string>& problems) {
  const std::optional<std::string> text = unitsAttribute(file, path, name, problems);
  if (!text) return 0.0;
  if (text->empty()) return whenAbsent;
  const std::optional<double> micrometres = micrometresPerUnit(*text);
  if (!micrometres)
    problems.push_back(message(
        path, name,
        "units attribute '" + *text + "' is no length unit this reader knows (nm, um, mm, cm, m)"));
  return micrometres.value_or(0.0);
}

std::optional<AngleUnits> angleUnits(hid_t file, const std::string& path, const std::string& name,
                                     std::span<const double> values,
                                     std::vector<std::string>& problems) {
  const std::optional<std::string> text = unitsAttribute(file, path, name, problems);
  if (!text) return std::nullopt;
  if (text->empty()) {
    double lowest = std::numeric_limits<double>::infinity(), highest = -lowest;
    for (const double v : values)
      if (std::isfinite(v)) lowest = std::min(lowest, v), highest = std::max(highest, v);
    // Two turns: a full turn with its overscan (0 … 370°: 6.46) is radians.
    const double turns = 4.0 * std::numbers::pi * (1.0 + 1e-9);
    return AngleUnits{.radians = lowest < highest && lowest >= -turns && highest <= turns,
                      .stated = false};
  }
  const std::optional<bool> radians = unitsAreRadians(*text);
  if (!radians) {
    problems.push_back(message(path, name,
                               "units attribute '" + *text +
                                   "' is neither degrees (deg, degree, degrees) nor radians "
                                   "(rad, radian, radians)"));
    return std::nullopt;
  }
  return AngleUnits{.radians = *radians, .stated = true};
}

}  // namespace tomolive::hdf5

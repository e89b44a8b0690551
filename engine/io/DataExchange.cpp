#include "io/DataExchange.h"

#include "io/Hdf5Attributes.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <filesystem>
#include <new>
#include <numbers>
#include <optional>
#include <sstream>
#include <system_error>

#include "io/Hdf5Handles.h"

namespace tomolive {
namespace {

// Larger reads are refused with a message instead of failing in the allocator (64 GiB of float).
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 34;

constexpr const char* kExchange = "/exchange";
constexpr const char* kData = "/exchange/data";
constexpr const char* kWhite = "/exchange/data_white";
constexpr const char* kDark = "/exchange/data_dark";
constexpr const char* kTheta = "/exchange/theta";
constexpr const char* kGroundTruth = "/exchange/ground_truth";
constexpr const char* kCountTypes = "uint8, uint16, uint32, float32 or float64";
constexpr const char* kFloatTypes = "float32 or float64";

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

bool isCountType(const std::string& type) {
  return type == "uint8" || type == "uint16" || type == "uint32" || type == "float32" ||
         type == "float64";
}

bool isFloatType(const std::string& type) { return type == "float32" || type == "float64"; }

template <typename T>
std::vector<T> allocate(std::uint64_t count, const std::string& file, const std::string& name) {
  try {
    return std::vector<T>(count);
  } catch (const std::bad_alloc&) {
    fail(file, name, "cannot allocate " + std::to_string(count * sizeof(T)) + " bytes");
  }
}

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

// Closes (and so flushes) a file being written, reporting failure instead of swallowing it.
void closeWritten(Hdf5File& file, const std::string& path) {
  if (!file.close()) fail(path, "/", withHdf5Detail("closing (flushing) the file failed"));
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

struct Probe {
  std::string name;
  std::vector<hsize_t> dims;
  std::string type;
};

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

// The dataset's shape and type; nullopt (with a problem when required) if it is absent.
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
  return describe(dataset.get(), path, name);
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

// Reads [begin, begin + count) along `axis` and everything along the other axes.
template <typename T>
std::vector<T> readSlab(hid_t file, const std::string& path, const Probe& probe, std::size_t axis,
                        hsize_t begin, hsize_t count, hid_t memoryType) {
  std::vector<hsize_t> start(probe.dims.size(), 0);
  std::vector<hsize_t> counts = probe.dims;
  start[axis] = begin;
  counts[axis] = count;
  const std::uint64_t elements = checkedElementCount(counts, path, probe.name);
  std::vector<T> values = allocate<T>(elements, path, probe.name);
  if (elements == 0) return values;

  const Hdf5Dataset dataset = openDataset(file, path, probe.name);
  Hdf5Dataspace fileSpace(H5Dget_space(dataset.get()));
  if (!fileSpace) fail(path, probe.name, withHdf5Detail("cannot read the dataspace"));
  if (H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, start.data(), nullptr, counts.data(),
                          nullptr) < 0) {
    fail(path, probe.name, withHdf5Detail("cannot select " + shapeText(counts) + " values"));
  }
  Hdf5Dataspace memorySpace(
      H5Screate_simple(static_cast<int>(counts.size()), counts.data(), nullptr));
  if (!memorySpace) fail(path, probe.name, withHdf5Detail("cannot describe the memory buffer"));
  if (H5Dread(dataset.get(), memoryType, memorySpace.get(), fileSpace.get(), H5P_DEFAULT,
              values.data()) < 0) {
    fail(path, probe.name,
         withHdf5Detail("reading " + shapeText(counts) + " values from index " +
                        std::to_string(begin) + " along axis " + std::to_string(axis) + " failed"));
  }
  return values;
}

std::string readStringAttribute(hid_t attribute, hid_t type, const std::string& path,
                                const std::string& objectName, const std::string& where) {
  const htri_t variable = H5Tis_variable_str(type);
  if (variable < 0) fail(path, objectName, withHdf5Detail(where + ": cannot read the string type"));
  Hdf5Datatype memoryType(H5Tcopy(type));
  if (!memoryType) fail(path, objectName, withHdf5Detail(where + ": cannot copy the string type"));
  if (variable > 0) {
    char* value = nullptr;
    if (H5Aread(attribute, memoryType.get(), &value) < 0) {
      fail(path, objectName, withHdf5Detail(where + ": cannot read the string"));
    }
    std::string text = value != nullptr ? value : "";
    H5free_memory(value);
    return text;
  }
  std::string text(H5Tget_size(type) + 1, '\0');
  if (H5Aread(attribute, memoryType.get(), text.data()) < 0) {
    fail(path, objectName, withHdf5Detail(where + ": cannot read the string"));
  }
  text.resize(text.find('\0'));
  while (!text.empty() && text.back() == ' ') text.pop_back();  // space-padded strings
  return text;
}

Attribute readAttribute(hid_t object, const std::string& path, const std::string& objectName,
                        const std::string& key) {
  const std::string where = "attribute '" + key + "'";
  Hdf5Attribute attribute(H5Aopen(object, key.c_str(), H5P_DEFAULT));
  if (!attribute) fail(path, objectName, withHdf5Detail(where + ": cannot open"));
  Hdf5Datatype type(H5Aget_type(attribute.get()));
  if (!type) fail(path, objectName, withHdf5Detail(where + ": cannot read the type"));
  Hdf5Dataspace space(H5Aget_space(attribute.get()));
  if (!space) fail(path, objectName, withHdf5Detail(where + ": cannot read the dataspace"));
  const H5S_class_t spaceClass = H5Sget_simple_extent_type(space.get());
  const hssize_t points = H5Sget_simple_extent_npoints(space.get());
  if (spaceClass == H5S_NO_CLASS || points < 0) {
    fail(path, objectName, withHdf5Detail(where + ": cannot read the shape"));
  }
  const H5T_class_t typeClass = H5Tget_class(type.get());
  if (typeClass == H5T_STRING) {
    if (spaceClass != H5S_SCALAR && points != 1) {
      fail(path, objectName,
           where + " holds " + std::to_string(points) + " strings; one is supported");
    }
    return readStringAttribute(attribute.get(), type.get(), path, objectName, where);
  }
  if (typeClass != H5T_INTEGER && typeClass != H5T_FLOAT) {
    fail(path, objectName, where + " has unsupported type " + typeName(type.get()));
  }
  if (spaceClass == H5S_SCALAR && typeClass == H5T_INTEGER) {
    std::int64_t value = 0;
    if (H5Aread(attribute.get(), H5T_NATIVE_INT64, &value) < 0) {
      fail(path, objectName, withHdf5Detail(where + ": cannot read the integer"));
    }
    return value;
  }
  if (spaceClass == H5S_SCALAR) {
    double value = 0.0;
    if (H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value) < 0) {
      fail(path, objectName, withHdf5Detail(where + ": cannot read the number"));
    }
    return value;
  }
  std::vector<double> values =
      allocate<double>(static_cast<std::uint64_t>(points), path, objectName + " " + where);
  if (points > 0 && H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, values.data()) < 0) {
    fail(path, objectName, withHdf5Detail(where + ": cannot read the numbers"));
  }
  return values;
}

std::map<std::string, Attribute> readAttributes(hid_t object, const std::string& path,
                                                const std::string& objectName) {
  std::vector<std::string> names;
  const auto collect = [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
    try {
      static_cast<std::vector<std::string>*>(out)->emplace_back(name);
      return 0;
    } catch (...) {
      return -1;
    }
  };
  if (H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names) < 0) {
    fail(path, objectName, withHdf5Detail("cannot list the attributes"));
  }
  std::map<std::string, Attribute> attributes;
  for (const std::string& key : names) {
    attributes.emplace(key, readAttribute(object, path, objectName, key));
  }
  return attributes;
}

void writeAttributes(hid_t object, const std::string& path, const std::string& objectName,
                     const std::map<std::string, Attribute>& attributes) {
  for (const auto& [key, value] : attributes)
    writeHdf5Attribute(object, path, objectName, key, value);
}

Hdf5Object openObject(hid_t file, const std::string& path, const std::string& name) {
  Hdf5Object object(H5Oopen(file, name.c_str(), H5P_DEFAULT));
  if (!object) fail(path, name, withHdf5Detail("cannot open"));
  return object;
}

// --- validation of a scan's layout ---------------------------------------------------------

struct ScanLayout {
  int projections = 0, rows = 0, columns = 0, flats = 0, darks = 0;
  bool frameKnown = false;  // rows and columns come from a well-formed /exchange/data
  std::optional<Probe> data, white, dark, theta, groundTruth;  // set only when usable
  std::vector<double> thetaValues;                             // as stored
  bool thetaInRadians = false;
  int groundTruthSize = 0;
};

// Runs one check, turning an unexpected HDF5 failure into a listed problem.
template <typename Check>
void collect(std::vector<std::string>& problems, Check&& check) {
  try {
    check();
  } catch (const DataExchangeError& error) {
    problems.emplace_back(error.what());
  }
}

void checkData(hid_t file, const std::string& path, ScanLayout& layout,
               std::vector<std::string>& problems) {
  std::optional<Probe> data = probe(file, path, kData, true, problems);
  if (!data) return;
  const bool typeOk = checkType(*data, path, isCountType, kCountTypes, problems);
  if (!checkRank(*data, path, 3, "projection x row x column", problems)) return;
  layout.projections = static_cast<int>(data->dims[0]);
  layout.rows = static_cast<int>(data->dims[1]);
  layout.columns = static_cast<int>(data->dims[2]);
  if (layout.rows == 0 || layout.columns == 0) {
    problems.push_back(
        message(path, kData, "empty detector frames (shape " + shapeText(data->dims) + ")"));
    return;
  }
  layout.frameKnown = true;
  if (layout.projections == 0) {
    problems.push_back(
        message(path, kData, "holds no projections (shape " + shapeText(data->dims) + ")"));
    return;
  }
  if (typeOk) layout.data = std::move(data);
}

// Flats or darks: frame × row × column with /exchange/data's frame shape.
std::optional<Probe> checkFrames(hid_t file, const std::string& path, const std::string& name,
                                 bool required, const ScanLayout& layout, int& count,
                                 std::vector<std::string>& problems) {
  std::optional<Probe> frames = probe(file, path, name, required, problems);
  if (!frames) return std::nullopt;
  bool ok = checkType(*frames, path, isCountType, kCountTypes, problems);
  if (!checkRank(*frames, path, 3, "frame x row x column", problems)) return std::nullopt;
  count = static_cast<int>(frames->dims[0]);
  if (layout.frameKnown && (frames->dims[1] != static_cast<hsize_t>(layout.rows) ||
                            frames->dims[2] != static_cast<hsize_t>(layout.columns))) {
    problems.push_back(message(path, name,
                               "frames are " + shapeText({frames->dims[1], frames->dims[2]}) +
                                   " (shape " + shapeText(frames->dims) + "), but " + kData +
                                   " frames are " + std::to_string(layout.rows) + "x" +
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

// True for radians, false for degrees, nullopt for a unit this reader does not know.
std::optional<bool> unitsAreRadians(std::string units) {
  std::transform(units.begin(), units.end(), units.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!units.empty() && std::isspace(static_cast<unsigned char>(units.back()))) units.pop_back();
  if (units.empty() || units == "deg" || units == "degree" || units == "degrees") return false;
  if (units == "rad" || units == "radian" || units == "radians") return true;
  return std::nullopt;
}

void checkTheta(hid_t file, const std::string& path, ScanLayout& layout,
                std::vector<std::string>& problems) {
  std::optional<Probe> theta = probe(file, path, kTheta, true, problems);
  if (!theta) return;
  const bool typeOk = checkType(*theta, path, isFloatType, kFloatTypes, problems);
  const bool rankOk = checkRank(*theta, path, 1, "one angle per projection", problems);
  bool ok = typeOk && rankOk;
  if (rankOk && layout.frameKnown && theta->dims[0] != static_cast<hsize_t>(layout.projections)) {
    problems.push_back(message(path, kTheta,
                               "holds " + std::to_string(theta->dims[0]) + " angles, but " + kData +
                                   " holds " + std::to_string(layout.projections) +
                                   " projections"));
    ok = false;
  }

  const Hdf5Dataset dataset = openDataset(file, path, kTheta);
  const htri_t hasUnits = H5Aexists(dataset.get(), "units");
  if (hasUnits < 0) fail(path, kTheta, withHdf5Detail("cannot look up the units attribute"));
  if (hasUnits > 0) {
    const Attribute units = readAttribute(dataset.get(), path, kTheta, "units");
    const auto* text = std::get_if<std::string>(&units);
    const std::optional<bool> radians = text ? unitsAreRadians(*text) : std::nullopt;
    if (!text) {
      problems.push_back(message(path, kTheta, "units attribute is not a string"));
      ok = false;
    } else if (!radians) {
      problems.push_back(message(path, kTheta,
                                 "units attribute '" + *text +
                                     "' is neither degrees (deg, degree, degrees) nor radians "
                                     "(rad, radian, radians)"));
      ok = false;
    } else {
      layout.thetaInRadians = *radians;
    }
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

ScanLayout checkLayout(hid_t file, const std::string& path, std::vector<std::string>& problems) {
  ScanLayout layout;
  collect(problems, [&] { checkData(file, path, layout, problems); });
  collect(problems, [&] {
    layout.white = checkFrames(file, path, kWhite, true, layout, layout.flats, problems);
  });
  collect(problems, [&] {
    layout.dark = checkFrames(file, path, kDark, false, layout, layout.darks, problems);
  });
  collect(problems, [&] { checkTheta(file, path, layout, problems); });
  collect(problems, [&] { checkGroundTruth(file, path, layout, problems); });
  return layout;
}

std::int64_t countNonFinite(hid_t file, const std::string& path, const Probe& frames) {
  if (!isFloatType(frames.type)) return 0;
  std::int64_t count = 0;
  for (hsize_t frame = 0; frame < frames.dims[0]; ++frame) {
    const std::vector<float> values =
        readSlab<float>(file, path, frames, 0, frame, 1, H5T_NATIVE_FLOAT);
    count += std::count_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); });
  }
  return count;
}

std::vector<DatasetInfo> listDatasets(hid_t file, const std::string& path) {
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

// --- writing ---------------------------------------------------------------------------------

// A file written as "<path>.tmp" and renamed over <path> on commit; removed if never committed.
class ReplacingWrite {
 public:
  explicit ReplacingWrite(std::string path) : path_(std::move(path)), temporary_(path_ + ".tmp") {}
  ~ReplacingWrite() {
    if (committed_) return;
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
  ReplacingWrite(const ReplacingWrite&) = delete;
  ReplacingWrite& operator=(const ReplacingWrite&) = delete;

  const std::string& temporary() const { return temporary_; }

  void commit() {
    std::error_code error;
    std::filesystem::rename(temporary_, path_, error);
    if (error) fail(path_, "/", "cannot rename " + temporary_ + " to it: " + error.message());
    committed_ = true;
  }

 private:
  std::string path_;
  std::string temporary_;
  bool committed_ = false;
};

Hdf5File createFile(const std::string& temporary, const std::string& path) {
  Hdf5File file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  if (!file) fail(path, "/", withHdf5Detail("cannot create " + temporary));
  return file;
}

struct Storage {
  hid_t fileType;
  hid_t memoryType;
  bool chunkPerFrame;  // one chunk per projection/frame, shuffled and deflated
};

void writeDataset(hid_t file, const std::string& path, const std::string& name,
                  const std::vector<hsize_t>& dims, const Storage& storage, const void* values,
                  const std::map<std::string, Attribute>& attributes = {}) {
  Hdf5PropertyList linkProperties(H5Pcreate(H5P_LINK_CREATE));
  Hdf5PropertyList createProperties(H5Pcreate(H5P_DATASET_CREATE));
  if (!linkProperties || !createProperties ||
      H5Pset_create_intermediate_group(linkProperties.get(), 1) < 0) {
    fail(path, name, withHdf5Detail("cannot make the dataset properties"));
  }
  std::vector<hsize_t> chunk = dims;
  chunk[0] = 1;
  const std::uint64_t chunkBytes =
      checkedElementCount(chunk, path, name) * H5Tget_size(storage.fileType);
  if (storage.chunkPerFrame && chunkBytes < (std::uint64_t{1} << 32)) {
    if (H5Pset_chunk(createProperties.get(), static_cast<int>(chunk.size()), chunk.data()) < 0) {
      fail(path, name, withHdf5Detail("cannot set chunks of " + shapeText(chunk)));
    }
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0 &&
        (H5Pset_shuffle(createProperties.get()) < 0 ||
         H5Pset_deflate(createProperties.get(), 1) < 0)) {
      fail(path, name, withHdf5Detail("cannot set compression"));
    }
  }
  Hdf5Dataspace space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  if (!space)
    fail(path, name, withHdf5Detail("cannot make a dataspace of shape " + shapeText(dims)));
  Hdf5Dataset dataset(H5Dcreate2(file, name.c_str(), storage.fileType, space.get(),
                                 linkProperties.get(), createProperties.get(), H5P_DEFAULT));
  if (!dataset) fail(path, name, withHdf5Detail("cannot create the dataset"));
  if (H5Dwrite(dataset.get(), storage.memoryType, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0) {
    fail(path, name, withHdf5Detail("cannot write " + shapeText(dims) + " values"));
  }
  writeAttributes(dataset.get(), path, name, attributes);
}

void validate(const ScanToWrite& scan, const std::string& path) {
  const std::string shape = std::to_string(scan.projections) + "x" + std::to_string(scan.rows) +
                            "x" + std::to_string(scan.columns);
  if (scan.projections <= 0 || scan.rows <= 0 || scan.columns <= 0) {
    fail(path, kData, "shape " + shape + " is not positive");
  }
  const std::size_t frame = static_cast<std::size_t>(scan.rows) * scan.columns;
  const std::size_t expected = frame * scan.projections;
  const bool u16 = !scan.dataU16.empty();
  if (u16 == !scan.dataF32.empty()) {
    fail(path, kData,
         u16 ? "both dataU16 and dataF32 hold values; exactly one must"
             : "neither dataU16 nor dataF32 holds values");
  }
  const std::size_t given = u16 ? scan.dataU16.size() : scan.dataF32.size();
  if (given != expected) {
    fail(path, kData,
         std::to_string(given) + " values given for shape " + shape + " (" +
             std::to_string(expected) + " expected)");
  }
  const auto checkFrameCount = [&](const std::vector<float>& frames, const char* name,
                                   bool required) {
    if (frames.size() % frame != 0 || (required && frames.empty())) {
      fail(path, name,
           std::to_string(frames.size()) + " values are not a " + (required ? "positive " : "") +
               "whole number of " + std::to_string(scan.rows) + "x" + std::to_string(scan.columns) +
               " frames");
    }
  };
  checkFrameCount(scan.flats, kWhite, true);
  checkFrameCount(scan.darks, kDark, false);
  if (scan.thetaDeg.size() != static_cast<std::size_t>(scan.projections)) {
    fail(path, kTheta,
         std::to_string(scan.thetaDeg.size()) + " angles given for " +
             std::to_string(scan.projections) + " projections");
  }
  for (std::size_t i = 0; i < scan.thetaDeg.size(); ++i) {
    if (!std::isfinite(scan.thetaDeg[i])) {
      fail(path, kTheta,
           "thetaDeg[" + std::to_string(i) + "] = " + number(scan.thetaDeg[i]) +
               " is not a finite angle");
    }
  }
  if (scan.groundTruth.empty()) return;
  const std::size_t n =
      scan.groundTruthSize > 0 ? static_cast<std::size_t>(scan.groundTruthSize) : 0;
  if (n == 0 || scan.groundTruth.size() != static_cast<std::size_t>(scan.rows) * n * n) {
    fail(path, kGroundTruth,
         std::to_string(scan.groundTruth.size()) + " values given for " +
             std::to_string(scan.rows) + " slices of " + std::to_string(scan.groundTruthSize) +
             "x" + std::to_string(scan.groundTruthSize));
  }
}

hsize_t frameCount(const std::vector<float>& frames, const ScanToWrite& scan) {
  return frames.size() / (static_cast<std::size_t>(scan.rows) * scan.columns);
}

}  // namespace

void writeHdf5Attribute(hid_t object, const std::string& path, const std::string& objectName,
                        const std::string& key, const Attribute& value) {
  const std::string where = "attribute '" + key + "'";
  const htri_t exists = H5Aexists(object, key.c_str());
  if (exists < 0 || (exists > 0 && H5Adelete(object, key.c_str()) < 0)) {
    fail(path, objectName, withHdf5Detail(where + ": cannot replace"));
  }
  Hdf5Datatype stringType;
  Hdf5Dataspace space;
  hid_t fileType = H5I_INVALID_HID;
  hid_t memoryType = H5I_INVALID_HID;
  const void* buffer = nullptr;
  const char* text = nullptr;
  if (const auto* string = std::get_if<std::string>(&value)) {
    stringType = Hdf5Datatype(H5Tcopy(H5T_C_S1));
    if (!stringType || H5Tset_size(stringType.get(), H5T_VARIABLE) < 0 ||
        H5Tset_cset(stringType.get(), H5T_CSET_UTF8) < 0) {
      fail(path, objectName, withHdf5Detail(where + ": cannot make the string type"));
    }
    fileType = memoryType = stringType.get();
    space = Hdf5Dataspace(H5Screate(H5S_SCALAR));
    text = string->c_str();
    buffer = &text;
  } else if (const auto* real = std::get_if<double>(&value)) {
    fileType = H5T_IEEE_F64LE;
    memoryType = H5T_NATIVE_DOUBLE;
    space = Hdf5Dataspace(H5Screate(H5S_SCALAR));
    buffer = real;
  } else if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    fileType = H5T_STD_I64LE;
    memoryType = H5T_NATIVE_INT64;
    space = Hdf5Dataspace(H5Screate(H5S_SCALAR));
    buffer = integer;
  } else {
    const auto& values = std::get<std::vector<double>>(value);
    const hsize_t count = values.size();
    fileType = H5T_IEEE_F64LE;
    memoryType = H5T_NATIVE_DOUBLE;
    space =
        Hdf5Dataspace(values.empty() ? H5Screate(H5S_NULL) : H5Screate_simple(1, &count, nullptr));
    buffer = values.empty() ? nullptr : values.data();
  }
  if (!space) fail(path, objectName, withHdf5Detail(where + ": cannot make the dataspace"));
  Hdf5Attribute attribute(
      H5Acreate2(object, key.c_str(), fileType, space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attribute) fail(path, objectName, withHdf5Detail(where + ": cannot create"));
  if (buffer != nullptr && H5Awrite(attribute.get(), memoryType, buffer) < 0) {
    fail(path, objectName, withHdf5Detail(where + ": cannot write"));
  }
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
  info.projections = layout.projections;
  info.rows = layout.rows;
  info.columns = layout.columns;
  info.flats = layout.flats;
  info.darks = layout.darks;
  info.thetaInRadians = layout.thetaInRadians;
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
    collect(info.problems,
            [&] { info.nonFiniteData += countNonFinite(file.get(), path, **frames); });
  }
  return info;
}

RawScan readDataExchange(const std::string& path, RowRange range) {
  const Hdf5ErrorPrintingOff quiet;
  const Hdf5File file = openFile(path, H5F_ACC_RDONLY);
  std::vector<std::string> problems;
  const ScanLayout layout = checkLayout(file.get(), path, problems);
  if (!problems.empty()) throw DataExchangeError(problems.front());

  const int end = range.end == -1 ? layout.rows : range.end;
  if (range.begin < 0 || range.begin >= end || end > layout.rows) {
    fail(path, kData,
         "row range [" + std::to_string(range.begin) + ", " + std::to_string(range.end) +
             ") is empty or outside the detector rows [0, " + std::to_string(layout.rows) + ")");
  }
  const auto begin = static_cast<hsize_t>(range.begin);
  const auto count = static_cast<hsize_t>(end - range.begin);

  RawScan scan;
  scan.projections = layout.projections;
  scan.rows = end - range.begin;
  scan.columns = layout.columns;
  scan.firstRow = range.begin;
  scan.data = readSlab<float>(file.get(), path, *layout.data, 1, begin, count, H5T_NATIVE_FLOAT);
  scan.flats = readSlab<float>(file.get(), path, *layout.white, 1, begin, count, H5T_NATIVE_FLOAT);
  if (layout.dark) {
    scan.darks = readSlab<float>(file.get(), path, *layout.dark, 1, begin, count, H5T_NATIVE_FLOAT);
  }
  const double toRadians = layout.thetaInRadians ? 1.0 : std::numbers::pi / 180.0;
  scan.thetaRad.reserve(layout.thetaValues.size());
  for (const double theta : layout.thetaValues) scan.thetaRad.push_back(theta * toRadians);
  if (layout.groundTruth) {
    scan.groundTruth =
        readSlab<float>(file.get(), path, *layout.groundTruth, 0, begin, count, H5T_NATIVE_FLOAT);
    scan.groundTruthSize = layout.groundTruthSize;
  }
  const Hdf5Object exchange = openObject(file.get(), path, kExchange);
  scan.attributes = readAttributes(exchange.get(), path, kExchange);
  return scan;
}

void writeDataExchange(const std::string& path, const ScanToWrite& scan) {
  validate(scan, path);
  const Hdf5ErrorPrintingOff quiet;
  ReplacingWrite write(path);
  Hdf5File file = createFile(write.temporary(), path);
  const auto projections = static_cast<hsize_t>(scan.projections);
  const auto rows = static_cast<hsize_t>(scan.rows);
  const auto columns = static_cast<hsize_t>(scan.columns);
  const Storage floatFrames{H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, true};

  if (!scan.dataU16.empty()) {
    writeDataset(file.get(), path, kData, {projections, rows, columns},
                 {H5T_STD_U16LE, H5T_NATIVE_UINT16, true}, scan.dataU16.data());
  } else {
    writeDataset(file.get(), path, kData, {projections, rows, columns}, floatFrames,
                 scan.dataF32.data());
  }
  writeDataset(file.get(), path, kWhite, {frameCount(scan.flats, scan), rows, columns}, floatFrames,
               scan.flats.data());
  if (!scan.darks.empty()) {
    writeDataset(file.get(), path, kDark, {frameCount(scan.darks, scan), rows, columns},
                 floatFrames, scan.darks.data());
  }
  writeDataset(file.get(), path, kTheta, {projections}, {H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, false},
               scan.thetaDeg.data(), {{"units", std::string("degrees")}});
  if (!scan.groundTruth.empty()) {
    const auto n = static_cast<hsize_t>(scan.groundTruthSize);
    writeDataset(file.get(), path, kGroundTruth, {rows, n, n},
                 {H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, false}, scan.groundTruth.data());
  }
  {
    const Hdf5Object exchange = openObject(file.get(), path, kExchange);
    writeAttributes(exchange.get(), path, kExchange, scan.attributes);
  }
  closeWritten(file, path);
  write.commit();
}

void writeReconstruction(const std::string& path, const Reconstruction& recon,
                         const std::string& dataset) {
  if (dataset.size() < 2 || dataset.front() != '/') {
    fail(path, dataset, "dataset name must be an absolute path such as /exchange/recon");
  }
  const std::size_t expected = static_cast<std::size_t>(std::max(recon.slices, 0)) *
                               std::max(recon.size, 0) * std::max(recon.size, 0);
  if (recon.slices <= 0 || recon.size <= 0 || recon.volume.size() != expected) {
    fail(path, dataset,
         std::to_string(recon.volume.size()) + " values given for " + std::to_string(recon.slices) +
             " slices of " + std::to_string(recon.size) + "x" + std::to_string(recon.size));
  }
  const Hdf5ErrorPrintingOff quiet;
  ReplacingWrite write(path);
  Hdf5File file;
  std::error_code error;
  if (std::filesystem::exists(path, error)) {
    if (H5Fis_hdf5(path.c_str()) <= 0) {
      fail(path, "/", "exists and is not an HDF5 file; refusing to overwrite it");
    }
    std::filesystem::copy_file(path, write.temporary(),
                               std::filesystem::copy_options::overwrite_existing, error);
    if (error) fail(path, "/", "cannot copy to " + write.temporary() + ": " + error.message());
    file = Hdf5File(H5Fopen(write.temporary().c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    if (!file) fail(path, "/", withHdf5Detail("cannot open a copy for writing"));
    if (linkExists(file.get(), path, dataset) &&
        H5Ldelete(file.get(), dataset.c_str(), H5P_DEFAULT) < 0) {
      fail(path, dataset, withHdf5Detail("cannot replace the existing dataset"));
    }
  } else {
    file = createFile(write.temporary(), path);
  }
  const auto slices = static_cast<hsize_t>(recon.slices);
  const auto size = static_cast<hsize_t>(recon.size);
  writeDataset(file.get(), path, dataset, {slices, size, size},
               {H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, false}, recon.volume.data(), recon.attributes);
  closeWritten(file, path);
  write.commit();
}

Reconstruction readReconstruction(const std::string& path, const std::string& dataset) {
  const Hdf5ErrorPrintingOff quiet;
  const Hdf5File file = openFile(path, H5F_ACC_RDONLY);
  std::vector<std::string> problems;
  const std::optional<Probe> volume = probe(file.get(), path, dataset, true, problems);
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
  recon.attributes = readAttributes(handle.get(), path, dataset);
  return recon;
}

}  // namespace tomolive

#pragma once
// Reading HDF5 scan files, shared by the Data Exchange and NeXus NXtomo readers (io unit only).
//
// - Every failure is a DataExchangeError reading "<file>: <dataset>: <problem>" (fail, message).
// - probe/checkType/checkRank describe and judge a dataset without reading it, appending each
//   problem to a list, so that inspect* can report every problem and read* the first.
// - readBlock/readSlab read a hyperslab converted to the memory type, refusing selections over
//   2^34 values (kMaxElements) with a message instead of failing in the allocator.
// Callers silence HDF5's own error printing (Hdf5ErrorPrintingOff) for the whole read.
#include <hdf5.h>

#include <cstdint>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "io/DataExchange.h"
#include "io/Hdf5Handles.h"

namespace tomolive::hdf5 {

// Larger reads are refused with a message instead of failing in the allocator (64 GiB of float).
inline constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 34;
inline constexpr const char* kCountTypes = "an integer type or float16, float32 or float64";
inline constexpr const char* kNumberTypes = "an integer or float type";
inline constexpr const char* kFloatTypes = "float32 or float64";

std::string message(const std::string& file, const std::string& dataset,
                    const std::string& problem);
[[noreturn]] void fail(const std::string& file, const std::string& dataset,
                       const std::string& problem);

std::string number(double value);
std::string shapeText(const std::vector<hsize_t>& dims);
/// "uint16", "float32", "int8", "string", "compound", ...
std::string typeName(hid_t type);
bool isCountType(const std::string& type);
bool isFloatType(const std::string& type);
bool isIntegerType(const std::string& type);
bool isNumberType(const std::string& type);  ///< integer or float

std::uint64_t checkedElementCount(const std::vector<hsize_t>& dims, const std::string& file,
                                  const std::string& name);

/// The first detector row and the row count a RowRange selects on a detector of `rows` rows;
/// fails naming `dataset` when the range is empty or outside it.
std::pair<hsize_t, hsize_t> selectedRows(RowRange range, int rows, const std::string& path,
                                         const std::string& dataset);

/// Opens an existing file, failing with openExistingHdf5's reason on dataset "/".
Hdf5File openFile(const std::string& path, unsigned flags);
/// Whether every component of `name` exists (H5Lexists alone needs the parents to exist).
bool linkExists(hid_t file, const std::string& path, const std::string& name);
Hdf5Dataset openDataset(hid_t file, const std::string& path, const std::string& name);
Hdf5Object openObject(hid_t file, const std::string& path, const std::string& name);

/// A dataset's name, shape and type name.
struct Probe {
  std::string name;
  std::vector<hsize_t> dims;
  std::string type;
};

Probe describe(hid_t dataset, const std::string& path, const std::string& name);
/// Why a dataset cannot be decoded here: the first of its filters this HDF5 lacks (a plugin
/// filter such as LZF or bitshuffle), named with its id and what to do; none if all are there.
std::optional<std::string> missingFilter(hid_t dataset);
/// The dataset's shape and type; nullopt (with a problem when required) if it is absent, or
/// with a problem if it needs a filter this HDF5 lacks.
std::optional<Probe> probe(hid_t file, const std::string& path, const std::string& name,
                           bool required, std::vector<std::string>& problems);
bool checkType(const Probe& probe, const std::string& path, bool (*accepted)(const std::string&),
               const char* acceptedText, std::vector<std::string>& problems);
bool checkRank(const Probe& probe, const std::string& path, std::size_t rank, const char* axes,
               std::vector<std::string>& problems);

/// A stack of raw-count frames (frame × row × column, `axes` names them): its shape and whether
/// it can be read.
struct FrameStack {
  std::optional<Probe> usable;  ///< set when present, of a count type, rank 3, non-empty
  bool frameKnown = false;      ///< rows and columns are known (rank 3, non-empty frames)
  int frames = 0, rows = 0, columns = 0;
};
/// `noFrames` is the problem when the stack holds no frame (e.g. "holds no projections").
FrameStack checkFrameStack(hid_t file, const std::string& path, const std::string& name,
                           const char* axes, const char* noFrames,
                           std::vector<std::string>& problems);

/// True for radians, false for degrees (or no unit), nullopt for a unit this reader does not know.
std::optional<bool> unitsAreRadians(std::string units);
/// How a dataset of angles is to be read.
struct AngleUnits {
  bool radians = false;
  bool stated = true;  ///< from a units attribute; false: inferred from the values
};
/// The unit of a dataset of angles holding `values`, from its `units` attribute; a problem (and
/// nullopt) when that is not a string or names neither degrees nor radians. Without the
/// attribute the values decide: radians when the finite ones all lie within ±4π and are not all
/// equal (read as degrees they would span at most 25.1°: no tomographic scan; a full turn with
/// overscan in radians, 0 … 6.46, is one), else degrees (the
/// Data Exchange and NeXus convention).
std::optional<AngleUnits> angleUnits(hid_t file, const std::string& path, const std::string& name,
                                     std::span<const double> values,
                                     std::vector<std::string>& problems);

/// Micrometres in one unit of a dataset of lengths, from its `units` attribute (nm, um, µm,
/// micron(s), micrometre(s), micrometer(s), mm, cm, m; case ignored): `whenAbsent` without one; 0
/// and a problem when it is not a string or names no known length unit.
double lengthUnitInMicrometres(hid_t file, const std::string& path, const std::string& name,
                               double whenAbsent, std::vector<std::string>& problems);

/// NaN/Inf values in frames [first, first + count) of a frame × row × column dataset (0 for
/// integer types), read one frame at a time.
std::int64_t countNonFinite(hid_t file, const std::string& path, const Probe& frames, hsize_t first,
                            hsize_t count);
/// The absolute names of every object reachable by hard links from the root, in name order.
std::vector<std::string> hardLinkNames(hid_t file, const std::string& path);
/// Every dataset reachable by hard links, in name order.
std::vector<DatasetInfo> listDatasets(hid_t file, const std::string& path);

template <typename T>
std::vector<T> allocate(std::uint64_t count, const std::string& file, const std::string& name) {
  try {
    return std::vector<T>(count);
  } catch (const std::bad_alloc&) {
    fail(file, name, "cannot allocate " + std::to_string(count * sizeof(T)) + " bytes");
  }
}

/// Reads the hyperslab start + counts (one entry per axis), converted to memoryType.
template <typename T>
std::vector<T> readBlock(hid_t file, const std::string& path, const Probe& probe,
                         const std::vector<hsize_t>& start, const std::vector<hsize_t>& counts,
                         hid_t memoryType) {
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
         withHdf5Detail("reading " + shapeText(counts) + " values from " + shapeText(start) +
                        " failed"));
  }
  return values;
}

/// Reads [begin, begin + count) along `axis` and everything along the other axes.
template <typename T>
std::vector<T> readSlab(hid_t file, const std::string& path, const Probe& probe, std::size_t axis,
                        hsize_t begin, hsize_t count, hid_t memoryType) {
  std::vector<hsize_t> start(probe.dims.size(), 0);
  std::vector<hsize_t> counts = probe.dims;
  start[axis] = begin;
  counts[axis] = count;
  return readBlock<T>(file, path, probe, start, counts, memoryType);
}

/// Runs one check, turning an unexpected HDF5 failure into a listed problem.
template <typename Check>
void collect(std::vector<std::string>& problems, Check&& check) {
  try {
    check();
  } catch (const DataExchangeError& error) {
    problems.emplace_back(error.what());
  }
}

}  // namespace tomolive::hdf5

#include "nn/TomoGanModel.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <set>
#include <sstream>
#include <system_error>

#include "io/Hdf5Handles.h"

namespace tomolive {
namespace {

constexpr const char* kFormat = "tomolive-tomogan";
constexpr std::int64_t kFormatVersion = 1;

[[noreturn]] void fail(const std::string& file, const std::string& dataset,
                       const std::string& problem) {
  throw TomoGanModelError(file + ": " + dataset + ": " + problem);
}

std::string shapeText(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return "scalar";
  std::string text = "(";
  for (std::size_t i = 0; i < dims.size(); ++i)
    text += (i > 0 ? ", " : "") + std::to_string(dims[i]);
  return text + ")";
}

std::string number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

Hdf5File openModelFile(const std::string& path) {
  std::string problem;
  Hdf5File file = openExistingHdf5(path, H5F_ACC_RDONLY, problem);
  if (!file) fail(path, "/", problem);
  return file;
}

// A root attribute, opened after checking it exists and is a scalar of the expected class.
Hdf5Attribute openRootAttribute(hid_t file, const std::string& path, const char* name,
                                H5T_class_t expected, const char* expectedText) {
  const std::string where = std::string("attribute '") + name + "'";
  const htri_t exists = H5Aexists(file, name);
  if (exists < 0) fail(path, "/", withHdf5Detail(where + ": cannot look it up"));
  if (exists == 0) fail(path, "/", where + " is missing");
  Hdf5Attribute attribute(H5Aopen(file, name, H5P_DEFAULT));
  if (!attribute) fail(path, "/", withHdf5Detail(where + ": cannot open"));
  const Hdf5Dataspace space(H5Aget_space(attribute.get()));
  if (!space || H5Sget_simple_extent_npoints(space.get()) != 1) {
    fail(path, "/", where + " must hold a single value");
  }
  const Hdf5Datatype type(H5Aget_type(attribute.get()));
  if (!type) fail(path, "/", withHdf5Detail(where + ": cannot read the type"));
  const H5T_class_t found = H5Tget_class(type.get());
  // Integers are accepted where a float is expected (HDF5 converts them exactly enough).
  const bool numericOk = expected == H5T_FLOAT && found == H5T_INTEGER;
  if (found != expected && !numericOk) fail(path, "/", where + " must be " + expectedText);
  return attribute;
}

std::string readStringAttribute(hid_t file, const std::string& path, const char* name) {
  const std::string where = std::string("attribute '") + name + "'";
  const Hdf5Attribute attribute = openRootAttribute(file, path, name, H5T_STRING, "a string");
  const Hdf5Datatype type(H5Aget_type(attribute.get()));
  const htri_t variable = H5Tis_variable_str(type.get());
  if (variable < 0) fail(path, "/", withHdf5Detail(where + ": cannot read the string type"));
  const Hdf5Datatype memoryType(H5Tcopy(type.get()));
  if (!memoryType) fail(path, "/", withHdf5Detail(where + ": cannot copy the string type"));
  if (variable > 0) {
    char* text = nullptr;
    if (H5Aread(attribute.get(), memoryType.get(), &text) < 0 || text == nullptr) {
      fail(path, "/", withHdf5Detail(where + ": cannot read the string"));
    }
    std::string value(text);
    H5free_memory(text);
    return value;
  }
  std::string value(H5Tget_size(type.get()), '\0');
  if (H5Aread(attribute.get(), memoryType.get(), value.data()) < 0) {
    fail(path, "/", withHdf5Detail(where + ": cannot read the string"));
  }
  value.resize(value.find('\0') == std::string::npos ? value.size() : value.find('\0'));
  return value;
}

std::int64_t readIntegerAttribute(hid_t file, const std::string& path, const char* name) {
  const Hdf5Attribute attribute = openRootAttribute(file, path, name, H5T_INTEGER, "an integer");
  std::int64_t value = 0;
  if (H5Aread(attribute.get(), H5T_NATIVE_INT64, &value) < 0) {
    fail(path, "/",
         withHdf5Detail(std::string("attribute '") + name + "': cannot read the integer"));
  }
  return value;
}

double readFloatAttribute(hid_t file, const std::string& path, const char* name) {
  const Hdf5Attribute attribute = openRootAttribute(file, path, name, H5T_FLOAT, "a number");
  double value = 0.0;
  if (H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value) < 0) {
    fail(path, "/",
         withHdf5Detail(std::string("attribute '") + name + "': cannot read the number"));
  }
  if (!std::isfinite(value)) {
    fail(path, "/", std::string("attribute '") + name + "' is " + number(value) + ", not finite");
  }
  return value;
}

// Reads a float dataset of exactly the expected shape and rejects NaN/Inf.
std::vector<float> readTensor(hid_t file, const std::string& path, const std::string& name,
                              const std::vector<hsize_t>& expected) {
  const htri_t exists = H5Lexists(file, name.c_str(), H5P_DEFAULT);
  if (exists < 0) fail(path, name, withHdf5Detail("cannot look up the dataset"));
  if (exists == 0) fail(path, name, "missing (the model needs every layer conv0 … conv15)");
  const Hdf5Dataset dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT));
  if (!dataset) fail(path, name, withHdf5Detail("cannot open the dataset"));
  const Hdf5Datatype type(H5Dget_type(dataset.get()));
  if (!type) fail(path, name, withHdf5Detail("cannot read the type"));
  if (H5Tget_class(type.get()) != H5T_FLOAT) fail(path, name, "must hold floating-point values");
  const Hdf5Dataspace space(H5Dget_space(dataset.get()));
  if (!space) fail(path, name, withHdf5Detail("cannot read the dataspace"));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail(path, name, withHdf5Detail("cannot read the rank"));
  std::vector<hsize_t> dims(rank);
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) {
    fail(path, name, withHdf5Detail("cannot read the shape"));
  }
  if (dims != expected) {
    fail(path, name, "has shape " + shapeText(dims) + ", expected " + shapeText(expected));
  }
  hsize_t count = 1;
  for (const hsize_t d : dims) count *= d;
  std::vector<float> values(count);
  if (H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
    fail(path, name, withHdf5Detail("cannot read the values"));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      fail(path, name, "value " + std::to_string(i) + " is " + number(values[i]) + ", not finite");
    }
  }
  return values;
}

// Rejects root members that the architecture does not know (another network's weights).
void checkNoUnknownMembers(hid_t file, const std::string& path) {
  std::set<std::string> known;
  for (const TomoGanLayerShape& layer : tomoGanArchitecture()) known.insert(layer.name);
  std::vector<std::string> members;
  const auto collect = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  if (H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &members) < 0) {
    fail(path, "/", withHdf5Detail("cannot list the layers"));
  }
  for (const std::string& member : members) {
    if (known.count(member) == 0) {
      fail(path, "/" + member, "unexpected member (the generator has layers conv0 … conv15)");
    }
  }
}

}  // namespace

const std::array<TomoGanLayerShape, 16>& tomoGanArchitecture() {
  static const std::array<TomoGanLayerShape, 16> layers{{
      {"conv0", 3, 8, 1, 0},
      {"conv1", 8, 32, 3, 0},
      {"conv2", 32, 32, 3, 0},
      {"conv3", 32, 64, 3, 1},
      {"conv4", 64, 64, 3, 1},
      {"conv5", 64, 128, 3, 2},
      {"conv6", 128, 128, 3, 2},
      {"conv7", 128, 128, 3, 3},
      {"conv8", 256, 64, 3, 2},
      {"conv9", 64, 64, 3, 2},
      {"conv10", 128, 32, 3, 1},
      {"conv11", 32, 32, 3, 1},
      {"conv12", 64, 32, 3, 0},
      {"conv13", 32, 32, 3, 0},
      {"conv14", 32, 16, 1, 0},
      {"conv15", 16, 1, 1, 0},
  }};
  return layers;
}

double tomoGanMultiplyAddsPerPixel(int depth) {
  double total = 0.0;
  for (const TomoGanLayerShape& layer : tomoGanArchitecture()) {
    const int in = layer.name == std::string("conv0") ? depth : layer.inChannels;
    total += double(in) * layer.outChannels * layer.kernel * layer.kernel /
             double(1 << (2 * layer.level));
  }
  return total;
}

TomoGanModel TomoGanModel::load(const std::string& path) {
  const Hdf5ErrorPrintingOff quiet;
  const Hdf5File file = openModelFile(path);
  const hid_t f = file.get();

  const std::string format = readStringAttribute(f, path, "format");
  if (format != kFormat) {
    fail(path, "/", "attribute 'format' is \"" + format + "\", expected \"" + kFormat + "\"");
  }
  const std::int64_t version = readIntegerAttribute(f, path, "format_version");
  if (version != kFormatVersion) {
    fail(path, "/",
         "attribute 'format_version' is " + std::to_string(version) + ", this build reads " +
             std::to_string(kFormatVersion));
  }

  TomoGanModel model;
  model.path_ = path;
  const std::int64_t depth = readIntegerAttribute(f, path, "depth");
  if (depth < 1 || depth > 64) {
    fail(path, "/", "attribute 'depth' is " + std::to_string(depth) + ", expected 1 … 64 slices");
  }
  model.depth_ = int(depth);
  model.inputOffset_ = readFloatAttribute(f, path, "input_offset");
  model.inputScale_ = readFloatAttribute(f, path, "input_scale");
  if (!(model.inputScale_ > 0.0)) {
    fail(path, "/",
         "attribute 'input_scale' is " + number(model.inputScale_) + ", expected a value > 0");
  }
  if (H5Aexists(f, "normalisation") > 0) {
    const std::string normalisation = readStringAttribute(f, path, "normalisation");
    if (normalisation == "per-slice")
      model.normalisation_ = TomoGanNormalisation::perSlice;
    else if (normalisation == "per-slice-mean")
      model.normalisation_ = TomoGanNormalisation::perSliceMean;
    else if (normalisation != "global")
      fail(path, "/",
           "attribute 'normalisation' is \"" + normalisation +
               "\", expected \"global\", \"per-slice\" or \"per-slice-mean\"");
  }
  model.recipeHash_ = readStringAttribute(f, path, "recipe_hash");
  if (H5Aexists(f, "input_method") > 0)
    model.inputMethod_ = readStringAttribute(f, path, "input_method");

  checkNoUnknownMembers(f, path);
  for (TomoGanLayerShape shape : tomoGanArchitecture()) {
    if (shape.name == std::string("conv0")) shape.inChannels = model.depth_;
    const std::string group = std::string("/") + shape.name;
    const htri_t exists = H5Lexists(f, group.c_str(), H5P_DEFAULT);
    if (exists < 0) fail(path, group, withHdf5Detail("cannot look up the layer"));
    if (exists == 0) fail(path, group, "layer missing (the model needs conv0 … conv15)");
    TomoGanLayer layer{shape, {}, {}};
    const auto out = hsize_t(shape.outChannels), in = hsize_t(shape.inChannels),
               k = hsize_t(shape.kernel);
    layer.weight = readTensor(f, path, group + "/weight", {out, in, k, k});
    layer.bias = readTensor(f, path, group + "/bias", {out});
    model.layers_.push_back(std::move(layer));
  }
  return model;
}

}  // namespace tomolive

#include "io/Hdf5Attributes.h"

#include "io/Hdf5Reading.h"

namespace tomolive {

using hdf5::allocate;
using hdf5::fail;
using hdf5::typeName;

namespace {

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

}  // namespace

Attribute readHdf5Attribute(hid_t object, const std::string& path, const std::string& objectName,
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

std::map<std::string, Attribute> readHdf5Attributes(hid_t object, const std::string& path,
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
    attributes.emplace(key, readHdf5Attribute(object, path, objectName, key));
  }
  return attributes;
}

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

}  // namespace tomolive

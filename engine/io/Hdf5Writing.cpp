#include "io/Hdf5Writing.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "io/Hdf5Attributes.h"
#include "io/Hdf5Reading.h"

namespace tomolive::hdf5 {

void closeWritten(Hdf5File& file, const std::string& path) {
  if (!file.close()) fail(path, "/", withHdf5Detail("closing (flushing) the file failed"));
}

void writeAttributes(hid_t object, const std::string& path, const std::string& objectName,
                     const std::map<std::string, Attribute>& attributes) {
  for (const auto& [key, value] : attributes)
    writeHdf5Attribute(object, path, objectName, key, value);
}

ReplacingWrite::ReplacingWrite(std::string path)
    : path_(std::move(path)), temporary_(path_ + ".tmp") {}

ReplacingWrite::~ReplacingWrite() {
  if (committed_) return;
  std::error_code ignored;
  std::filesystem::remove(temporary_, ignored);
}

void ReplacingWrite::commit() {
  std::error_code error;
  std::filesystem::rename(temporary_, path_, error);
  if (error) fail(path_, "/", "cannot rename " + temporary_ + " to it: " + error.message());
  committed_ = true;
}

Hdf5File createFile(const std::string& temporary, const std::string& path) {
  Hdf5File file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  if (!file) fail(path, "/", withHdf5Detail("cannot create " + temporary));
  return file;
}

void writeDataset(hid_t file, const std::string& path, const std::string& name,
                  const std::vector<hsize_t>& dims, const Storage& storage, const void* values,
                  const std::map<std::string, Attribute>& attributes) {
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

}  // namespace tomolive::hdf5

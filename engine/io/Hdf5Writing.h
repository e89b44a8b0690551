#pragma once
// Writing HDF5 files, shared by the Data Exchange and NeXus NXtomo writers (io unit only): a file
// is written as "<path>.tmp" and renamed over <path> only once complete (ReplacingWrite), so a
// failed write never leaves half a file under the name; datasets are created with their groups,
// frames chunked one per frame, shuffled and deflated. Every failure is a DataExchangeError
// naming the file and dataset (hdf5::fail).
#include <hdf5.h>

#include <map>
#include <string>
#include <vector>

#include "io/DataExchange.h"
#include "io/Hdf5Handles.h"

namespace tomolive::hdf5 {

/// Closes (and so flushes) a file being written, reporting failure instead of swallowing it.
void closeWritten(Hdf5File& file, const std::string& path);

void writeAttributes(hid_t object, const std::string& path, const std::string& objectName,
                     const std::map<std::string, Attribute>& attributes);

/// A file written as "<path>.tmp" and renamed over <path> on commit; removed if never committed.
class ReplacingWrite {
 public:
  explicit ReplacingWrite(std::string path);
  ~ReplacingWrite();
  ReplacingWrite(const ReplacingWrite&) = delete;
  ReplacingWrite& operator=(const ReplacingWrite&) = delete;

  const std::string& temporary() const { return temporary_; }
  void commit();

 private:
  std::string path_;
  std::string temporary_;
  bool committed_ = false;
};

/// Creates (truncating) `temporary`, the file that will become `path`.
Hdf5File createFile(const std::string& temporary, const std::string& path);

struct Storage {
  hid_t fileType;
  hid_t memoryType;
  bool chunkPerFrame;  ///< one chunk per frame (the first axis), shuffled and deflated
};

/// Creates dataset `name` (and its groups) of shape `dims` and writes `values` into it.
void writeDataset(hid_t file, const std::string& path, const std::string& name,
                  const std::vector<hsize_t>& dims, const Storage& storage, const void* values,
                  const std::map<std::string, Attribute>& attributes = {});

}  // namespace tomolive::hdf5

#pragma once
// Attributes as the io unit stores them (shared by the Data Exchange writer and the recorder):
// strings as variable-length UTF-8, numbers as little-endian float64 / int64, number lists as
// 1-D float64 (an empty list as a null dataspace).
#include <hdf5.h>

#include <string>

#include "io/DataExchange.h"

namespace tomolive {

/// Writes one attribute on `object`, replacing any of the same name. DataExchangeError naming
/// `file`, `objectName` and the key when HDF5 refuses.
void writeHdf5Attribute(hid_t object, const std::string& file, const std::string& objectName,
                        const std::string& key, const Attribute& value);

}  // namespace tomolive

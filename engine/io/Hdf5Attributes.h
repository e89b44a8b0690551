#pragma once
// Attributes as the io unit stores them (shared by the Data Exchange writer and the recorder):
// strings as variable-length UTF-8, numbers as little-endian float64 / int64, number lists as
// 1-D float64 (an empty list as a null dataspace). Read back as the same Attribute kinds:
// fixed-length and variable-length strings alike, integer and float scalars, numbers as doubles.
#include <hdf5.h>

#include <map>
#include <string>

#include "io/DataExchange.h"

namespace tomolive {

/// Writes one attribute on `object`, replacing any of the same name. DataExchangeError naming
/// `file`, `objectName` and the key when HDF5 refuses.
void writeHdf5Attribute(hid_t object, const std::string& file, const std::string& objectName,
                        const std::string& key, const Attribute& value);

/// One attribute of `object`; DataExchangeError naming `file`, `objectName` and the key when it
/// cannot be read or has a type other than string, integer or float.
Attribute readHdf5Attribute(hid_t object, const std::string& file, const std::string& objectName,
                            const std::string& key);

/// Every attribute of `object`, by name.
std::map<std::string, Attribute> readHdf5Attributes(hid_t object, const std::string& file,
                                                    const std::string& objectName);

}  // namespace tomolive

#pragma once
// The sources module's results as JSON (nlohmann's to_json, found by argument-dependent lookup),
// with the field names of `detector-sim`'s summary line.
#include <nlohmann/json_fwd.hpp>

#include "sources/DetectorServer.h"

namespace tomolive {

void to_json(nlohmann::json& j, const DetectorServerResult& r);

}  // namespace tomolive

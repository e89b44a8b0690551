#pragma once
// The io module's results as JSON (nlohmann's to_json, found by argument-dependent lookup), with
// the field names of `info --json` and `recover --json`.
#include <nlohmann/json_fwd.hpp>

#include "io/DataExchange.h"
#include "io/FrameRecorder.h"

namespace tomolive {

void to_json(nlohmann::json& j, const DatasetInfo& d);
void to_json(nlohmann::json& j, const DataExchangeInfo& info);
void to_json(nlohmann::json& j, const FrameCounts& counts);

}  // namespace tomolive

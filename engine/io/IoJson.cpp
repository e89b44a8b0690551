#include "io/IoJson.h"

#include <nlohmann/json.hpp>

namespace tomolive {

void to_json(nlohmann::json& j, const DatasetInfo& d) {
  j = {{"name", d.name}, {"shape", d.shape}, {"type", d.type}};
}

void to_json(nlohmann::json& j, const DataExchangeInfo& info) {
  j = {{"path", info.path},
       {"format", info.format},
       {"entry", info.entry},
       {"usable", info.usable()},
       {"problems", info.problems},
       {"datasets", info.datasets},
       {"projections", info.projections},
       {"rows", info.rows},
       {"columns", info.columns},
       {"flats", info.flats},
       {"darks", info.darks},
       {"invalid_frames", info.invalidFrames},
       {"alignment_frames", info.alignmentFrames},
       {"theta_min_deg", info.thetaMinDeg},
       {"theta_max_deg", info.thetaMaxDeg},
       {"theta_units", info.thetaInRadians ? "radians" : "degrees"},
       {"theta_units_stated", info.thetaUnitsStated},
       {"has_ground_truth", info.hasGroundTruth},
       {"non_finite_values", info.nonFiniteData}};
  if (!info.formatNote.empty()) j["format_note"] = info.formatNote;
  if (!info.angleNote.empty()) j["angle_note"] = info.angleNote;
  if (info.statedCentre) j["rotation_center"] = *info.statedCentre;
  if (info.pixelSizeMicrometres) j["pixel_size_um"] = *info.pixelSizeMicrometres;
}

void to_json(nlohmann::json& j, const FrameCounts& counts) {
  j = {{"projections", counts.projections}, {"flats", counts.flats}, {"darks", counts.darks}};
}

}  // namespace tomolive

#include "sources/SourcesJson.h"

#include <nlohmann/json.hpp>

namespace tomolive {

void to_json(nlohmann::json& j, const DetectorServerResult& r) {
  j = {{"sent", r.sent},
       {"stopped", r.stopped},
       {"reason", endReasonName(r.reason)},
       {"malformed", r.malformed},
       {"frames", r.frames}};
}

}  // namespace tomolive

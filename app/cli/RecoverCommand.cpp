#include "cli/RecoverCommand.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/Arguments.h"
#include "io/FrameRecorder.h"

namespace tomolive::cli {

int runRecover(const Args& args) {
  const Arguments a(args, {}, {"json"});
  const std::string path = a.positional(0, "recording to recover");
  if (a.positionals().size() > 1)
    throw UsageError("unexpected argument '" + a.positionals()[1] + "'");
  const FrameCounts kept = recoverRecording(path);
  if (a.flag("json")) {
    std::puts(nlohmann::json({{"file", path},
                              {"projections", kept.projections},
                              {"flats", kept.flats},
                              {"darks", kept.darks}})
                  .dump()
                  .c_str());
  } else {
    std::printf(
        "%s: readable, with %lld projections, %lld flats and %lld darks (every frame the "
        "last flush made durable)\n",
        path.c_str(), static_cast<long long>(kept.projections), static_cast<long long>(kept.flats),
        static_cast<long long>(kept.darks));
  }
  return 0;
}

}  // namespace tomolive::cli

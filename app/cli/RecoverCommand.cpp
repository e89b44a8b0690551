// `tomolive-cli recover`: a recording left unfinalized by a killed session made readable.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

#include "cli/Commands.h"
#include "cli/Options.h"
#include "io/IoJson.h"

namespace tomolive::cli {

namespace {

struct RecoverSettings {
  std::string path;
  bool json = false;
};

int runRecover(const RecoverSettings& s) {
  const RecoveredRecording r = recoverRecording(s.path);
  const FrameCounts& kept = r.kept;
  if (s.json) {
    nlohmann::json j = kept;
    j["file"] = s.path;
    j["lost_frames"] = r.lostFrames;
    std::puts(j.dump().c_str());
  } else {
    std::printf(
        "%s: readable, with %lld projections, %lld flats and %lld darks (every frame the "
        "last flush made durable%s)\n",
        s.path.c_str(), static_cast<long long>(kept.projections),
        static_cast<long long>(kept.flats), static_cast<long long>(kept.darks),
        r.lostFrames ? " that can still be read" : "");
    if (r.lostFrames)
      std::printf(
          "%lld frames the last flush counted were cut off (the file is shorter than it was "
          "written) and are left out\n",
          static_cast<long long>(r.lostFrames));
  }
  return 0;
}

}  // namespace

Command addRecoverCommand(CLI::App& app) {
  auto s = std::make_shared<RecoverSettings>();
  CLI::App& command = addCommand(
      app, "recover",
      "Makes a recording left unfinalized by a killed session readable, in place, keeping every "
      "frame its last flush made durable.");
  command.add_option("recording", s->path, "recording to recover")->required();
  addJsonFlag(command, s->json);
  return {&command, [s] { return runRecover(*s); }};
}

}  // namespace tomolive::cli

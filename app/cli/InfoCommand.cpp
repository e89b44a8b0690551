// `tomolive-cli info`: what a scan file holds, or what is wrong with it.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

#include "cli/Commands.h"
#include "cli/Options.h"
#include "io/IoJson.h"
#include "io/ScanFile.h"

namespace tomolive::cli {

namespace {

struct InfoSettings {
  std::string input;
  bool json = false;
};

std::string shapeText(const std::vector<std::int64_t>& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? " × " : "") + std::to_string(shape[i]);
  return shape.empty() ? "scalar" : s;
}

void printInfo(const DataExchangeInfo& info) {
  std::printf("%s (%s%s%s)\n", info.path.c_str(), info.format.c_str(),
              info.entry.empty() ? "" : ", entry ", info.entry.c_str());
  for (const auto& d : info.datasets)
    std::printf("  %-28s %-10s %s\n", d.name.c_str(), d.type.c_str(), shapeText(d.shape).c_str());
  if (!info.usable()) return;
  const char* units =
      !info.thetaUnitsStated
          ? (info.thetaInRadians ? " (no units attribute: read as radians, since as degrees the "
                                   "angles would span at most 25.1°)"
                                 : " (no units attribute: read as degrees)")
      : info.thetaInRadians ? " (stored in radians)"
                            : "";
  std::printf(
      "scan: %d projections of %d rows × %d columns, %d flats, %d darks, "
      "theta %.3f° … %.3f°%s%s\n",
      info.projections, info.rows, info.columns, info.flats, info.darks, info.thetaMinDeg,
      info.thetaMaxDeg, units, info.hasGroundTruth ? ", with ground truth" : "");
  if (info.statedCentre)
    std::printf(
        "rotation centre: column %.2f, stated by the file (recon and replay use it unless "
        "--center is given)\n",
        *info.statedCentre);
  if (info.pixelSizeMicrometres) std::printf("pixel size: %g µm\n", *info.pixelSizeMicrometres);
  if (info.invalidFrames)
    std::printf("note: %d frames marked invalid (image_key 3) are skipped\n", info.invalidFrames);
  if (!info.formatNote.empty()) std::printf("note: %s\n", info.formatNote.c_str());
  if (!info.angleNote.empty()) std::printf("note: %s\n", info.angleNote.c_str());
  if (info.alignmentFrames)
    std::printf("note: %d alignment frames (image_key -1) are skipped\n", info.alignmentFrames);
  if (info.nonFiniteData)
    std::printf(
        "note: %lld NaN/Inf values in data, flats or darks (repaired when reconstructing)\n",
        static_cast<long long>(info.nonFiniteData));
}

// A file TomoLive wrote with reconstructions (recon -o, stream --out, enhance -o) rather than a
// scan: its volumes, or nothing when it holds a scan or no volume.
std::vector<const DatasetInfo*> reconstructionVolumes(const DataExchangeInfo& info) {
  std::vector<const DatasetInfo*> volumes;
  bool scan = false;
  for (const auto& d : info.datasets) {
    scan |= d.name == "/exchange/data";
    if ((d.name == "/exchange/recon" || d.name == "/exchange/recon_enhanced") &&
        d.shape.size() == 3)
      volumes.push_back(&d);
  }
  return scan ? std::vector<const DatasetInfo*>{} : volumes;
}

int runInfo(const InfoSettings& s) {
  const DataExchangeInfo info = inspectScan(s.input);
  if (const auto volumes = reconstructionVolumes(info); !volumes.empty()) {
    nlohmann::json j{{"path", info.path}, {"kind", "reconstruction"}};
    if (!s.json) std::printf("%s (reconstruction file, no scan)\n", info.path.c_str());
    for (const DatasetInfo* v : volumes) {
      j["volumes"].push_back({{"name", v->name}, {"slices", v->shape[0]}, {"size", v->shape[1]}});
      if (!s.json)
        std::printf("  %-28s %lld slices of %lld² (%s)\n", v->name.c_str(),
                    static_cast<long long>(v->shape[0]), static_cast<long long>(v->shape[1]),
                    v->type.c_str());
    }
    if (s.json) std::puts(j.dump().c_str());
    return 0;
  }
  if (s.json)
    std::puts(nlohmann::json(info).dump().c_str());
  else
    printInfo(info);
  for (const auto& problem : info.problems) std::fprintf(stderr, "%s\n", problem.c_str());
  return info.usable() ? 0 : 2;
}

}  // namespace

Command addInfoCommand(CLI::App& app) {
  auto s = std::make_shared<InfoSettings>();
  CLI::App& command = addCommand(app, "info",
                                 "What a scan file holds (Data Exchange or NeXus NXtomo, told from "
                                 "its content), or what is wrong with it; of a reconstruction "
                                 "file, its volumes.");
  command.add_option("input", s->input, "scan file")->required();
  addJsonFlag(command, s->json);
  return {&command, [s] { return runInfo(*s); }};
}

}  // namespace tomolive::cli

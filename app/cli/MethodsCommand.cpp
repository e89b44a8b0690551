#include "cli/MethodsCommand.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "bench/LiveMethodComparison.h"
#include "cli/Arguments.h"
#include "cli/EnhanceCommand.h"

namespace tomolive::cli {

int runMethods(const Args& args) {
  const Arguments a(args,
                    {"window", "fraction", "order", "candidates", "reference-iterations", "slices",
                     "center", "images", "backend"},
                    {"json"});
  MethodComparisonOptions o;
  o.path = a.positional(0, "scan file");
  o.window = a.integer("window", o.window, 1, 100000);
  o.fraction = a.number("fraction", o.fraction);
  const std::string order = a.text("order", "interlaced");
  if (order != "interlaced" && order != "recorded")
    throw UsageError("--order \"" + order + "\": valid: interlaced, recorded");
  o.interlaced = order == "interlaced";
  o.candidates = parseMethodCandidates(
      a.text("candidates", "window:1,window:5,sirt:1,cgls:1,cgls:4,filtered:1,filtered:2"));
  o.referenceIterations = a.integer("reference-iterations", o.referenceIterations, 1, 100000);
  if (const auto slices = a.text("slices")) {
    const auto [begin, end] = parseRange(*slices, "slices");
    o.rows = {begin, end};
  }
  o.centre = a.number("center");
  o.imagesPath = a.text("images", "");
  o.backend = backendFromArguments(a, a.flag("json")).backend;
  const MethodComparison r = compareLiveMethods(o);
  if (!a.flag("json")) {
    std::fputs(formatMethodComparison(r).c_str(), stdout);
    return 0;
  }
  nlohmann::json scores = nlohmann::json::array();
  for (const MethodScore& s : r.scores)
    scores.push_back({{"method", liveMethodName(s.candidate.method)},
                      {"iterations", s.candidate.iterations},
                      {"updates", s.updates},
                      {"ssim_received", s.ssimReceived},
                      {"psnr_received", s.psnrReceived},
                      {"ssim_full", s.ssimFull},
                      {"psnr_full", s.psnrFull},
                      {"refresh_median_seconds", s.medianRefresh},
                      {"refresh_last_seconds", s.lastRefresh}});
  std::puts(nlohmann::json({{"scan", r.scan},
                            {"projections", r.projections},
                            {"received", r.received},
                            {"centre", r.centre},
                            {"compute", r.compute},
                            {"ssim_received_vs_full", r.ssimReceivedVsFull},
                            {"scores", scores}})
                .dump()
                .c_str());
  return 0;
}

}  // namespace tomolive::cli

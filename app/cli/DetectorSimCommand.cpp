#include "cli/DetectorSimCommand.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "cli/Arguments.h"
#include "sources/DetectorServer.h"
#include "sources/FileReplaySource.h"
#include "sources/SimulatorSource.h"

namespace tomolive::cli {

namespace {

std::atomic<DetectorServer*> g_server{nullptr};
static_assert(std::atomic<DetectorServer*>::is_always_lock_free);

extern "C" void stopOnSignal(int) {
  if (DetectorServer* server = g_server.load()) server->requestStop();
}

// Ctrl-C and SIGTERM end the scan cleanly (end message sent, queued frames flushed) while the
// server runs; the previous handlers come back afterwards.
class SignalsStopServer {
 public:
  explicit SignalsStopServer(DetectorServer& server) {
    g_server = &server;
    struct sigaction action = {};
    action.sa_handler = stopOnSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &m_previousInt);
    sigaction(SIGTERM, &action, &m_previousTerm);
  }
  ~SignalsStopServer() {
    sigaction(SIGINT, &m_previousInt, nullptr);
    sigaction(SIGTERM, &m_previousTerm, nullptr);
    g_server = nullptr;
  }
  SignalsStopServer(const SignalsStopServer&) = delete;
  SignalsStopServer& operator=(const SignalsStopServer&) = delete;

 private:
  struct sigaction m_previousInt = {}, m_previousTerm = {};
};

// The scan to serve, unpaced (the server keeps the rate), and its default scan id: the same for
// the same arguments, so that a restarted detector continues the same scan.
std::pair<std::unique_ptr<FrameSource>, std::string> scanToServe(const Arguments& a) {
  const char* simulationOptions[] = {"phantom", "size",    "slices", "projections",
                                     "order",   "photons", "seed"};
  if (const auto file = a.text("file")) {
    for (const char* option : simulationOptions)
      if (a.has(option))
        throw UsageError(std::string("--file and --") + option + " exclude each other");
    return {std::make_unique<FileReplaySource>(*file, 0.0),
            std::filesystem::path(*file).stem().string()};
  }
  if (!a.has("phantom")) throw UsageError("give --file scan.h5 or --phantom NAME");
  ScanSpec spec;
  spec.phantom = parsePhantomKind(a.text("phantom", "glass"));
  spec.size = a.integer("size", 128, 8, 8192);
  spec.slices = a.integer("slices", 4, 1, 4096);
  const int projections = a.integer("projections", 180, 1, 100000);
  const std::string interlaced = "interlaced:" + std::to_string(std::min(16, projections));
  spec.acquisition = parseAcquisitionOrder(a.text("order", interlaced), projections);
  spec.photons = a.number("photons", 1e4);
  spec.seed = static_cast<std::uint64_t>(a.integer("seed", 1, 0, 2147483647));
  const std::string id = "sim-" + phantomKindName(spec.phantom) + "-" + std::to_string(spec.size) +
                         "x" + std::to_string(spec.slices) + "-p" + std::to_string(projections) +
                         "-seed" + std::to_string(spec.seed);
  return {std::make_unique<SimulatorSource>(spec, 0.0), id};
}

}  // namespace

int runDetectorSim(const Args& args) {
  const Arguments a(args,
                    {"bind", "control", "file", "phantom", "size", "slices", "projections", "order",
                     "photons", "seed", "rate", "first-frame", "scan-id", "malformed"},
                    {});
  if (!a.positionals().empty())
    throw UsageError("unexpected argument '" + a.positionals()[0] + "'");
  DetectorServerOptions options;
  options.bind = a.text("bind", kDefaultDetectorAddress);
  options.control = a.text("control", "");
  options.framesPerSecond = a.number("rate", 0.0);
  options.firstFrame = a.integer("first-frame", 0, 0, std::numeric_limits<int>::max());
  options.malformed = a.integer("malformed", 0, 0, 1000);
  auto [source, defaultScanId] = scanToServe(a);
  const std::string scanId = a.text("scan-id", defaultScanId);

  DetectorServerResult result;
  {
    DetectorServer server(options);  // its destructor waits for queued frames to leave
    std::fprintf(stderr, "detector-sim: scan '%s' on %s (control %s)\n", scanId.c_str(),
                 server.address().c_str(), server.controlAddress().c_str());
    const SignalsStopServer signals(server);
    result = server.serve(*source, scanId);
  }
  const nlohmann::json summary = {{"sent", result.sent},
                                  {"stopped", result.stopped},
                                  {"reason", endReasonName(result.reason)},
                                  {"malformed", result.malformed},
                                  {"frames", result.frames},
                                  {"scan_id", scanId}};
  std::printf("%s\n", summary.dump().c_str());
  return 0;
}

}  // namespace tomolive::cli

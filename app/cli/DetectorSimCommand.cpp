// `tomolive-cli detector-sim`: a stand-alone detector serving a file or a simulated scan on the
// stream protocol (docs/protocol.md), for trying TomoLive without a beamline and for the tests.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>

#include "cli/Commands.h"
#include "cli/Options.h"
#include "sources/DetectorServer.h"
#include "sources/FileReplaySource.h"
#include "sources/PacedSource.h"
#include "sources/SimulatorSource.h"
#include "sources/SourcesJson.h"

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

struct DetectorSimSettings {
  DetectorServerOptions server;
  std::optional<double> rate;
  std::string file;
  ScanSpec spec{
      .phantom = PhantomKind::Glass, .size = 128, .slices = 4, .acquisition = {}, .seed = 1};
  int projections = 180;
  std::optional<std::string> order, scanId;
  CLI::Option* phantom = nullptr;
};

// The scan to serve, unpaced (the server keeps the rate), and its default scan id: the same for
// the same arguments, so that a restarted detector continues the same scan.
std::pair<std::unique_ptr<FrameSource>, std::string> scanToServe(DetectorSimSettings& s) {
  if (!s.file.empty())
    return {std::make_unique<FileReplaySource>(s.file, 0.0),
            std::filesystem::path(s.file).stem().string()};
  if (!s.phantom->count()) throw UsageError("give --file scan.h5 or --phantom NAME");
  ScanSpec& spec = s.spec;
  spec.acquisition = parseAcquisitionOrder(
      s.order.value_or("interlaced:" + std::to_string(std::min(16, s.projections))), s.projections);
  const std::string id = "sim-" + phantomKindName(spec.phantom) + "-" + std::to_string(spec.size) +
                         "x" + std::to_string(spec.slices) + "-p" + std::to_string(s.projections) +
                         "-seed" + std::to_string(spec.seed);
  return {std::make_unique<SimulatorSource>(spec, 0.0), id};
}

int runDetectorSim(DetectorSimSettings s) {
  s.server.framesPerSecond = s.rate.value_or(0.0);
  auto [source, defaultScanId] = scanToServe(s);
  const std::string scanId = s.scanId.value_or(defaultScanId);

  DetectorServerResult result;
  {
    DetectorServer server(s.server);  // its destructor waits for queued frames to leave
    std::fprintf(stderr, "detector-sim: scan '%s' on %s (control %s)\n", scanId.c_str(),
                 server.address().c_str(), server.controlAddress().c_str());
    const SignalsStopServer signals(server);
    result = server.serve(*source, scanId);
  }
  nlohmann::json summary = result;
  summary["scan_id"] = scanId;
  std::printf("%s\n", summary.dump().c_str());
  return 0;
}

}  // namespace

Command addDetectorSimCommand(CLI::App& app) {
  auto s = std::make_shared<DetectorSimSettings>();
  CLI::App& command =
      addCommand(app, "detector-sim",
                 "A detector serving a file or a simulated scan on the network protocol "
                 "(docs/protocol.md), obeying stop.");
  command.add_option("--bind", s->server.bind, "address frames are published on");
  command.add_option("--control", s->server.control,
                     "address of the control socket (default: the bind port + 1)");
  CLI::Option* file = command.add_option("--file", s->file, "scan file to serve");
  std::vector<CLI::Option*> simulation = addScanOptions(command, s->spec);
  s->phantom = simulation.front();
  s->phantom->default_str("");  // no default: --file or --phantom must be given
  simulation.push_back(command.add_option("--projections", s->projections, "projections")
                           ->check(CLI::Range(1, 100000)));
  simulation.push_back(command.add_option("--order", s->order,
                                          "sequential|interlaced:W|golden (default "
                                          "interlaced:16)"));
  for (CLI::Option* option : simulation) file->excludes(option);
  command.add_option("--rate", s->rate, "frames per second (0, the default: as fast as taken)")
      ->check(kFinite)
      ->check(CLI::Range(0.0, kMostFramesPerSecond));
  command.add_option("--first-frame", s->server.firstFrame, "first frame sent (resuming)")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  command.add_option("--scan-id", s->scanId, "scan id (default: from the file or the simulation)");
  command.add_option("--malformed", s->server.malformed, "malformed messages sent (tests)")
      ->check(CLI::Range(0, 1000));
  return {&command, [s] { return runDetectorSim(*s); }};
}

}  // namespace tomolive::cli

#include "sources/SourceFactory.h"

#include <stdexcept>

#include "sim/Acquisition.h"
#include "sim/Phantom.h"
#include "sources/FileReplaySource.h"
#include "sources/NetworkDetectorSource.h"
#include "sources/SimulatorSource.h"

namespace tomolive {

std::unique_ptr<FrameSource> makeSource(const SourceSpec& spec) {
  const std::string& uri = spec.uri;
  if (uri.rfind("sim:", 0) == 0) {
    ScanSpec scan;
    scan.phantom = parsePhantomKind(uri.substr(4));
    scan.size = spec.size;
    scan.slices = spec.rows;
    const std::string order =
        spec.order.empty() ? "interlaced:" + std::to_string(spec.window) : spec.order;
    scan.acquisition = parseAcquisitionOrder(order, spec.projections);
    scan.photons = spec.photons;
    scan.seed = spec.seed;
    return std::make_unique<SimulatorSource>(scan, spec.framesPerSecond);
  }
  if (uri.rfind("file:", 0) == 0)
    return std::make_unique<FileReplaySource>(uri.substr(5), spec.framesPerSecond, spec.order);
  if (uri.rfind("tcp://", 0) == 0) return std::make_unique<NetworkDetectorSource>(uri);
  throw std::invalid_argument("source '" + uri +
                              "' is not sim:PHANTOM, file:PATH or tcp://HOST:PORT");
}

}  // namespace tomolive

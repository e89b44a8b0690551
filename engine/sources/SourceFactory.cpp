#include "sources/SourceFactory.h"

#include <filesystem>
#include <stdexcept>

#include "sim/Acquisition.h"
#include "sim/Phantom.h"
#include "sources/DetectorProtocol.h"
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
  throw std::invalid_argument(*whyNotASource(uri));
}

std::optional<std::string> whyNotASource(const std::string& uri) {
  try {
    if (uri.starts_with("sim:")) {
      parsePhantomKind(uri.substr(4));
    } else if (uri.starts_with("file:")) {
      const std::string path = uri.substr(5);
      std::error_code error;
      if (!std::filesystem::exists(path, error)) return "source '" + uri + "': no such file";
      if (std::filesystem::is_directory(path, error))
        return "source '" + uri + "' is a folder, not a scan file";
    } else if (uri.starts_with("tcp://")) {
      parseTcpAddress(uri);
    } else {
      return "source '" + uri + "' is not sim:PHANTOM, file:PATH or tcp://HOST:PORT";
    }
  } catch (const std::invalid_argument& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

}  // namespace tomolive

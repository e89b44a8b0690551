#include "pipeline/MemoryBudget.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "geometry/SliceStacks.h"

namespace tomolive {

namespace {

constexpr std::uint64_t kUnknown = std::numeric_limits<std::uint64_t>::max();

// The number in a file holding one ("max" or missing: unknown).
std::uint64_t numberIn(const char* path) {
  std::ifstream in(path);
  std::uint64_t value = 0;
  if (in >> value) return value;
  return kUnknown;
}

std::uint64_t memAvailable() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    std::uint64_t kib = 0;
    if (fields >> key >> kib && key == "MemAvailable:") return kib * 1024;
  }
  return kUnknown;
}

// The cgroup's limit less its usage (v2, else v1).
std::uint64_t cgroupRoom() {
  for (const auto& [limitFile, usageFile] :
       {std::pair{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
        std::pair{"/sys/fs/cgroup/memory/memory.limit_in_bytes",
                  "/sys/fs/cgroup/memory/memory.usage_in_bytes"}}) {
    const std::uint64_t limit = numberIn(limitFile), usage = numberIn(usageFile);
    if (limit != kUnknown && usage != kUnknown) return limit > usage ? limit - usage : 0;
  }
  return kUnknown;
}

}  // namespace

std::uint64_t availableMemoryBytes() { return std::min(memAvailable(), cgroupRoom()); }

std::uint64_t reconstructionBytes(int slices, int gridSize, int columns, std::int64_t projections) {
  const int lanes = lanesForSlices(slices);
  const auto padded = std::uint64_t((slices + lanes - 1) / lanes * lanes);
  const std::uint64_t volume = padded * std::uint64_t(gridSize) * std::uint64_t(gridSize);
  const std::uint64_t lineIntegrals =
      padded * std::uint64_t(columns) * std::uint64_t(std::max<std::int64_t>(projections, 0));
  return (4 * volume + 2 * lineIntegrals) * sizeof(float);
}

std::string byteText(std::uint64_t bytes) {
  char text[32];
  if (bytes >= (std::uint64_t(1) << 30))
    std::snprintf(text, sizeof text, "%.1f GiB", double(bytes) / double(1 << 30));
  else
    std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / double(1 << 20));
  return text;
}

void requireMemory(std::uint64_t bytes, const std::string& what, const std::string& wayOut) {
  const std::uint64_t available = availableMemoryBytes();
  if (bytes <= available) return;
  throw InsufficientMemory("needs " + byteText(bytes) + " for " + what + ", " +
                           byteText(available) + " available: " + wayOut);
}

}  // namespace tomolive

#pragma once
// Whether a reconstruction fits in this machine's memory, decided before anything is allocated:
// one that does not is refused with the numbers and a way out, instead of being allocated and
// then killed by the kernel (with the session's record and results).
//
// Available = MemAvailable from /proc/meminfo, lowered to the cgroup's limit less its usage
// (cgroup v2 memory.max − memory.current, v1 memory.limit_in_bytes − memory.usage_in_bytes) when
// that is lower. The need is an estimate of the engine's large buffers (below), not every byte.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace tomolive {

/// A computation refused up front because it would not fit; the message has the numbers.
class InsufficientMemory : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bytes this process may still allocate (see above); the largest integer when unknown.
std::uint64_t availableMemoryBytes();

/// The large buffers of SIRT on `slices` slices of a gridSize² grid over `projections` held
/// projections of `columns` detector columns: four volumes (the estimate, the two before it that
/// the views may still show — the solver's spares, or the read-back's copies of a device's
/// estimate — and the back projection's working lines) and the line integrals twice (held and
/// residual), slices padded to the lane width (geometry/SliceStacks.h).
std::uint64_t reconstructionBytes(int slices, int gridSize, int columns, std::int64_t projections);

/// Throws InsufficientMemory when `bytes` exceed availableMemoryBytes(): "needs 921.6 GiB for
/// <what>; 22.4 GiB available: <wayOut>".
void requireMemory(std::uint64_t bytes, const std::string& what, const std::string& wayOut);

/// "14.2 GiB", "512.0 MiB".
std::string byteText(std::uint64_t bytes);

}  // namespace tomolive

#include "pipeline/VolumeReadBack.h"

#include <algorithm>

#include "pipeline/LiveReconstruction.h"
#include "pipeline/StreamingSession.h"

namespace tomolive {

std::vector<int> readBackSlices(std::span<const int> view, int slices, int neighbours) {
  std::vector<int> wanted(view.begin(), view.end());
  if (wanted.empty()) wanted.push_back(slices / 2);
  std::vector<int> out;
  for (int s : wanted)
    for (int d = -neighbours; d <= neighbours; ++d)
      if (s + d >= 0 && s + d < slices) out.push_back(s + d);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

VolumeReadBack::VolumeReadBack(std::size_t fullVolumeBytes, int fullVolumeEvery)
    : m_fullVolumeBytes(fullVolumeBytes), m_every(std::max(1, fullVolumeEvery)) {}

std::string VolumeReadBack::reset(const LiveReconstruction& recon) {
  const std::size_t bytes =
      std::size_t(recon.sliceCount()) * recon.gridSize() * recon.gridSize() * sizeof(float);
  m_whole = bytes <= m_fullVolumeBytes;
  m_volume.reset();
  for (auto& b : m_buffers) b.reset();
  if (m_whole) return {};
  return "volume of " + std::to_string(bytes >> 20) + " MiB: each update reads back the " +
         "slices in view, the whole volume every " + std::to_string(m_every) +
         " updates and at the end";
}

std::shared_ptr<const VolumeStack> VolumeReadBack::readWhole(const LiveReconstruction& recon,
                                                             int update) {
  m_volume.reset();  // replaced now: the buffer holding it may be reused below
  if (std::shared_ptr<const VolumeStack> shared = recon.sharedEstimate()) {
    m_volume = std::move(shared);  // no copy: the solver steps into another buffer from now on
    m_volumeUpdate = update;
    return m_volume;
  }
  std::shared_ptr<VolumeStack> target;
  for (const auto& b : m_buffers)
    if (b && b.use_count() == 1) target = b;  // only this read-back holds it
  if (!target) {
    target = std::make_shared<VolumeStack>();
    m_buffers[m_nextBuffer] = target;
    m_nextBuffer = (m_nextBuffer + 1) % 2;
  }
  recon.readEstimate(*target);
  m_volume = target;
  m_volumeUpdate = update;
  return m_volume;
}

void VolumeReadBack::read(const LiveReconstruction& recon, int update, std::span<const int> view,
                          int neighbours, Snapshot& snapshot) {
  if (m_whole || !m_volume || update - m_volumeUpdate >= m_every) {
    readWhole(recon, update);
  } else {
    const int n = recon.gridSize();
    snapshot.viewSlices = readBackSlices(view, recon.sliceCount(), neighbours);
    const std::vector<float> images = recon.slices(snapshot.viewSlices);
    auto part = std::make_shared<VolumeStack>(int(snapshot.viewSlices.size()), n);
    const std::size_t plane = std::size_t(n) * n;
    for (std::size_t i = 0; i < snapshot.viewSlices.size(); ++i)
      part->setSlice(int(i), {images.data() + i * plane, plane});
    snapshot.viewVolume = std::move(part);
  }
  snapshot.volume = m_volume;
  snapshot.volumeUpdate = m_volumeUpdate;
}

}  // namespace tomolive

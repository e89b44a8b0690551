#include "sources/PacedSource.h"

#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

namespace tomolive {

PacedSource::PacedSource(std::int64_t frames, double framesPerSecond)
    : m_frames(frames), m_framesPerSecond(framesPerSecond) {
  if (frames < 1) throw std::invalid_argument("source: a scan needs at least one frame");
  if (!(framesPerSecond >= 0.0) || framesPerSecond > kMostFramesPerSecond) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "source: frame rate %g must lie in 0 … 1e7 frames/s (0: as fast as possible)",
                  framesPerSecond);
    throw std::invalid_argument(text);
  }
}

std::optional<Frame> PacedSource::next(std::chrono::milliseconds timeout) {
  if (m_finished) return std::nullopt;
  if (m_stopRequested || m_next >= m_frames) {
    m_finished = true;
    return std::nullopt;
  }
  const auto now = std::chrono::steady_clock::now();
  if (m_next == 0) m_start = now;
  if (m_framesPerSecond > 0.0) {
    // Frame i is due at start + i / rate: a steady rate, however long each frame took to make.
    const auto due = m_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(m_next / m_framesPerSecond));
    if (due > now + timeout) {
      std::this_thread::sleep_for(timeout);
      return std::nullopt;
    }
    std::this_thread::sleep_until(due);
  }
  while (m_next < m_frames)
    if (std::optional<Frame> frame = makeFrame(m_next++)) return frame;
  m_finished = true;
  return std::nullopt;
}

}  // namespace tomolive

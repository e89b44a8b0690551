#include "pipeline/WindowIntake.h"

#include <stdexcept>
#include <string>

namespace tomolive {

WindowIntake::WindowIntake(Steering steering, bool capOverload, int maxWindow)
    : m_steering(steering), m_capOverload(capOverload), m_maxWindow(maxWindow) {}

bool WindowIntake::roomForMore(std::chrono::milliseconds timeout) {
  std::unique_lock lock(m_mutex);
  const auto room = [&] {
    return int(m_pending.size()) < m_steering.window || m_steering.stopped;
  };
  return m_acquireCv.wait_for(lock, timeout, room);
}

void WindowIntake::add(FramePtr frame) {
  {
    std::lock_guard lock(m_mutex);
    ++m_counts.frames;
    switch (frame->kind) {
      case FrameKind::Flat:
        m_flats.push_back(std::move(frame)), ++m_flatDarkVersion;
        break;
      case FrameKind::Dark:
        m_darks.push_back(std::move(frame)), ++m_flatDarkVersion;
        break;
      case FrameKind::Projection:
        m_pending.push_back({std::move(frame), Clock::now()});
        ++m_counts.projections;
        break;
    }
  }
  m_reconCv.notify_one();
}

std::int64_t WindowIntake::finish() {
  std::int64_t frames = 0;
  {
    std::lock_guard lock(m_mutex);
    m_finished = true;
    frames = m_counts.frames;
  }
  m_reconCv.notify_all();
  return frames;
}

WindowIntake::Batch WindowIntake::take() {
  Batch batch;
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_reconCv.wait(lock, [&] {
      batch.window = m_steering.window;
      if (m_steering.paused && !m_steering.stopped) return false;
      if (m_finished) return true;
      return !m_flats.empty() && int(m_pending.size()) >= batch.window;
    });
    if (m_pending.empty() || !m_flats.empty()) break;  // over, or a batch to take
    if (m_finished)
      throw std::runtime_error("the scan ended without any flat field: cannot normalise " +
                               std::to_string(m_pending.size()) +
                               " projections (they are recorded)");
  }
  if (m_pending.empty()) return batch;  // the scan is over, everything taken
  const std::size_t cap = std::size_t(m_maxWindow > 0 ? m_maxWindow : 8 * batch.window);
  if (m_capOverload && m_pending.size() > cap) {
    batch.skipped = std::int64_t(m_pending.size() - cap);
    m_counts.skipped += batch.skipped;
    m_pending.erase(m_pending.begin(), m_pending.end() - std::ptrdiff_t(cap));
  }
  batch.projections.assign(std::make_move_iterator(m_pending.begin()),
                           std::make_move_iterator(m_pending.end()));
  m_pending.clear();
  m_counts.updating = true;
  if (m_flatDarkVersion != m_takenVersion) {
    batch.flatsDarksChanged = true;
    batch.flats = m_flats, batch.darks = m_darks;
    m_takenVersion = m_flatDarkVersion;
  }
  lock.unlock();
  m_acquireCv.notify_all();
  return batch;
}

WindowIntake::Counts WindowIntake::consumed(std::size_t projections) {
  std::lock_guard lock(m_mutex);
  m_counts.consumed += std::int64_t(projections);
  return m_counts;
}

void WindowIntake::updated() {
  std::lock_guard lock(m_mutex);
  m_counts.updating = false;
}

void WindowIntake::discardUntilFinished() {
  std::unique_lock lock(m_mutex);
  m_counts.updating = false;
  for (;;) {
    m_pending.clear();
    if (m_finished) break;
    m_reconCv.wait(lock, [&] { return !m_pending.empty() || m_finished; });
  }
}

WindowIntake::Counts WindowIntake::counts() const {
  std::lock_guard lock(m_mutex);
  return m_counts;
}

bool WindowIntake::moreToCome() const {
  std::lock_guard lock(m_mutex);
  return !((m_finished || m_steering.stopped) && m_pending.empty());
}

void WindowIntake::wake() {
  m_reconCv.notify_all();
  m_acquireCv.notify_all();
}

}  // namespace tomolive

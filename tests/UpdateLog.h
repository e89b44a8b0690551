#pragma once
// Each update's metrics once, in order, as a streaming session publishes them (the enhancer's
// later versions of an update are not counted again). Attach before start(); read after wait().
#include <memory>
#include <mutex>
#include <vector>

#include "pipeline/StreamingSession.h"

struct UpdateLog {
  std::mutex mutex;
  std::vector<tomolive::UpdateMetrics> updates;
  void attach(tomolive::StreamingSession& session) {
    session.onSnapshot([this](std::shared_ptr<const tomolive::Snapshot> s) {
      std::lock_guard lock(mutex);
      if (updates.empty() || updates.back().update != s->metrics.update)
        updates.push_back(s->metrics);
    });
  }
};

#pragma once
// A streaming session's log lines, thread-safely. Attach before start().
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/StreamingSession.h"

struct SessionLog {
  std::mutex mutex;
  std::vector<std::string> lines;
  void attach(tomolive::StreamingSession& session) {
    session.onLog([this](const std::string& line) {
      std::lock_guard lock(mutex);
      lines.push_back(line);
    });
  }
  std::vector<std::string> all() {
    std::lock_guard lock(mutex);
    return lines;
  }
  /// Whether a line so far contains `text`.
  bool has(const std::string& text) {
    std::lock_guard lock(mutex);
    for (const std::string& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
};

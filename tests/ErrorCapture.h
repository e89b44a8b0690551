#pragma once
// What a failing read said, and what it printed: the io unit's errors must name file, dataset and
// value, and HDF5 must print nothing of its own.
#include <fcntl.h>
#include <unistd.h>

#include <QFile>
#include <QString>

#include <cstdio>
#include <functional>
#include <stdexcept>

#include "io/DataExchange.h"

/// The DataExchangeError's message, or a text that fails every check made on such a message.
inline QString errorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const tomolive::DataExchangeError& error) {
    return QString::fromStdString(error.what());
  } catch (const std::exception& error) {
    return QStringLiteral("<not a DataExchangeError: %1>").arg(error.what());
  }
  return QStringLiteral("<no exception>");
}

/// Runs `action` with file descriptor 2 sent to a file; returns what was written there.
inline QString stderrOf(const QString& capturePath, const std::function<void()>& action) {
  std::fflush(stderr);
  const int saved = dup(2);
  const int capture =
      open(capturePath.toLocal8Bit().constData(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (saved < 0 || capture < 0) return QStringLiteral("<cannot capture stderr>");
  dup2(capture, 2);
  close(capture);
  action();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  QFile file(capturePath);
  if (!file.open(QIODevice::ReadOnly)) return QStringLiteral("<cannot read captured stderr>");
  return QString::fromLocal8Bit(file.readAll());
}

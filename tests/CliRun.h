#pragma once
// Runs the tomolive-cli built beside the tests (TOMOLIVE_CLI_PATH), or any program, as a script
// would: exit code
// (−2 when it crashed), stdout and stderr, and stdout parsed as the JSON object --json prints.
#include <QDebug>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>

struct CliRun {
  int exitCode = -1;  ///< −1: did not finish within 4 minutes
  QString out, err;
};

inline CliRun runProcess(
    const QString& program, const QStringList& args,
    const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment()) {
  QProcess p;
  p.setProcessEnvironment(environment);
  p.start(program, args);
  if (!p.waitForFinished(240000)) {
    p.kill();
    p.waitForFinished();
    return {};
  }
  CliRun r;
  r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

inline CliRun runCli(const QStringList& args) {
  return runProcess(QStringLiteral(TOMOLIVE_CLI_PATH), args);
}

inline QJsonObject json(const CliRun& r) {
  QJsonParseError error;
  const auto doc = QJsonDocument::fromJson(r.out.toUtf8(), &error);
  if (error.error != QJsonParseError::NoError) qWarning() << "not JSON:" << r.out << r.err;
  return doc.object();
}

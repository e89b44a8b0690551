#pragma once
// Runs the tomolive-cli built beside the tests (TOMOLIVE_CLI_PATH), or any program, as a script
// would: exit code
// (−2 when it crashed), stdout and stderr, and stdout parsed as the JSON object --json prints.
#include <QDebug>
#include <QFile>
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

/// The environment mpirun needs on a test machine: runs as root allowed, more ranks than cores.
inline QProcessEnvironment mpiEnvironment() {
  QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
  e.insert(QStringLiteral("OMPI_ALLOW_RUN_AS_ROOT"), QStringLiteral("1"));
  e.insert(QStringLiteral("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"), QStringLiteral("1"));
  e.insert(QStringLiteral("OMPI_MCA_rmaps_base_oversubscribe"), QStringLiteral("1"));
  return e;
}

/// The process id of MPI rank `rank` among the children of the launcher `mpirun` (the child whose
/// environment says OMPI_COMM_WORLD_RANK=rank), or "" when there is none.
inline QString mpiRankPid(qint64 mpirun, int rank) {
  const CliRun children =
      runProcess(QStringLiteral("/usr/bin/pgrep"), {"-P", QString::number(mpirun)});
  const QByteArray wanted = "OMPI_COMM_WORLD_RANK=" + QByteArray::number(rank);
  for (const QString& pid : children.out.split(u'\n', Qt::SkipEmptyParts)) {
    QFile environ(QStringLiteral("/proc/%1/environ").arg(pid));
    if (environ.open(QIODevice::ReadOnly) && environ.readAll().split('\0').contains(wanted))
      return pid;
  }
  return {};
}

/// Kills (SIGKILL) MPI rank `rank` under the launcher `mpirun`; false when it was not found.
inline bool killMpiRank(qint64 mpirun, int rank) {
  const QString pid = mpiRankPid(mpirun, rank);
  return !pid.isEmpty() && runProcess(QStringLiteral("/bin/kill"), {"-9", pid}).exitCode == 0;
}

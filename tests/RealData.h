#pragma once
// Where the real beamline scans live (../shared/data beside the checkout unless configured with
// -DTOMOLIVE_SHARED_DATA_DIR), and a check that fails loudly, naming the folder, when they are
// missing — real-data tests must never pass or skip silently without their data.
#include <QFileInfo>
#include <QString>
#include <QTest>

#include <string>

inline std::string realDataFile(const char* name) {
  return (QStringLiteral(TOMOLIVE_SHARED_DATA_DIR) + QLatin1Char('/') + QLatin1String(name))
      .toStdString();
}

#define TOMOLIVE_REQUIRE_REAL_DATA()                                                 \
  for (const char* file : {"tooth.h5", "i13_crop.h5"})                               \
  QVERIFY2(QFileInfo::exists(QString::fromStdString(realDataFile(file))),            \
           qPrintable(QStringLiteral("real scan %1 not found in %2 (configure with " \
                                     "-DTOMOLIVE_SHARED_DATA_DIR=<folder>)")         \
                          .arg(QLatin1String(file), QStringLiteral(TOMOLIVE_SHARED_DATA_DIR))))

// HDF5 Data Exchange reader/writer: the two real beamline scans, row selection, write→read round
// trips, and one DataExchangeError (naming file, dataset and value) per kind of malformed file.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <tiffio.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <numbers>

#include "ErrorCapture.h"
#include "RealData.h"
#include "io/DataExchange.h"
#include "io/Hdf5Handles.h"
#include "io/ScanFile.h"
#include "io/TiffStack.h"

using namespace tomolive;

namespace {

std::string sharedData(const char* name) {
  return QDir(QStringLiteral(TOMOLIVE_SHARED_DATA_DIR)).filePath(QLatin1String(name)).toStdString();
}

std::size_t at(int p, int r, int c, int rows, int columns) {
  return (static_cast<std::size_t>(p) * rows + r) * columns + c;
}

constexpr int kP = 5, kR = 3, kC = 4, kN = 6;

// A small scan with every optional part; u16 or float32 projections (the latter with one NaN).
ScanToWrite smallScan(bool u16) {
  ScanToWrite scan;
  scan.projections = kP;
  scan.rows = kR;
  scan.columns = kC;
  for (int i = 0; i < kP * kR * kC; ++i) {
    if (u16) {
      scan.dataU16.push_back(static_cast<std::uint16_t>(100 + 7 * i));
    } else {
      scan.dataF32.push_back(i == 17 ? std::numeric_limits<float>::quiet_NaN() : 1000.25f + i);
    }
  }
  for (int i = 0; i < 2 * kR * kC; ++i) scan.flats.push_back(5000.5f + i);
  if (u16) {
    for (int i = 0; i < kR * kC; ++i) scan.darks.push_back(10.0f + 0.5f * i);
  }
  for (int p = 0; p < kP; ++p) scan.thetaDeg.push_back(36.0 * p);
  for (int i = 0; i < kR * kN * kN; ++i) scan.groundTruth.push_back(0.01f * i);
  scan.groundTruthSize = kN;
  scan.attributes = {{"source", std::string("unit test")},
                     {"pixelSizeUm", 0.65},
                     {"rotations", std::int64_t{7}},
                     {"energiesKeV", std::vector<double>{20.0, 25.5}}};
  return scan;
}

// Read-write access to a file for building malformed variants with the HDF5 C API.
class Hdf5Edit {
 public:
  explicit Hdf5Edit(const QString& path)
      : file_(H5Fopen(path.toLocal8Bit().constData(), H5F_ACC_RDWR, H5P_DEFAULT)) {}

  bool ok() const { return file_.valid(); }

  bool remove(const char* name) { return H5Ldelete(file_.get(), name, H5P_DEFAULT) >= 0; }

  // Replaces (or creates) `name`; values == nullptr leaves it unwritten (fill values).
  bool replace(const char* name, hid_t type, const std::vector<hsize_t>& dims,
               const void* values = nullptr, bool chunked = false) {
    if (H5Lexists(file_.get(), name, H5P_DEFAULT) > 0 && !remove(name)) return false;
    Hdf5Dataspace space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
    Hdf5PropertyList create(H5Pcreate(H5P_DATASET_CREATE));
    if (chunked) {
      std::vector<hsize_t> chunk(dims.size(), 1);
      chunk.back() = dims.back();
      if (H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data()) < 0) {
        return false;
      }
    }
    Hdf5Dataset dataset(
        H5Dcreate2(file_.get(), name, type, space.get(), H5P_DEFAULT, create.get(), H5P_DEFAULT));
    if (!dataset) return false;
    return values == nullptr ||
           H5Dwrite(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0;
  }

  // A fixed-length string attribute (the writer uses variable-length ones: both are read).
  bool setUnits(const char* dataset, const std::string& units) {
    Hdf5Dataset target(H5Dopen2(file_.get(), dataset, H5P_DEFAULT));
    if (!target || !removeUnits(target.get())) return false;
    Hdf5Datatype type(H5Tcopy(H5T_C_S1));
    if (H5Tset_size(type.get(), units.size()) < 0) return false;
    Hdf5Dataspace space(H5Screate(H5S_SCALAR));
    Hdf5Attribute attribute(
        H5Acreate2(target.get(), "units", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
    return attribute && H5Awrite(attribute.get(), type.get(), units.data()) >= 0;
  }

  bool removeUnits(const char* dataset) {
    Hdf5Dataset target(H5Dopen2(file_.get(), dataset, H5P_DEFAULT));
    return target && removeUnits(target.get());
  }

  bool makeGroup(const char* name) {
    return Hdf5Group(H5Gcreate2(file_.get(), name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)).valid();
  }

 private:
  static bool removeUnits(hid_t dataset) {
    const htri_t exists = H5Aexists(dataset, "units");
    return exists == 0 || (exists > 0 && H5Adelete(dataset, "units") >= 0);
  }

  Hdf5File file_;
};

bool truncatedCopy(const std::string& source, const QString& target, qint64 bytes) {
  QFile in(QString::fromStdString(source));
  QFile out(target);
  if (!in.open(QIODevice::ReadOnly) || !out.open(QIODevice::WriteOnly)) return false;
  const QByteArray head = in.read(bytes);
  return head.size() == bytes && out.write(head) == bytes;
}

bool writeText(const QString& path, const QByteArray& text) {
  QFile file(path);
  return file.open(QIODevice::WriteOnly) && file.write(text) == text.size();
}

}  // namespace

class TestDataExchange : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();

  void readsToothScan();
  void readsI13Scan();
  void inspectsRealScans();
  void rowRangeSelectsRows();
  void rowRangeOutsideDetectorIsRejected_data();
  void rowRangeOutsideDetectorIsRejected();

  void scanRoundTrip_data();
  void scanRoundTrip();
  void missingDarkIsAllowed();
  void signedIntegerFramesAndIntegerAngles();
  void framesNeverWrittenAreLeftOut();
  void missingFilterIsNamed();
  void oneFlatOrDarkWithoutFrameAxis();
  void thetaUnits_data();
  void thetaUnits();
  void unstatedThetaUnitsFollowTheValues_data();
  void unstatedThetaUnitsFollowTheValues();
  void oddAnglesAreNoted_data();
  void oddAnglesAreNoted();
  void pixelSizeUnits_data();
  void pixelSizeUnits();
  void invalidScanIsNotWritten_data();
  void invalidScanIsNotWritten();

  void reconstructionRoundTrip();
  void reconstructionKeepsOtherDatasets();
  void reconstructionFileHoldsJustItsVolumes();
  void failedReconstructionWriteLeavesNoFile();

  void malformedFileIsRejected_data();
  void malformedFileIsRejected();
  void hdf5ErrorPrintingIsRestored();
  void tiffStacksRoundTripAndNameWhatIsWrong();
  void everyHdf5HandleIsClosed();  // last: sees what all the tests above left open

 private:
  QString path(const QString& name) const { return m_dir.filePath(name); }
  // Writes the small valid scan to `name` and returns its path.
  QString writeSmallScan(const QString& name, bool u16 = true) const;
  // Builds the malformed file for one case of malformedFileIsRejected.
  bool buildMalformed(const QString& kind, const QString& file) const;

  QTemporaryDir m_dir;
};

void TestDataExchange::initTestCase() {
  TOMOLIVE_REQUIRE_REAL_DATA();
  QVERIFY2(m_dir.isValid(), qPrintable(m_dir.errorString()));
}

QString TestDataExchange::writeSmallScan(const QString& name, bool u16) const {
  const QString file = path(name);
  writeDataExchange(file.toStdString(), smallScan(u16));
  return file;
}

void TestDataExchange::readsToothScan() {
  const RawScan scan = readDataExchange(sharedData("tooth.h5"));
  QCOMPARE(scan.projections, 181);
  QCOMPARE(scan.rows, 2);
  QCOMPARE(scan.columns, 640);
  QCOMPARE(scan.firstRow, 0);
  QCOMPARE(scan.data.size(), std::size_t{181 * 2 * 640});
  QCOMPARE(scan.flatCount(), 10);
  QCOMPARE(scan.darkCount(), 10);
  QCOMPARE(scan.data[at(0, 0, 0, 2, 640)], 26963.25f);
  QCOMPARE(scan.data[at(0, 1, 320, 2, 640)], 6181.5f);
  QCOMPARE(scan.data[at(180, 1, 639, 2, 640)], 27192.0f);
  QCOMPARE(scan.data[at(90, 0, 300, 2, 640)], 11519.75f);
  QCOMPARE(scan.flats[at(0, 0, 0, 2, 640)], 27101.75f);
  QCOMPARE(scan.flats[at(9, 1, 639, 2, 640)], 27168.75f);
  QCOMPARE(scan.darks[at(0, 0, 0, 2, 640)], 103.25f);
  QCOMPARE(scan.darks[at(9, 1, 100, 2, 640)], 99.0f);
  QCOMPARE(scan.thetaRad.size(), std::size_t{181});
  const double degree = std::numbers::pi / 180.0;
  QVERIFY(std::abs(scan.thetaRad[0]) < 1e-15);
  QVERIFY(std::abs(scan.thetaRad[1] - 0.994475138121547 * degree) < 1e-12);
  QVERIFY(std::abs(scan.thetaRad[180] - 179.00552486187846 * degree) < 1e-12);
  QVERIFY(scan.groundTruth.empty());
  QCOMPARE(scan.groundTruthSize, 0);
}

void TestDataExchange::readsI13Scan() {
  const RawScan scan = readDataExchange(sharedData("i13_crop.h5"));
  QCOMPARE(scan.projections, 91);
  QCOMPARE(scan.rows, 135);
  QCOMPARE(scan.columns, 160);
  QCOMPARE(scan.data.size(), std::size_t{91 * 135 * 160});
  QCOMPARE(scan.flatCount(), 1);
  QCOMPARE(scan.darkCount(), 1);
  QCOMPARE(scan.data[at(0, 0, 0, 135, 160)], 0.0f);  // the dead pixel
  QCOMPARE(scan.data[at(0, 67, 80, 135, 160)], 3994.0f);
  QCOMPARE(scan.data[at(90, 134, 159, 135, 160)], 21362.0f);
  QCOMPARE(scan.data[at(45, 100, 10, 135, 160)], 22430.0f);
  QCOMPARE(scan.flats[at(0, 134, 159, 135, 160)], 31274.0f);
  QCOMPARE(scan.darks[at(0, 70, 70, 135, 160)], 93.0f);
  const double degree = std::numbers::pi / 180.0;
  QVERIFY(std::abs(scan.thetaRad[0] - (-88.2 * degree)) < 1e-12);
  QVERIFY(std::abs(scan.thetaRad[1] - (-86.2 * degree)) < 1e-12);
  QVERIFY(std::abs(scan.thetaRad[90] - 91.7999 * degree) < 1e-9);
}

void TestDataExchange::inspectsRealScans() {
  const DataExchangeInfo tooth = inspectDataExchange(sharedData("tooth.h5"));
  QVERIFY2(
      tooth.usable(),
      qPrintable(QString::fromStdString(tooth.problems.empty() ? "" : tooth.problems.front())));
  QCOMPARE(tooth.projections, 181);
  QCOMPARE(tooth.rows, 2);
  QCOMPARE(tooth.columns, 640);
  QCOMPARE(tooth.flats, 10);
  QCOMPARE(tooth.darks, 10);
  QCOMPARE(tooth.thetaMinDeg, 0.0);
  QVERIFY(std::abs(tooth.thetaMaxDeg - 179.00552486187846) < 1e-9);
  QVERIFY(!tooth.thetaInRadians);
  QVERIFY(!tooth.hasGroundTruth);
  QCOMPARE(tooth.nonFiniteData, std::int64_t{0});
  const auto data = std::find_if(tooth.datasets.begin(), tooth.datasets.end(),
                                 [](const DatasetInfo& d) { return d.name == "/exchange/data"; });
  QVERIFY(data != tooth.datasets.end());
  QCOMPARE(data->type, std::string("float32"));
  QVERIFY((data->shape == std::vector<std::int64_t>{181, 2, 640}));

  const DataExchangeInfo i13 = inspectDataExchange(sharedData("i13_crop.h5"));
  QVERIFY(i13.usable());
  QCOMPARE(i13.projections, 91);
  QVERIFY(std::abs(i13.thetaMinDeg - (-88.2)) < 1e-9);
  QVERIFY(std::abs(i13.thetaMaxDeg - 91.7999) < 1e-6);
  bool sawUint16Data = false;
  for (const DatasetInfo& d : i13.datasets) {
    sawUint16Data |= d.name == "/exchange/data" && d.type == "uint16" &&
                     d.shape == std::vector<std::int64_t>{91, 135, 160};
  }
  QVERIFY(sawUint16Data);
}

void TestDataExchange::rowRangeSelectsRows() {
  const std::string file = sharedData("i13_crop.h5");
  const RawScan full = readDataExchange(file);
  const RawScan part = readDataExchange(file, {60, 70});
  QCOMPARE(part.rows, 10);
  QCOMPARE(part.firstRow, 60);
  QCOMPARE(part.projections, 91);
  QCOMPARE(part.columns, 160);
  QCOMPARE(part.data.size(), std::size_t{91 * 10 * 160});
  QCOMPARE(part.flatCount(), 1);
  QCOMPARE(part.darkCount(), 1);
  QCOMPARE(part.thetaRad, full.thetaRad);
  int mismatches = 0;
  for (int p = 0; p < 91; ++p) {
    for (int r = 0; r < 10; ++r) {
      for (int c = 0; c < 160; ++c) {
        mismatches += part.data[at(p, r, c, 10, 160)] != full.data[at(p, 60 + r, c, 135, 160)];
      }
    }
  }
  for (int r = 0; r < 10; ++r) {
    for (int c = 0; c < 160; ++c) {
      mismatches += part.flats[at(0, r, c, 10, 160)] != full.flats[at(0, 60 + r, c, 135, 160)];
      mismatches += part.darks[at(0, r, c, 10, 160)] != full.darks[at(0, 60 + r, c, 135, 160)];
    }
  }
  QCOMPARE(mismatches, 0);
  QCOMPARE(part.data[at(0, 7, 80, 10, 160)], 3994.0f);  // detector row 67

  const RawScan last = readDataExchange(file, {134, -1});
  QCOMPARE(last.rows, 1);
  QCOMPARE(last.firstRow, 134);
  QCOMPARE(last.data[at(90, 0, 159, 1, 160)], 21362.0f);
}

void TestDataExchange::rowRangeOutsideDetectorIsRejected_data() {
  QTest::addColumn<int>("begin");
  QTest::addColumn<int>("end");
  QTest::addColumn<QString>("value");
  QTest::newRow("negative begin") << -1 << 10 << "[-1, 10)";
  QTest::newRow("empty") << 5 << 5 << "[5, 5)";
  QTest::newRow("reversed") << 9 << 3 << "[9, 3)";
  QTest::newRow("past the last row") << 100 << 136 << "[100, 136)";
  QTest::newRow("begin past the end") << 135 << -1 << "[135, -1)";
  QTest::newRow("negative end") << 0 << -5 << "[0, -5)";
}

void TestDataExchange::rowRangeOutsideDetectorIsRejected() {
  QFETCH(int, begin);
  QFETCH(int, end);
  QFETCH(QString, value);
  const QString error = errorOf([&] {
    readDataExchange(sharedData("i13_crop.h5"), RowRange{begin, end});
  });
  QVERIFY2(error.contains("i13_crop.h5: /exchange/data: "), qPrintable(error));
  QVERIFY2(error.contains(value), qPrintable(error));
  QVERIFY2(error.contains("[0, 135)"), qPrintable(error));
}

void TestDataExchange::scanRoundTrip_data() {
  QTest::addColumn<bool>("u16");
  QTest::newRow("uint16") << true;
  QTest::newRow("float32") << false;
}

void TestDataExchange::scanRoundTrip() {
  QFETCH(bool, u16);
  const ScanToWrite written = smallScan(u16);
  const QString file = writeSmallScan(u16 ? "roundtrip_u16.h5" : "roundtrip_f32.h5", u16);
  QVERIFY(!QFile::exists(file + ".tmp"));

  const RawScan scan = readDataExchange(file.toStdString());
  QCOMPARE(scan.projections, kP);
  QCOMPARE(scan.rows, kR);
  QCOMPARE(scan.columns, kC);
  QCOMPARE(scan.data.size(), std::size_t{kP * kR * kC});
  for (std::size_t i = 0; i < scan.data.size(); ++i) {
    const float expected = u16 ? float(written.dataU16[i]) : written.dataF32[i];
    QVERIFY2(
        scan.data[i] == expected || (std::isnan(expected) && std::isnan(scan.data[i])),
        qPrintable(
            QStringLiteral("data[%1] = %2, expected %3").arg(i).arg(scan.data[i]).arg(expected)));
  }
  QCOMPARE(scan.flats, written.flats);
  QCOMPARE(scan.darks, written.darks);
  QCOMPARE(scan.darkCount(), u16 ? 1 : 0);
  QCOMPARE(scan.flatCount(), 2);
  for (int p = 0; p < kP; ++p) {
    QVERIFY(std::abs(scan.thetaRad[p] - written.thetaDeg[p] * std::numbers::pi / 180.0) < 1e-14);
  }
  QCOMPARE(scan.groundTruth, written.groundTruth);
  QCOMPARE(scan.groundTruthSize, kN);
  QVERIFY(scan.attributes == written.attributes);

  // The storage type is kept, and a NaN in the data is counted, not refused.
  const DataExchangeInfo info = inspectDataExchange(file.toStdString());
  QVERIFY(info.usable());
  QVERIFY(info.hasGroundTruth);
  QCOMPARE(info.nonFiniteData, std::int64_t{u16 ? 0 : 1});
  const auto data = std::find_if(info.datasets.begin(), info.datasets.end(),
                                 [](const DatasetInfo& d) { return d.name == "/exchange/data"; });
  QVERIFY(data != info.datasets.end());
  QCOMPARE(data->type, std::string(u16 ? "uint16" : "float32"));

  // Row selection applies to the ground-truth slices too.
  const RawScan part = readDataExchange(file.toStdString(), {1, 3});
  QCOMPARE(part.rows, 2);
  QCOMPARE(part.groundTruth.size(), std::size_t{2 * kN * kN});
  QCOMPARE(part.groundTruth.front(), written.groundTruth[kN * kN]);
  QCOMPARE(part.groundTruth.back(), written.groundTruth.back());
  QCOMPARE(part.flats.front(), written.flats[kC]);
}

void TestDataExchange::missingDarkIsAllowed() {
  const QString file = writeSmallScan("no_dark.h5");
  {
    Hdf5Edit edit(file);
    QVERIFY(edit.ok());
    QVERIFY(edit.remove("/exchange/data_dark"));
  }
  const RawScan scan = readDataExchange(file.toStdString());
  QVERIFY(scan.darks.empty());
  QCOMPARE(scan.darkCount(), 0);
  QCOMPARE(scan.flatCount(), 2);
  const DataExchangeInfo info = inspectDataExchange(file.toStdString());
  QVERIFY(info.usable());
  QCOMPARE(info.darks, 0);
}

void TestDataExchange::thetaUnits_data() {
  QTest::addColumn<QString>("units");
  QTest::addColumn<bool>("radians");
  QTest::newRow("radians") << "radians" << true;
  QTest::newRow("rad") << "rad" << true;
  QTest::newRow("Radian") << "Radian" << true;
  QTest::newRow("degrees") << "degrees" << false;
  QTest::newRow("deg") << "deg" << false;
  QTest::newRow("no units attribute") << QString() << false;
}

void TestDataExchange::thetaUnits() {
  QFETCH(QString, units);
  QFETCH(bool, radians);
  const QString file = writeSmallScan("units.h5");
  {
    Hdf5Edit edit(file);
    QVERIFY(edit.ok());
    QVERIFY(units.isNull() ? edit.removeUnits("/exchange/theta")
                           : edit.setUnits("/exchange/theta", units.toStdString()));
  }
  const RawScan scan = readDataExchange(file.toStdString());
  const double scale = radians ? 1.0 : std::numbers::pi / 180.0;
  for (int p = 0; p < kP; ++p) QCOMPARE(scan.thetaRad[p], 36.0 * p * scale);
  const DataExchangeInfo info = inspectDataExchange(file.toStdString());
  QCOMPARE(info.thetaInRadians, radians);
  QVERIFY(std::abs(info.thetaMaxDeg - (radians ? 144.0 * 180.0 / std::numbers::pi : 144.0)) < 1e-9);
}

// Without a units attribute the values decide: angles within ±4π that are not all equal are
// radians (as degrees they would be a scan of at most 25.1°), anything else degrees. A full turn
// with overscan in radians (0 … 370° = 6.46) was read as a 6.5° scan in degrees.
void TestDataExchange::unstatedThetaUnitsFollowTheValues_data() {
  QTest::addColumn<double>("step");  // between successive angles, as stored
  QTest::addColumn<bool>("radians");
  QTest::newRow("0 … 2.51: radians") << 0.2 * std::numbers::pi << true;
  QTest::newRow("0 … 2π: radians") << 0.5 * std::numbers::pi << true;
  QTest::newRow("0 … 6.46 (370° in radians): radians") << 370.0 / 180.0 * std::numbers::pi / 4
                                                        << true;
  QTest::newRow("0 … 14 (beyond 4π): degrees") << 3.5 << false;
  QTest::newRow("0 … 144: degrees") << 36.0 << false;
  QTest::newRow("all 0: degrees") << 0.0 << false;
}

void TestDataExchange::unstatedThetaUnitsFollowTheValues() {
  QFETCH(double, step);
  QFETCH(bool, radians);
  const QString file = writeSmallScan("unstated.h5");
  std::vector<double> theta(kP);
  for (int p = 0; p < kP; ++p) theta[p] = step * p;
  {
    Hdf5Edit edit(file);
    QVERIFY(edit.ok());
    QVERIFY(edit.replace("/exchange/theta", H5T_IEEE_F64LE, {hsize_t(kP)}, theta.data()));
  }
  const RawScan scan = readDataExchange(file.toStdString());
  const double scale = radians ? 1.0 : std::numbers::pi / 180.0;
  for (int p = 0; p < kP; ++p) QCOMPARE(scan.thetaRad[p], theta[p] * scale);
  const DataExchangeInfo info = inspectDataExchange(file.toStdString());
  QVERIFY(info.usable());
  QCOMPARE(info.thetaInRadians, radians);
  QVERIFY(!info.thetaUnitsStated);
  QVERIFY(std::abs(info.thetaMaxDeg - theta[kP - 1] * (radians ? 180.0 / std::numbers::pi : 1.0)) <
          1e-9);
}

// Angles that cannot be a tomographic scan as read are said (info, recon, replay): all at one
// angle (recon refuses it: pipeline/FileReconstruction), or more than two turns (degrees
// labelled radians, a unit lost); a scan over one or two turns is not.
void TestDataExchange::oddAnglesAreNoted_data() {
  QTest::addColumn<double>("step");  // degrees between projections as stored
  QTest::addColumn<QString>("units");
  QTest::addColumn<QString>("note");  // "" for none
  QTest::newRow("one turn") << 72.0 << "degrees"
                            << "";
  QTest::newRow("two turns") << 144.0 << "degrees"
                             << "";
  QTest::newRow("all at one angle") << 0.0 << "degrees"
                                    << "all 5 projections are at one angle, 0°: nothing to "
                                       "reconstruct";
  QTest::newRow("degrees labelled radians")
      << 36.0 << "rad"
      << "the angles span 22.9 turns (0° … 8250.59°, read in radians (as its "
         "units attribute says))";
  QTest::newRow("thousandths of a degree, no units")
      << 36000.0 << ""
      << "the angles span 400.0 turns (0° … 144000°, read in degrees (inferred";
}

void TestDataExchange::oddAnglesAreNoted() {
  QFETCH(double, step);
  QFETCH(QString, units);
  QFETCH(QString, note);
  QCOMPARE(kP, 5);
  const QString file = writeSmallScan("angles.h5");
  std::vector<double> theta(kP);
  for (int p = 0; p < kP; ++p) theta[p] = step * p;
  {
    Hdf5Edit edit(file);
    QVERIFY(edit.ok());
    QVERIFY(edit.replace("/exchange/theta", H5T_IEEE_F64LE, {hsize_t(kP)}, theta.data()));
    if (!units.isEmpty()) QVERIFY(edit.setUnits("/exchange/theta", units.toStdString()));
  }
  const DataExchangeInfo info = inspectScan(file.toStdString());
  const RawScan scan = readScan(file.toStdString());
  if (note.isEmpty()) {
    QVERIFY2(info.angleNote.empty(), info.angleNote.c_str());
    QVERIFY2(scan.angleNote.empty(), scan.angleNote.c_str());
  } else {
    QVERIFY2(info.angleNote.starts_with(note.toStdString()), info.angleNote.c_str());
    QCOMPARE(scan.angleNote, info.angleNote);
  }
}

// /measurement/instrument/detector/pixel_size: written in micrometres, read in any length unit
// (micrometres without one), absent when the file has none, a bad value named in the error.
void TestDataExchange::pixelSizeUnits_data() {
  QTest::addColumn<QString>("units");
  QTest::addColumn<double>("stored");
  QTest::addColumn<double>("micrometres");  // NaN: none read; < 0: the file is refused
  QTest::newRow("as written (um)") << "@written" << 0.65 << 0.65;
  QTest::newRow("mm") << "mm" << 0.00065 << 0.65;
  QTest::newRow("nm") << "nm" << 650.0 << 0.65;
  QTest::newRow("M, a trailing blank") << "M " << 6.5e-7 << 0.65;
  QTest::newRow("no units attribute: micrometres") << QString() << 1.3 << 1.3;
  QTest::newRow("absent") << "@absent" << 0.0 << std::nan("");
  QTest::newRow("unknown unit") << "furlong" << 1.0 << -1.0;
  QTest::newRow("negative") << "um" << -2.0 << -1.0;
}

void TestDataExchange::pixelSizeUnits() {
  QFETCH(QString, units);
  QFETCH(double, stored);
  QFETCH(double, micrometres);
  const char* name = "/measurement/instrument/detector/pixel_size";
  const QString file = path("pixel.h5");
  ScanToWrite scan = smallScan(true);
  if (units != "@absent") scan.pixelSizeMicrometres = 0.65;
  writeDataExchange(file.toStdString(), scan);
  if (!units.startsWith('@')) {
    Hdf5Edit edit(file);
    QVERIFY(edit.ok());
    QVERIFY(edit.replace(name, H5T_NATIVE_DOUBLE, {1}, &stored));
    if (!units.isNull()) QVERIFY(edit.setUnits(name, units.toStdString()));
  }
  if (micrometres < 0.0) {
    try {
      readDataExchange(file.toStdString());
      QFAIL("a bad pixel size was accepted");
    } catch (const DataExchangeError& e) {
      const QString message = e.what();
      QVERIFY2(message.contains(file) && message.contains(name), qPrintable(message));
      QVERIFY2(message.contains(units) || message.contains("-2"), qPrintable(message));
    }
    return;
  }
  const RawScan read = readDataExchange(file.toStdString());
  if (std::isnan(micrometres)) {
    QVERIFY(!read.pixelSizeMicrometres);
  } else {
    QVERIFY(read.pixelSizeMicrometres);
    QVERIFY2(std::abs(*read.pixelSizeMicrometres - micrometres) < 1e-9,
             qPrintable(QString::number(*read.pixelSizeMicrometres)));
  }
}

void TestDataExchange::invalidScanIsNotWritten_data() {
  QTest::addColumn<QString>("fault");
  QTest::addColumn<QString>("dataset");
  QTest::addColumn<QString>("value");
  QTest::newRow("short data") << "short data"
                              << "/exchange/data"
                              << "59 values";
  QTest::newRow("both data types") << "both data types"
                                   << "/exchange/data"
                                   << "both";
  QTest::newRow("zero rows") << "zero rows"
                             << "/exchange/data"
                             << "5x0x4";
  QTest::newRow("partial flat") << "partial flat"
                                << "/exchange/data_white"
                                << "25 values";
  QTest::newRow("no flats") << "no flats"
                            << "/exchange/data_white"
                            << "0 values";
  QTest::newRow("theta count") << "theta count"
                               << "/exchange/theta"
                               << "4 angles";
  QTest::newRow("theta nan") << "theta nan"
                             << "/exchange/theta"
                             << "nan";
  QTest::newRow("ground truth size") << "ground truth size"
                                     << "/exchange/ground_truth"
                                     << "107";
}

void TestDataExchange::invalidScanIsNotWritten() {
  QFETCH(QString, fault);
  QFETCH(QString, dataset);
  QFETCH(QString, value);
  ScanToWrite scan = smallScan(true);
  if (fault == "short data") scan.dataU16.pop_back();
  if (fault == "both data types") scan.dataF32.assign(scan.dataU16.begin(), scan.dataU16.end());
  if (fault == "zero rows") scan.rows = 0;
  if (fault == "partial flat") scan.flats.push_back(1.0f);
  if (fault == "no flats") scan.flats.clear();
  if (fault == "theta count") scan.thetaDeg.pop_back();
  if (fault == "theta nan") scan.thetaDeg[2] = std::numeric_limits<double>::quiet_NaN();
  if (fault == "ground truth size") scan.groundTruth.pop_back();
  const QString file = path("invalid_" + QString(fault).replace(' ', '_') + ".h5");
  const QString error = errorOf([&] { writeDataExchange(file.toStdString(), scan); });
  QVERIFY2(error.startsWith(file + ": " + dataset + ": "), qPrintable(error));
  QVERIFY2(error.contains(value), qPrintable(error));
  QVERIFY(!QFile::exists(file));
  QVERIFY(!QFile::exists(file + ".tmp"));
}

void TestDataExchange::reconstructionRoundTrip() {
  Reconstruction recon;
  recon.slices = 3;
  recon.size = 5;
  for (int i = 0; i < 3 * 5 * 5; ++i) recon.volume.push_back(std::sin(0.1f * i) - 0.25f);
  recon.attributes = {{"algorithm", std::string("SIRT (warm start)")},
                      {"centre", 295.6},
                      {"iterations", std::int64_t{-42}},
                      {"bigCount", std::int64_t{1} << 40},
                      {"refreshSeconds", std::vector<double>{1.5, 4.0, 0.125}},
                      {"noValues", std::vector<double>{}}};
  const QString file = path("recon.h5");
  writeReconstruction(file.toStdString(), recon);
  QVERIFY(!QFile::exists(file + ".tmp"));

  const Reconstruction read = readReconstruction(file.toStdString());
  QCOMPARE(read.slices, 3);
  QCOMPARE(read.size, 5);
  QCOMPARE(read.volume, recon.volume);
  QCOMPARE(read.attributes.size(), recon.attributes.size());
  for (const auto& [key, value] : recon.attributes) {
    const auto found = read.attributes.find(key);
    QVERIFY2(found != read.attributes.end(), key.c_str());
    QVERIFY2(found->second.index() == value.index(), key.c_str());
    QVERIFY2(found->second == value, key.c_str());
  }
  const DataExchangeInfo info = inspectDataExchange(file.toStdString());
  QCOMPARE(info.datasets.size(), std::size_t{1});
  QCOMPARE(info.datasets.front().name, std::string("/exchange/recon"));
  QCOMPARE(info.datasets.front().type, std::string("float32"));
  QVERIFY((info.datasets.front().shape == std::vector<std::int64_t>{3, 5, 5}));

  const QString error = errorOf([&] { readReconstruction(file.toStdString(), "/exchange/other"); });
  QVERIFY2(error.startsWith(file + ": /exchange/other: "), qPrintable(error));
  QVERIFY2(error.contains("missing"), qPrintable(error));
}

void TestDataExchange::reconstructionKeepsOtherDatasets() {
  const QString file = path("recon_two.h5");
  Reconstruction raw{std::vector<float>(2 * 4 * 4, 1.0f), 2, 4, {{"kind", std::string("raw")}}};
  Reconstruction enhanced{std::vector<float>(2 * 4 * 4, 2.0f), 2, 4, {}};
  writeReconstruction(file.toStdString(), raw);
  writeReconstruction(file.toStdString(), enhanced, "/exchange/recon_enhanced");
  raw.volume.assign(raw.volume.size(), 3.0f);
  writeReconstruction(file.toStdString(), raw);  // replaces /exchange/recon only

  QCOMPARE(readReconstruction(file.toStdString()).volume, raw.volume);
  const Reconstruction second = readReconstruction(file.toStdString(), "/exchange/recon_enhanced");
  QCOMPARE(second.volume, enhanced.volume);
  QVERIFY(second.attributes.empty());
  QVERIFY(!QFile::exists(file + ".tmp"));
}

// `enhance`'s output: a new file with exactly the volumes given, nothing copied from the file it
// replaces; a file that is not HDF5 is kept.
void TestDataExchange::reconstructionFileHoldsJustItsVolumes() {
  const QString file = path("recon_new.h5");
  const Reconstruction old{std::vector<float>(3 * 4 * 4, 7.0f), 3, 4, {}};
  writeReconstruction(file.toStdString(), old, "/exchange/old");
  const Reconstruction raw{
      std::vector<float>(2 * 4 * 4, 1.0f), 2, 4, {{"kind", std::string("raw")}}};
  const Reconstruction enhanced{std::vector<float>(2 * 4 * 4, 2.0f), 2, 4, {}};
  writeReconstructionFile(file.toStdString(),
                          {{"/exchange/recon", raw}, {"/exchange/recon_enhanced", enhanced}});

  const DataExchangeInfo info = inspectDataExchange(file.toStdString());
  QCOMPARE(info.datasets.size(), std::size_t{2});
  const Reconstruction first = readReconstruction(file.toStdString());
  QCOMPARE(first.volume, raw.volume);
  QVERIFY(first.attributes == raw.attributes);
  QCOMPARE(readReconstruction(file.toStdString(), "/exchange/recon_enhanced").volume,
           enhanced.volume);
  QVERIFY(!QFile::exists(file + ".tmp"));

  const QString text = path("notes_new.h5");
  QVERIFY(writeText(text, "not HDF5, keep me\n"));
  const QString error = errorOf([&] {
    writeReconstructionFile(text.toStdString(), {{"/exchange/recon", raw}});
  });
  QVERIFY2(error.contains("not an HDF5 file"), qPrintable(error));
  QVERIFY(!QFile::exists(text + ".tmp"));
}

void TestDataExchange::failedReconstructionWriteLeavesNoFile() {
  const Reconstruction good{std::vector<float>(4 * 4, 0.5f), 1, 4, {}};

  const QString noDirectory = path("no_such_dir/recon.h5");
  QString error = errorOf([&] { writeReconstruction(noDirectory.toStdString(), good); });
  QVERIFY2(error.startsWith(noDirectory + ": /: "), qPrintable(error));
  QVERIFY(!QFile::exists(noDirectory));

  const QString text = path("notes.h5");
  QVERIFY(writeText(text, "not HDF5, keep me\n"));
  error = errorOf([&] { writeReconstruction(text.toStdString(), good); });
  QVERIFY2(error.startsWith(text + ": /: "), qPrintable(error));
  QVERIFY2(error.contains("not an HDF5 file"), qPrintable(error));
  QFile kept(text);
  QVERIFY(kept.open(QIODevice::ReadOnly));
  QCOMPARE(kept.readAll(), QByteArray("not HDF5, keep me\n"));
  QVERIFY(!QFile::exists(text + ".tmp"));

  const QString file = path("recon_fail.h5");
  const Reconstruction wrongSize{std::vector<float>(15, 0.5f), 1, 4, {}};
  error = errorOf([&] { writeReconstruction(file.toStdString(), wrongSize); });
  QVERIFY2(error.startsWith(file + ": /exchange/recon: "), qPrintable(error));
  QVERIFY2(error.contains("15 values"), qPrintable(error));
  QVERIFY(!QFile::exists(file));

  // A failure after the volume is written (an attribute HDF5 refuses) leaves the old file intact.
  writeReconstruction(file.toStdString(), good);
  Reconstruction badAttribute{std::vector<float>(4 * 4, 9.0f), 1, 4, {{"", 1.0}}};
  error = errorOf([&] { writeReconstruction(file.toStdString(), badAttribute); });
  QVERIFY2(error.startsWith(file + ": /exchange/recon: attribute ''"), qPrintable(error));
  QVERIFY(!QFile::exists(file + ".tmp"));
  QCOMPARE(readReconstruction(file.toStdString()).volume, good.volume);
}

void TestDataExchange::malformedFileIsRejected_data() {
  QTest::addColumn<QString>("dataset");
  QTest::addColumn<QString>("value");
  QTest::addColumn<QString>("detectedBy");  // "open": inspect throws; "content": inspect lists it;
                                            // "read": only reading all rows fails
  QTest::newRow("missing file") << "/"
                                << "does not exist"
                                << "open";
  QTest::newRow("text file") << "/"
                             << "not an HDF5 file"
                             << "open";
  QTest::newRow("empty file") << "/"
                              << "not an HDF5 file"
                              << "open";
  QTest::newRow("truncated half") << "/"
                                  << "truncated"
                                  << "open";
  QTest::newRow("truncated head") << "/"
                                  << "truncated"
                                  << "open";
  QTest::newRow("no data") << "/exchange/data"
                           << "missing"
                           << "content";
  QTest::newRow("no white") << "/exchange/data_white"
                            << "missing"
                            << "content";
  QTest::newRow("no theta") << "/exchange/theta"
                            << "missing"
                            << "content";
  QTest::newRow("data is a group") << "/exchange/data"
                                   << "not a dataset"
                                   << "content";
  QTest::newRow("no exchange group") << "/exchange"
                                     << "no such group: neither a Data Exchange scan nor a NeXus "
                                        "NXtomo one"
                                     << "content";
  QTest::newRow("exchange is a dataset") << "/exchange"
                                         << "is a dataset, not the group"
                                         << "content";
  QTest::newRow("data rank 2") << "/exchange/data"
                               << "rank 2 (shape 5x12)"
                               << "content";
  QTest::newRow("white rank 4") << "/exchange/data_white"
                                << "rank 4"
                                << "content";
  QTest::newRow("dark rank 1") << "/exchange/data_dark"
                               << "rank 1"
                               << "content";
  QTest::newRow("theta rank 2") << "/exchange/theta"
                                << "rank 2"
                                << "content";
  QTest::newRow("white shape") << "/exchange/data_white"
                               << "3x5"
                               << "content";
  QTest::newRow("dark shape") << "/exchange/data_dark"
                              << "2x4"
                              << "content";
  QTest::newRow("theta count") << "/exchange/theta"
                               << "4 angles"
                               << "content";
  QTest::newRow("theta nan") << "/exchange/theta"
                             << "theta[2] = nan"
                             << "content";
  QTest::newRow("theta inf") << "/exchange/theta"
                             << "theta[4] = inf"
                             << "content";
  QTest::newRow("theta units") << "/exchange/theta"
                               << "'gradians'"
                               << "content";
  QTest::newRow("data string") << "/exchange/data"
                               << "string"
                               << "content";
  QTest::newRow("data compound") << "/exchange/data"
                                 << "compound"
                                 << "content";
  QTest::newRow("zero projections") << "/exchange/data"
                                    << "no projections"
                                    << "content";
  QTest::newRow("ground truth rows") << "/exchange/ground_truth"
                                     << "2 slices"
                                     << "content";
  QTest::newRow("ground truth not square") << "/exchange/ground_truth"
                                           << "5x6"
                                           << "content";
  QTest::newRow("huge") << "/exchange/data"
                        << "1048576x1024x1024"
                        << "read";
}

bool TestDataExchange::buildMalformed(const QString& kind, const QString& file) const {
  if (kind == "missing file") return true;
  if (kind == "text file") return writeText(file, "this is not HDF5\n");
  if (kind == "empty file") return writeText(file, "");
  const std::string tooth = sharedData("tooth.h5");
  const qint64 toothBytes = QFileInfo(QString::fromStdString(tooth)).size();
  if (kind == "truncated half") return truncatedCopy(tooth, file, toothBytes / 2);
  if (kind == "truncated head") return truncatedCopy(tooth, file, 600);

  writeDataExchange(file.toStdString(), smallScan(true));
  Hdf5Edit edit(file);
  if (!edit.ok()) return false;
  const std::vector<float> floats(kP * kR * kC, 1.0f);
  std::vector<double> theta{0.0, 36.0, 72.0, 108.0, 144.0};
  if (kind == "no data") return edit.remove("/exchange/data");
  if (kind == "no white") return edit.remove("/exchange/data_white");
  if (kind == "no theta") return edit.remove("/exchange/theta");
  if (kind == "data is a group") {
    return edit.remove("/exchange/data") && edit.makeGroup("/exchange/data");
  }
  if (kind == "no exchange group") return edit.remove("/exchange");
  if (kind == "exchange is a dataset")
    return edit.remove("/exchange") && edit.replace("/exchange", H5T_NATIVE_DOUBLE, {3});
  if (kind == "data rank 2") return edit.replace("/exchange/data", H5T_NATIVE_FLOAT, {5, 12});
  if (kind == "white rank 4") {
    return edit.replace("/exchange/data_white", H5T_NATIVE_FLOAT, {2, 3, 4, 1});
  }
  if (kind == "dark rank 1") return edit.replace("/exchange/data_dark", H5T_NATIVE_FLOAT, {12});
  if (kind == "theta rank 2") {
    return edit.replace("/exchange/theta", H5T_NATIVE_DOUBLE, {5, 1}, theta.data());
  }
  if (kind == "white shape") {
    return edit.replace("/exchange/data_white", H5T_NATIVE_FLOAT, {2, 3, 5});
  }
  if (kind == "dark shape") {
    return edit.replace("/exchange/data_dark", H5T_NATIVE_FLOAT, {1, 2, 4});
  }
  if (kind == "theta count") {
    return edit.replace("/exchange/theta", H5T_NATIVE_DOUBLE, {4}, theta.data());
  }
  if (kind == "theta nan" || kind == "theta inf") {
    theta[kind == "theta nan" ? 2 : 4] = kind == "theta nan"
                                             ? std::numeric_limits<double>::quiet_NaN()
                                             : std::numeric_limits<double>::infinity();
    return edit.replace("/exchange/theta", H5T_NATIVE_DOUBLE, {5}, theta.data());
  }
  if (kind == "theta units") return edit.setUnits("/exchange/theta", "gradians");
  if (kind == "data string") {
    Hdf5Datatype text(H5Tcopy(H5T_C_S1));
    return H5Tset_size(text.get(), 8) >= 0 && edit.replace("/exchange/data", text.get(), {5, 3, 4});
  }
  if (kind == "data compound") {
    struct Pixel {
      float value;
      std::int32_t flag;
    };
    Hdf5Datatype pixel(H5Tcreate(H5T_COMPOUND, sizeof(Pixel)));
    return H5Tinsert(pixel.get(), "value", HOFFSET(Pixel, value), H5T_NATIVE_FLOAT) >= 0 &&
           H5Tinsert(pixel.get(), "flag", HOFFSET(Pixel, flag), H5T_NATIVE_INT32) >= 0 &&
           edit.replace("/exchange/data", pixel.get(), {5, 3, 4});
  }
  if (kind == "zero projections") {
    return edit.replace("/exchange/data", H5T_NATIVE_FLOAT, {0, 3, 4}) &&
           edit.replace("/exchange/theta", H5T_NATIVE_DOUBLE, {0});
  }
  if (kind == "ground truth rows") {
    return edit.replace("/exchange/ground_truth", H5T_NATIVE_FLOAT, {2, 6, 6});
  }
  if (kind == "ground truth not square") {
    return edit.replace("/exchange/ground_truth", H5T_NATIVE_FLOAT, {3, 5, 6});
  }
  if (kind == "huge") {  // 2^40 values declared, none stored: chunked and never written
    return edit.remove("/exchange/ground_truth") &&
           edit.replace("/exchange/data", H5T_NATIVE_UINT16, {1u << 20, 1024, 1024}, nullptr,
                        true) &&
           edit.replace("/exchange/data_white", H5T_NATIVE_FLOAT, {1, 1024, 1024}, nullptr, true) &&
           edit.replace("/exchange/data_dark", H5T_NATIVE_FLOAT, {1, 1024, 1024}, nullptr, true) &&
           edit.replace("/exchange/theta", H5T_NATIVE_DOUBLE, {1u << 20}, nullptr, true);
  }
  return false;
}

// Detectors that write signed integers (Pilatus and Eiger: int32; some cameras int16) and angles
// stored as integers read as their values, like the unsigned and float types.
void TestDataExchange::signedIntegerFramesAndIntegerAngles() {
  const QString file = writeSmallScan("signed.h5", true);
  const RawScan before = readDataExchange(file.toStdString());
  {
    Hdf5Edit edit(file);
    QVERIFY(edit.ok());
    const std::vector<std::int16_t> data(before.data.begin(), before.data.end());
    std::vector<std::int32_t> flats;  // the stored 5000.5 + i, whole
    for (float v : before.flats) flats.push_back(std::int32_t(std::floor(v)));
    const std::vector<std::int32_t> theta{0, 36, 72, 108, 144};
    QCOMPARE(int(theta.size()), before.projections);
    const hsize_t p = hsize_t(before.projections), r = hsize_t(before.rows),
                  c = hsize_t(before.columns), f = hsize_t(before.flatCount());
    QVERIFY(edit.replace("/exchange/data", H5T_NATIVE_INT16, {p, r, c}, data.data()));
    QVERIFY(edit.replace("/exchange/data_white", H5T_NATIVE_INT32, {f, r, c}, flats.data()));
    QVERIFY(edit.replace("/exchange/theta", H5T_NATIVE_INT32, {p}, theta.data()));
  }
  const RawScan after = readDataExchange(file.toStdString());
  QCOMPARE(after.dataType, std::string("int16"));
  QCOMPARE(after.data, before.data);
  for (std::size_t i = 0; i < after.flats.size(); ++i)
    QCOMPARE(after.flats[i], std::floor(before.flats[i]));
  for (std::size_t i = 0; i < after.thetaRad.size(); ++i)
    QVERIFY(std::abs(after.thetaRad[i] - before.thetaRad[i]) < 1e-12);
  QVERIFY(inspectDataExchange(file.toStdString()).usable());
}

// A dataset sized for the whole scan by a writer that stopped holds the fill value (0) in the
// frames it never wrote: readScan leaves them out and says which; all of them: an error.
void TestDataExchange::framesNeverWrittenAreLeftOut() {
  const QString file = writeSmallScan("aborted.h5", false);
  const RawScan whole = readScan(file.toStdString());
  QVERIFY(whole.emptyProjections.empty());
  const std::size_t frame = std::size_t(kR) * kC;
  std::vector<float> data = whole.data;
  for (std::size_t i = 0; i < data.size(); ++i)
    if (const std::size_t p = i / frame; p == 1 || p >= 3) data[i] = 0.0f;
  {
    Hdf5Edit edit(file);
    QVERIFY(edit.replace("/exchange/data", H5T_NATIVE_FLOAT, {kP, kR, kC}, data.data()));
  }
  const RawScan read = readScan(file.toStdString());
  QCOMPARE(read.emptyProjections, (std::vector<int>{1, 3, 4}));
  QCOMPARE(read.projections, 2);
  QCOMPARE(read.thetaRad, (std::vector<double>{whole.thetaRad[0], whole.thetaRad[2]}));
  for (std::size_t i = 0; i < frame; ++i) {
    QCOMPARE(read.data[i], whole.data[i]);
    QCOMPARE(read.data[frame + i], whole.data[2 * frame + i]);
  }
  {
    Hdf5Edit edit(file);
    QVERIFY(edit.replace("/exchange/data", H5T_NATIVE_FLOAT, {kP, kR, kC}));  // none written
  }
  const QString error = errorOf([&] { readScan(file.toStdString()); });
  QVERIFY2(error.contains("every one of the 5 projections holds nothing but zeros"),
           qPrintable(error));
}

// A dataset written with a plugin filter this HDF5 lacks (LZF, written by h5py by default in many
// Python tools; bitshuffle, Blosc, Zstandard) is refused naming the filter and what to do. Made
// here by registering a stand-in for LZF's id while writing and unregistering it before reading.
namespace {
std::size_t passThrough(unsigned, std::size_t, const unsigned[], std::size_t bytes, std::size_t*,
                        void**) {
  return bytes;
}
}  // namespace

void TestDataExchange::missingFilterIsNamed() {
  const QString file = writeSmallScan("lzf.h5", true);
  const RawScan plain = readDataExchange(file.toStdString());
  const H5Z_filter_t lzf = 32000;
  const H5Z_class2_t standIn{H5Z_CLASS_T_VERS, lzf,     1,       1,
                             "stand-in",       nullptr, nullptr, passThrough};
  QVERIFY(H5Zregister(&standIn) >= 0);
  {
    Hdf5File f(H5Fopen(file.toLocal8Bit().constData(), H5F_ACC_RDWR, H5P_DEFAULT));
    QVERIFY(H5Ldelete(f.get(), "/exchange/data", H5P_DEFAULT) >= 0);
    const hsize_t dims[3] = {kP, kR, kC}, chunk[3] = {1, kR, kC};
    Hdf5Dataspace space(H5Screate_simple(3, dims, nullptr));
    Hdf5PropertyList create(H5Pcreate(H5P_DATASET_CREATE));
    QVERIFY(H5Pset_chunk(create.get(), 3, chunk) >= 0);
    QVERIFY(H5Pset_filter(create.get(), lzf, H5Z_FLAG_MANDATORY, 0, nullptr) >= 0);
    Hdf5Dataset d(H5Dcreate2(f.get(), "/exchange/data", H5T_NATIVE_FLOAT, space.get(), H5P_DEFAULT,
                             create.get(), H5P_DEFAULT));
    QVERIFY(d.valid());
    QVERIFY(H5Dwrite(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, plain.data.data()) >=
            0);
  }
  QCOMPARE(readDataExchange(file.toStdString()).data, plain.data);  // readable with it
  QVERIFY(H5Zunregister(lzf) >= 0);
  const QString error = errorOf([&] { readDataExchange(file.toStdString()); });
  QVERIFY2(error.contains("/exchange/data: stored with HDF5 filter 32000 (LZF), which this HDF5 "
                          "cannot decode") &&
               error.contains("HDF5_PLUGIN_PATH"),
           qPrintable(error));
  const DataExchangeInfo info = inspectDataExchange(file.toStdString());
  QVERIFY(!info.usable());
}

// One flat or dark image stored as row x column (no frame axis) is one frame.
void TestDataExchange::oneFlatOrDarkWithoutFrameAxis() {
  const QString file = writeSmallScan("flat2d.h5", true);
  const RawScan before = readDataExchange(file.toStdString());
  const std::size_t frame = std::size_t(kR) * kC;
  const std::vector<float> flat(before.flats.begin(), before.flats.begin() + long(frame));
  const std::vector<float> dark(before.darks.begin(), before.darks.begin() + long(frame));
  {
    Hdf5Edit edit(file);
    QVERIFY(edit.replace("/exchange/data_white", H5T_NATIVE_FLOAT, {kR, kC}, flat.data()));
    QVERIFY(edit.replace("/exchange/data_dark", H5T_NATIVE_FLOAT, {kR, kC}, dark.data()));
  }
  const RawScan after = readDataExchange(file.toStdString(), {1, 3});
  QCOMPARE(after.flatCount(), 1);
  QCOMPARE(after.darkCount(), 1);
  for (int r = 1; r < 3; ++r)
    for (int c = 0; c < kC; ++c) {
      QCOMPARE(after.flats[std::size_t(r - 1) * kC + c], flat[std::size_t(r) * kC + c]);
      QCOMPARE(after.darks[std::size_t(r - 1) * kC + c], dark[std::size_t(r) * kC + c]);
    }
  QCOMPARE(inspectDataExchange(file.toStdString()).flats, 1);
}

void TestDataExchange::malformedFileIsRejected() {
  QFETCH(QString, dataset);
  QFETCH(QString, value);
  QFETCH(QString, detectedBy);
  const QString name = QString(QTest::currentDataTag()).replace(' ', '_') + ".h5";
  const QString file = path(name);
  QVERIFY2(buildMalformed(QTest::currentDataTag(), file), "could not build the malformed file");

  QString error;
  const QString printed = stderrOf(
      path("stderr.txt"), [&] { error = errorOf([&] { readDataExchange(file.toStdString()); }); });
  QVERIFY2(error.startsWith(file + ": " + dataset + ": "), qPrintable(error));
  QVERIFY2(error.contains(value), qPrintable(error));
  QVERIFY2(printed.isEmpty(), qPrintable("stderr: " + printed));

  DataExchangeInfo info;
  const QString inspectError = errorOf([&] { info = inspectDataExchange(file.toStdString()); });
  if (detectedBy == "open") {
    QCOMPARE(inspectError, error);
    return;
  }
  QCOMPARE(inspectError, QStringLiteral("<no exception>"));
  if (detectedBy == "read") {
    QVERIFY(info.usable());
    return;
  }
  QVERIFY(!info.usable());
  QCOMPARE(QString::fromStdString(info.problems.front()), error);
}

void TestDataExchange::hdf5ErrorPrintingIsRestored() {
  H5E_auto2_t before = nullptr;
  void* beforeData = nullptr;
  QVERIFY(H5Eget_auto2(H5E_DEFAULT, &before, &beforeData) >= 0);
  QVERIFY(before !=
          nullptr);  // HDF5's default prints: the reader must silence it only while reading
  const QString error = errorOf([] { readDataExchange(sharedData("no_such_file.h5")); });
  QVERIFY2(error.contains("does not exist"), qPrintable(error));
  QVERIFY(!errorOf([] { readDataExchange(sharedData("README.md")); }).isEmpty());
  H5E_auto2_t after = nullptr;
  void* afterData = nullptr;
  QVERIFY(H5Eget_auto2(H5E_DEFAULT, &after, &afterData) >= 0);
  QVERIFY(after == before);
  QVERIFY(afterData == beforeData);
}

// 32-bit float TIFF stacks: every value and the description come back exactly; bad sizes,
// unwritable places, files that are not TIFF and TIFFs of another sample format are named.
void TestDataExchange::tiffStacksRoundTripAndNameWhatIsWrong() {
  const int slices = 3, height = 5, width = 7;
  std::vector<float> volume(std::size_t(slices) * height * width);
  for (std::size_t i = 0; i < volume.size(); ++i) volume[i] = float(std::sin(double(i)) * 1e-3 - 2e-4);
  volume[4] = std::numeric_limits<float>::denorm_min();
  const std::string file = path("stack.tif").toStdString();
  const std::string description = R"({"method":"filtered","update":12})";
  writeTiffStack(file, volume, slices, height, width, description);
  const TiffStack back = readTiffStack(file);
  QCOMPARE(back.slices, slices);
  QCOMPARE(back.height, height);
  QCOMPARE(back.width, width);
  QCOMPARE(back.volume, volume);
  QCOMPARE(back.description, description);

  QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                           writeTiffStack(file, volume, slices, height, width + 1, ""));
  const std::string nowhere = path("no/such/folder/stack.tif").toStdString();
  try {
    writeTiffStack(nowhere, volume, slices, height, width, "");
    QFAIL("a stack was written into a folder that does not exist");
  } catch (const std::runtime_error& e) {
    QVERIFY2(std::string(e.what()).find(nowhere) != std::string::npos, e.what());
  }
  QVERIFY(writeText(path("text.tif"), "this is not a TIFF file\n"));
  try {
    readTiffStack(path("text.tif").toStdString());
    QFAIL("a text file was read as a TIFF stack");
  } catch (const std::runtime_error& e) {
    QVERIFY2(std::string(e.what()).find("text.tif") != std::string::npos, e.what());
  }
  {  // an 8-bit image: not what a reconstruction is
    TIFF* t = TIFFOpen(path("bytes.tif").toStdString().c_str(), "w");
    QVERIFY(t);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 4u);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, 1u);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    std::uint8_t row[4] = {1, 2, 3, 4};
    QVERIFY(TIFFWriteScanline(t, row, 0, 0) >= 0);
    TIFFClose(t);
  }
  try {
    readTiffStack(path("bytes.tif").toStdString());
    QFAIL("an 8-bit TIFF was read as a float stack");
  } catch (const std::runtime_error& e) {
    QVERIFY2(std::string(e.what()).find("not one 32-bit float sample") != std::string::npos,
             e.what());
  }
}

void TestDataExchange::everyHdf5HandleIsClosed() {
  QCOMPARE(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), ssize_t{0});
}

QTEST_APPLESS_MAIN(TestDataExchange)
#include "test_dataexchange.moc"

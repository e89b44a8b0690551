// NeXus NXtomo reader: the real scans rewritten as NXtomo (frames, flats and darks interleaved
// and told apart by image_key, invalid frames among them) in the layouts beamlines write read back
// exactly as the Data Exchange reader reads the originals, through the one entry point that tells
// the format from the content; recon, info and replay accept them; every malformed file gives a
// message naming file, dataset and value, with nothing on stderr.
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <numbers>

#include "CliRun.h"
#include "ErrorCapture.h"
#include "RealData.h"
#include "io/DataExchange.h"
#include "io/Hdf5Handles.h"
#include "io/NexusTomo.h"
#include "io/ScanFile.h"
#include "sim/ScanFile.h"
#include "pipeline/FileReconstruction.h"
#include "sources/SourceFactory.h"

using namespace tomolive;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One NXtomo scan as a beamline stores it: every frame in one stack, a key and an angle each.
struct NxTomoScan {
  int rows = 0, columns = 0;
  std::vector<float> frames;  // [frame][row][column]
  std::vector<std::int32_t> keys;
  std::vector<double> angles;  // as stored, in `units`
  std::string units = "degree";  // none written when empty
  hid_t frameType = H5T_IEEE_F32LE;

  int frameCount() const { return static_cast<int>(keys.size()); }
  void add(const std::vector<float>& from, int index, std::int32_t key, double angle) {
    const std::size_t frame = static_cast<std::size_t>(rows) * columns;
    const auto begin = from.begin() + static_cast<std::ptrdiff_t>(index * frame);
    frames.insert(frames.end(), begin, begin + static_cast<std::ptrdiff_t>(frame));
    keys.push_back(key);
    angles.push_back(angle);
  }
};

// A Data Exchange scan interleaved as beamlines acquire it: half the darks and flats, an invalid
// frame, the first half of the projections, an alignment frame (image_key -1, as ESRF's
// image_key_control has them) and an invalid one, the other flats, the other projections, the
// other darks. Flats and darks carry angles that are not finite or unrelated
// (as files have them), invalid frames hold garbage.
NxTomoScan interleaved(const RawScan& scan, bool radians = false) {
  NxTomoScan nx;
  nx.rows = scan.rows;
  nx.columns = scan.columns;
  const std::vector<float> garbage(static_cast<std::size_t>(scan.rows) * scan.columns, 1e9f);
  const double unit = radians ? std::numbers::pi / 180.0 : 1.0;
  if (radians) nx.units = "rad";
  const auto angle = [&](int p) { return scan.thetaRad[p] / (std::numbers::pi / 180.0) * unit; };
  const int flats = scan.flatCount(), darks = scan.darkCount(), half = scan.projections / 2;
  for (int i = 0; i < darks / 2; ++i) nx.add(scan.darks, i, 2, kNaN);
  for (int i = 0; i < (flats + 1) / 2; ++i) nx.add(scan.flats, i, 1, 0.0);
  nx.add(garbage, 0, 3, kNaN);
  for (int p = 0; p < half; ++p) nx.add(scan.data, p, 0, angle(p));
  nx.add(garbage, 0, -1, 1e6);
  nx.add(garbage, 0, 3, kNaN);
  for (int i = (flats + 1) / 2; i < flats; ++i) nx.add(scan.flats, i, 1, 180.0 * unit);
  for (int p = half; p < scan.projections; ++p) nx.add(scan.data, p, 0, angle(p));
  for (int i = darks / 2; i < darks; ++i) nx.add(scan.darks, i, 2, 180.0 * unit);
  return nx;
}

// How beamlines lay NXtomo out.
enum class Layout {
  Esrf,     // /entry (NXentry, definition NXtomo): instrument/detector data + image_key,
            // sample/rotation_angle, data (NXdata) linking all three — the definition itself
  Diamond,  // /entry1 (NXentry) / tomo_entry (NXsubentry, definition NXtomo): data (NXdata)
            // holding data + rotation_angle, instrument/detector holding image_key
  Plain,    // the definition's paths with no NX_class attribute and no definition
  Renamed,  // /scan_3 (NXentry, no definition): pco (NXdetector) data + image_key, stage
            // (NXsample) rotation_angle: found by NX_class alone
};

// Writing NeXus files with the HDF5 C API (the reader's own helpers are not used to write).
class NexusFile {
 public:
  static NexusFile create(const QString& path) {
    return NexusFile(
        H5Fcreate(path.toLocal8Bit().constData(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  }
  static NexusFile edit(const QString& path) {
    return NexusFile(H5Fopen(path.toLocal8Bit().constData(), H5F_ACC_RDWR, H5P_DEFAULT));
  }

  bool ok() const { return file_.valid(); }

  // A group and its parents; NX_class set on the group when given.
  bool group(const std::string& name, const char* nxClass = nullptr) {
    Hdf5PropertyList link(H5Pcreate(H5P_LINK_CREATE));
    if (H5Pset_create_intermediate_group(link.get(), 1) < 0) return false;
    Hdf5Group group(H5Gcreate2(file_.get(), name.c_str(), link.get(), H5P_DEFAULT, H5P_DEFAULT));
    return group && (nxClass == nullptr || attribute(group.get(), "NX_class", nxClass));
  }

  // Replaces (or creates) a dataset written from `values` in `memoryType`.
  bool dataset(const std::string& name, hid_t fileType, const std::vector<hsize_t>& dims,
               hid_t memoryType, const void* values) {
    if (H5Lexists(file_.get(), name.c_str(), H5P_DEFAULT) > 0 && !remove(name)) return false;
    Hdf5Dataspace space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
    Hdf5Dataset dataset(H5Dcreate2(file_.get(), name.c_str(), fileType, space.get(), H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT));
    return dataset && (values == nullptr || H5Dwrite(dataset.get(), memoryType, H5S_ALL, H5S_ALL,
                                                     H5P_DEFAULT, values) >= 0);
  }

  bool text(const std::string& name, const std::string& value) {
    Hdf5Datatype type(H5Tcopy(H5T_C_S1));
    if (H5Tset_size(type.get(), H5T_VARIABLE) < 0) return false;
    const char* data = value.c_str();
    return dataset(name, type.get(), {1}, type.get(), &data);
  }

  // A fixed-length string attribute, as h5py writes numpy byte strings.
  bool attribute(const std::string& object, const char* key, const std::string& value) {
    Hdf5Object target(H5Oopen(file_.get(), object.c_str(), H5P_DEFAULT));
    return target && attribute(target.get(), key, value);
  }

  bool link(const std::string& target, const std::string& name) {
    return H5Lcreate_soft(target.c_str(), file_.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT) >= 0;
  }

  bool remove(const std::string& name) {
    return H5Ldelete(file_.get(), name.c_str(), H5P_DEFAULT) >= 0;
  }

 private:
  explicit NexusFile(hid_t id) : file_(id) {}

  static bool attribute(hid_t object, const char* key, const std::string& value) {
    if (H5Aexists(object, key) > 0 && H5Adelete(object, key) < 0) return false;
    Hdf5Datatype type(H5Tcopy(H5T_C_S1));
    if (H5Tset_size(type.get(), value.size()) < 0) return false;
    Hdf5Dataspace space(H5Screate(H5S_SCALAR));
    Hdf5Attribute attribute(
        H5Acreate2(object, key, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
    return attribute && H5Awrite(attribute.get(), type.get(), value.data()) >= 0;
  }

  Hdf5File file_;
};

// Where each layout puts the three datasets.
struct NexusPaths {
  std::string frames, imageKey, angle;
};

NexusPaths pathsOf(Layout layout) {
  switch (layout) {
    case Layout::Esrf:
    case Layout::Plain:
      return {"/entry/instrument/detector/data", "/entry/instrument/detector/image_key",
              "/entry/sample/rotation_angle"};
    case Layout::Diamond:
      return {"/entry1/tomo_entry/data/data", "/entry1/tomo_entry/instrument/detector/image_key",
              "/entry1/tomo_entry/data/rotation_angle"};
    case Layout::Renamed:
      return {"/scan_3/pco/data", "/scan_3/pco/image_key", "/scan_3/stage/rotation_angle"};
  }
  return {};
}

bool writeNxTomo(const QString& path, const NxTomoScan& scan, Layout layout) {
  NexusFile file = NexusFile::create(path);
  if (!file.ok()) return false;
  const NexusPaths at = pathsOf(layout);
  const bool classes = layout != Layout::Plain;
  bool ok = true;
  const auto group = [&](const std::string& name, const char* nxClass) {
    ok = ok && file.group(name, classes ? nxClass : nullptr);
  };
  switch (layout) {
    case Layout::Esrf:
    case Layout::Plain:
      group("/entry", "NXentry");
      group("/entry/instrument", "NXinstrument");
      group("/entry/instrument/detector", "NXdetector");
      group("/entry/sample", "NXsample");
      group("/entry/data", "NXdata");
      if (classes) ok = ok && file.text("/entry/definition", "NXtomo");
      break;
    case Layout::Diamond:
      group("/entry1", "NXentry");
      group("/entry1/tomo_entry", "NXsubentry");
      group("/entry1/tomo_entry/instrument", "NXinstrument");
      group("/entry1/tomo_entry/instrument/detector", "NXdetector");
      group("/entry1/tomo_entry/sample", "NXsample");
      group("/entry1/tomo_entry/data", "NXdata");
      group("/entry1/pco1_hw_hdf", "NXdata");  // the detector's own plot, without keys
      ok = ok && file.text("/entry1/tomo_entry/definition", "NXtomo");
      break;
    case Layout::Renamed:
      group("/scan_3", "NXentry");
      group("/scan_3/pco", "NXdetector");
      group("/scan_3/stage", "NXsample");
      break;
  }
  const std::vector<hsize_t> dims{static_cast<hsize_t>(scan.frameCount()),
                                  static_cast<hsize_t>(scan.rows),
                                  static_cast<hsize_t>(scan.columns)};
  const std::vector<hsize_t> perFrame{static_cast<hsize_t>(scan.frameCount())};
  ok = ok && file.dataset(at.frames, scan.frameType, dims, H5T_NATIVE_FLOAT, scan.frames.data()) &&
       file.dataset(at.imageKey, H5T_STD_I32LE, perFrame, H5T_NATIVE_INT32, scan.keys.data()) &&
       file.dataset(at.angle, H5T_IEEE_F64LE, perFrame, H5T_NATIVE_DOUBLE, scan.angles.data()) &&
       (scan.units.empty() || file.attribute(at.angle, "units", scan.units));
  if (layout == Layout::Esrf) {
    ok = ok && file.attribute("/entry/data", "signal", "data") &&
         file.link(at.frames, "/entry/data/data") &&
         file.link(at.imageKey, "/entry/data/image_key") &&
         file.link(at.angle, "/entry/data/rotation_angle");
  }
  if (layout == Layout::Diamond) {
    ok = ok && file.link(at.frames, "/entry1/tomo_entry/instrument/detector/data") &&
         file.link(at.angle, "/entry1/tomo_entry/sample/rotation_angle") &&
         file.link(at.frames, "/entry1/pco1_hw_hdf/data");
  }
  return ok;
}

void compareScans(const RawScan& nexus, const RawScan& exchange) {
  QCOMPARE(nexus.projections, exchange.projections);
  QCOMPARE(nexus.rows, exchange.rows);
  QCOMPARE(nexus.columns, exchange.columns);
  QCOMPARE(nexus.firstRow, exchange.firstRow);
  QCOMPARE(nexus.flatCount(), exchange.flatCount());
  QCOMPARE(nexus.darkCount(), exchange.darkCount());
  QVERIFY(nexus.data == exchange.data);
  QVERIFY(nexus.flats == exchange.flats);
  QVERIFY(nexus.darks == exchange.darks);
  QCOMPARE(nexus.thetaRad.size(), exchange.thetaRad.size());
  for (std::size_t i = 0; i < nexus.thetaRad.size(); ++i) {
    QVERIFY2(std::abs(nexus.thetaRad[i] - exchange.thetaRad[i]) < 1e-12,
             qPrintable(QStringLiteral("theta[%1]: %2 vs %3")
                            .arg(i)
                            .arg(nexus.thetaRad[i])
                            .arg(exchange.thetaRad[i])));
  }
  QVERIFY(nexus.groundTruth.empty());
}

// The small scan every malformed case starts from: 8 frames of 3 × 4 in the ESRF layout.
constexpr int kRows = 3, kColumns = 4;

NxTomoScan smallScan() {
  NxTomoScan nx;
  nx.rows = kRows;
  nx.columns = kColumns;
  nx.keys = {2, 1, 0, 0, 3, 0, 0, 1};
  nx.angles = {kNaN, 0.0, 0.0, 45.0, kNaN, 90.0, 135.0, 180.0};
  for (int i = 0; i < 8 * kRows * kColumns; ++i) nx.frames.push_back(100.0f + i);
  return nx;
}

}  // namespace

class TestNexus : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();

  void toothInEveryLayoutEqualsDataExchange_data();
  void toothInEveryLayoutEqualsDataExchange();
  void i13Uint16RowsEqualDataExchange();
  void anglesInRadians_data();
  void anglesInRadians();
  void formatToldByContentNotName();
  void inspectCountsEveryKind();
  void reconOfNxTomoEqualsDataExchange();
  void cliInfoAndReconAcceptNxTomo();
  void replayDealsTheSameFrames();
  void simulatedScanWrittenAsNxTomo_data();
  void simulatedScanWrittenAsNxTomo();

  void malformedFileIsRejected_data();
  void malformedFileIsRejected();
  void signedIntegerFramesAndIntegerAngles();
  void everyHdf5HandleIsClosed();  // last: sees what all the tests above left open

 private:
  QString path(const QString& name) const { return m_dir.filePath(name); }
  // tooth.h5 rewritten as NXtomo (written once per layout).
  QString toothNexus(Layout layout = Layout::Esrf, const QString& suffix = ".nxs");
  bool buildMalformed(const QString& kind, const QString& file) const;

  QTemporaryDir m_dir;
};

void TestNexus::initTestCase() {
  TOMOLIVE_REQUIRE_REAL_DATA();
  QVERIFY2(m_dir.isValid(), qPrintable(m_dir.errorString()));
}

QString TestNexus::toothNexus(Layout layout, const QString& suffix) {
  const QString file = path(QStringLiteral("tooth_%1%2").arg(int(layout)).arg(suffix));
  if (!QFile::exists(file)) {
    const NxTomoScan nx = interleaved(readDataExchange(realDataFile("tooth.h5")));
    if (!writeNxTomo(file, nx, layout)) return QString();
  }
  return file;
}

void TestNexus::toothInEveryLayoutEqualsDataExchange_data() {
  QTest::addColumn<int>("layout");
  QTest::addColumn<QString>("entry");
  QTest::newRow("ESRF: the definition with NXdata links") << int(Layout::Esrf) << "/entry";
  QTest::newRow("Diamond: NXsubentry, data in NXdata")
      << int(Layout::Diamond) << "/entry1/tomo_entry";
  QTest::newRow("no NX_class attributes") << int(Layout::Plain) << "/entry";
  QTest::newRow("found by NX_class alone") << int(Layout::Renamed) << "/scan_3";
}

void TestNexus::toothInEveryLayoutEqualsDataExchange() {
  QFETCH(int, layout);
  QFETCH(QString, entry);
  const QString file = toothNexus(Layout(layout));
  QVERIFY(!file.isEmpty());
  QCOMPARE(detectScanFormat(file.toStdString()), ScanFormat::NxTomo);
  const RawScan exchange = readDataExchange(realDataFile("tooth.h5"));
  const RawScan nexus = readScan(file.toStdString());
  compareScans(nexus, exchange);
  QCOMPARE(nexus.dataType, std::string("float32"));
  const DataExchangeInfo info = inspectScan(file.toStdString());
  QVERIFY2(info.usable(),
           qPrintable(QString::fromStdString(info.problems.empty() ? "" : info.problems.front())));
  QCOMPARE(QString::fromStdString(info.entry), entry);
}

void TestNexus::i13Uint16RowsEqualDataExchange() {
  const std::string i13 = realDataFile("i13_crop.h5");
  NxTomoScan nx = interleaved(readDataExchange(i13));
  nx.frameType = H5T_STD_U16LE;  // i13's counts, flats and darks are whole numbers
  const QString file = path("i13.nxs");
  QVERIFY(writeNxTomo(file, nx, Layout::Diamond));
  for (const RowRange rows : {RowRange{}, RowRange{40, 60}, RowRange{134, -1}}) {
    const RawScan nexus = readScan(file.toStdString(), rows);
    compareScans(nexus, readDataExchange(i13, rows));
    QCOMPARE(nexus.dataType, std::string("uint16"));
  }
  const QString error = errorOf([&] { readScan(file.toStdString(), {100, 136}); });
  QVERIFY2(error.startsWith(file +
                            ": /entry1/tomo_entry/instrument/detector/data: row range [100, 136)"),
           qPrintable(error));
}

void TestNexus::anglesInRadians_data() {
  QTest::addColumn<QString>("units");
  QTest::newRow("rad") << "rad";
  QTest::newRow("radians") << "radians";
  QTest::newRow("Radian") << "Radian";
  // No units attribute: angles within ±2π are read as radians.
  QTest::newRow("unstated") << "";
}

void TestNexus::anglesInRadians() {
  QFETCH(QString, units);
  const RawScan exchange = readDataExchange(realDataFile("tooth.h5"));
  NxTomoScan nx = interleaved(exchange, true);
  nx.units = units.toStdString();
  const QString file = path("tooth_" + units + ".nxs");
  QVERIFY(writeNxTomo(file, nx, Layout::Esrf));
  compareScans(readScan(file.toStdString()), exchange);
  const DataExchangeInfo info = inspectScan(file.toStdString());
  QVERIFY(info.thetaInRadians);
  QCOMPARE(info.thetaUnitsStated, !units.isEmpty());
  QVERIFY(std::abs(info.thetaMaxDeg - 179.00552486187846) < 1e-9);
}

void TestNexus::formatToldByContentNotName() {
  const QString nexusNamedH5 = toothNexus(Layout::Esrf, ".h5");
  QCOMPARE(detectScanFormat(nexusNamedH5.toStdString()), ScanFormat::NxTomo);
  compareScans(readScan(nexusNamedH5.toStdString()), readDataExchange(realDataFile("tooth.h5")));

  const QString exchangeNamedNxs = path("tooth_exchange.nxs");
  QVERIFY(QFile::copy(QString::fromStdString(realDataFile("tooth.h5")), exchangeNamedNxs));
  QCOMPARE(detectScanFormat(exchangeNamedNxs.toStdString()), ScanFormat::DataExchange);
  compareScans(readScan(exchangeNamedNxs.toStdString()),
               readDataExchange(realDataFile("tooth.h5")));
  QCOMPARE(inspectScan(exchangeNamedNxs.toStdString()).format, std::string("Data Exchange"));
  QCOMPARE(inspectScan(exchangeNamedNxs.toStdString()).formatNote, std::string());

  // Both: /exchange is read, and both inspect and read say that the NeXus entry is not.
  {
    NexusFile both = NexusFile::edit(exchangeNamedNxs);
    QVERIFY(both.ok() && both.group("/entry", "NXentry"));
  }
  const std::string note =
      "the file holds both a Data Exchange scan (/exchange) and a NeXus entry: /exchange is "
      "read, the NeXus entry is not";
  QCOMPARE(detectScanFormat(exchangeNamedNxs.toStdString()), ScanFormat::DataExchange);
  QCOMPARE(inspectScan(exchangeNamedNxs.toStdString()).formatNote, note);
  const RawScan both = readScan(exchangeNamedNxs.toStdString());
  QCOMPARE(both.formatNote, note);
  compareScans(both, readDataExchange(realDataFile("tooth.h5")));

  // Neither: said so, not labelled Data Exchange.
  const QString neither = path("neither.h5");
  {
    NexusFile file = NexusFile::create(neither);
    QVERIFY(file.ok() && file.group("/measurement"));
  }
  const DataExchangeInfo none = inspectScan(neither.toStdString());
  QCOMPARE(none.format, std::string("neither Data Exchange nor NXtomo"));
  QCOMPARE(none.problems.size(), std::size_t(1));
}

void TestNexus::inspectCountsEveryKind() {
  const DataExchangeInfo info = inspectScan(toothNexus().toStdString());
  QCOMPARE(info.format, std::string("NXtomo"));
  QCOMPARE(info.projections, 181);
  QCOMPARE(info.flats, 10);
  QCOMPARE(info.darks, 10);
  QCOMPARE(info.invalidFrames, 2);
  QCOMPARE(info.alignmentFrames, 1);
  QCOMPARE(info.rows, 2);
  QCOMPARE(info.columns, 640);
  QCOMPARE(info.thetaMinDeg, 0.0);  // the flats' 180° and the alignment 1e6° are not projections
  QVERIFY(std::abs(info.thetaMaxDeg - 179.00552486187846) < 1e-9);
  QVERIFY(!info.thetaInRadians);
  QCOMPARE(info.nonFiniteData, std::int64_t{0});
  const auto data = std::find_if(info.datasets.begin(), info.datasets.end(), [](const auto& d) {
    return d.name == "/entry/instrument/detector/data";
  });
  QVERIFY(data != info.datasets.end());
  QVERIFY((data->shape == std::vector<std::int64_t>{204, 2, 640}));
}

void TestNexus::reconOfNxTomoEqualsDataExchange() {
  FileReconOptions options;
  options.iterations = 20;
  const FileReconResult exchange = reconstructFile(realDataFile("tooth.h5"), options);
  const FileReconResult nexus = reconstructFile(toothNexus(Layout::Diamond).toStdString(), options);
  QCOMPARE(nexus.centre, exchange.centre);
  QCOMPARE(nexus.projections, 181);
  QCOMPARE(nexus.recon.slices, exchange.recon.slices);
  QCOMPARE(nexus.recon.size, exchange.recon.size);
  QVERIFY(nexus.recon.volume == exchange.recon.volume);
  QCOMPARE(nexus.history.back().weightedResidual, exchange.history.back().weightedResidual);
}

void TestNexus::cliInfoAndReconAcceptNxTomo() {
  const QString file = toothNexus();
  const CliRun info = runCli({"info", file, "--json"});
  QCOMPARE(info.exitCode, 0);
  QVERIFY2(info.err.isEmpty(), qPrintable(info.err));
  QCOMPARE(json(info)["format"].toString(), QStringLiteral("NXtomo"));
  QCOMPARE(json(info)["entry"].toString(), QStringLiteral("/entry"));
  QCOMPARE(json(info)["projections"].toInt(), 181);
  QCOMPARE(json(info)["invalid_frames"].toInt(), 2);
  QCOMPARE(json(info)["alignment_frames"].toInt(), 1);
  QCOMPARE(json(info)["usable"].toBool(), true);
  const CliRun text = runCli({"info", file});
  QVERIFY2(text.out.contains("note: 1 alignment frames (image_key -1) are skipped"),
           qPrintable(text.out));

  const CliRun nexus = runCli({"recon", file, "--iterations", "5", "--json"});
  const CliRun exchange = runCli(
      {"recon", QString::fromStdString(realDataFile("tooth.h5")), "--iterations", "5", "--json"});
  QCOMPARE(nexus.exitCode, 0);
  QCOMPARE(exchange.exitCode, 0);
  QCOMPARE(json(nexus)["projections"].toInt(), 181);
  QCOMPARE(json(nexus)["center"].toDouble(), json(exchange)["center"].toDouble());
  QCOMPARE(json(nexus)["residual_last"].toDouble(), json(exchange)["residual_last"].toDouble());

  const QString broken = path("cli_broken.nxs");
  QVERIFY(buildMalformed("no image_key", broken));
  const CliRun refused = runCli({"recon", broken});
  QCOMPARE(refused.exitCode, 2);
  QVERIFY2(refused.err.startsWith("tomolive-cli recon: " + broken +
                                  ": /entry/instrument/detector/image_key: required"),
           qPrintable(refused.err));
  QVERIFY2(!refused.err.contains("HDF5-DIAG"), qPrintable(refused.err));
}

void TestNexus::replayDealsTheSameFrames() {
  // The console and `stream --source file:…` make their replay here.
  const auto replay = [](const std::string& file) {
    SourceSpec spec;
    spec.uri = "file:" + file;
    return makeSource(spec);
  };
  const std::unique_ptr<FrameSource> exchange = replay(realDataFile("tooth.h5"));
  const std::unique_ptr<FrameSource> nexus = replay(toothNexus().toStdString());
  QCOMPARE(nexus->describe().projections, 181);
  QCOMPARE(nexus->describe().rows, 2);
  int frames = 0;
  for (;;) {
    const std::optional<Frame> a = exchange->next(std::chrono::milliseconds(1000));
    const std::optional<Frame> b = nexus->next(std::chrono::milliseconds(1000));
    QCOMPARE(a.has_value(), b.has_value());
    if (!a) break;
    QCOMPARE(int(b->kind), int(a->kind));
    QCOMPARE(b->angleRad, a->angleRad);
    QCOMPARE(int(b->type), int(a->type));
    QVERIFY(b->pixels == a->pixels);
    ++frames;
  }
  QCOMPARE(frames, 10 + 10 + 181);
}

// `simulate --format nxtomo` (writeNxTomo): the same frames, angles and kinds as the Data Exchange
// file of the same scan, uint16 for noisy counts and float32 for noise-free ones; told NXtomo by
// its content; the CLI picks the format from an .nxs name.
void TestNexus::simulatedScanWrittenAsNxTomo_data() {
  QTest::addColumn<double>("photons");
  QTest::addRow("noisy, uint16") << 5000.0;
  QTest::addRow("noise-free, float32") << 0.0;
}

void TestNexus::simulatedScanWrittenAsNxTomo() {
  QFETCH(double, photons);
  ScanSpec spec;
  spec.phantom = PhantomKind::Shale;
  spec.size = 48;
  spec.slices = 4;
  spec.acquisition = parseAcquisitionOrder("interlaced:8", 32);
  spec.photons = photons;
  spec.seed = 3;
  const std::string nexus = path("simulated.nxs").toStdString();
  const std::string exchange = path("simulated.h5").toStdString();
  const auto a = writeSimulatedScan(spec, nexus, ScanFormat::NxTomo);
  const auto b = writeSimulatedScan(spec, exchange, ScanFormat::DataExchange);
  QCOMPARE(a.dataType, b.dataType);
  QCOMPARE(a.dataType, std::string(photons > 0 ? "uint16" : "float32"));
  QVERIFY(isNxTomoFile(nexus));
  RawScan exchangeScan = readDataExchange(exchange);
  exchangeScan.groundTruth.clear();  // NXtomo has none
  compareScans(readScan(nexus), exchangeScan);
  const DataExchangeInfo info = inspectScan(nexus);
  QCOMPARE(info.format, std::string("NXtomo"));
  QVERIFY(info.problems.empty());
  const CliRun cli = runCli({"simulate", "--size", "32", "--slices", "2", "--projections", "20",
                             "-o", path("cli.nxs"), "--overwrite", "--json"});
  QVERIFY2(cli.exitCode == 0, qPrintable(cli.err));
  QCOMPARE(json(cli)["format"].toString(), QString("nxtomo"));
  QVERIFY(isNxTomoFile(path("cli.nxs").toStdString()));
}

void TestNexus::malformedFileIsRejected_data() {
  QTest::addColumn<QString>("dataset");
  QTest::addColumn<QString>("value");
  const QString key = "/entry/instrument/detector/image_key";
  const QString angle = "/entry/sample/rotation_angle";
  const QString data = "/entry/instrument/detector/data";
  QTest::newRow("no image_key") << key << "required dataset is missing";
  QTest::newRow("image_key too short") << key << "holds 7 keys, but " + data + " holds 8 frames";
  QTest::newRow("image_key rank 2") << key << "rank 2 (shape 8x1)";
  QTest::newRow("image_key float") << key << "unsupported type float32 (expected an integer type)";
  QTest::newRow("image_key value 5") << key << "image_key[3] = 5 is not 0";
  QTest::newRow("no projections") << key << "no projections: no frame has image_key 0";
  QTest::newRow("no flats") << key << "no flat fields: no frame has image_key 1";
  QTest::newRow("no rotation_angle") << angle << "required dataset is missing";
  QTest::newRow("rotation_angle too long") << angle << "holds 9 angles, but " + data;
  QTest::newRow("rotation_angle nan") << angle << "rotation_angle[5] = nan is not a finite angle";
  QTest::newRow("rotation_angle units") << angle << "'gradians'";
  QTest::newRow("no data") << data << "required dataset is missing";
  QTest::newRow("data rank 2") << data << "rank 2 (shape 8x12)";
  QTest::newRow("data compound") << data << "unsupported type compound";
  QTest::newRow("zero frames") << data << "holds no frames";
  QTest::newRow("dangling data link") << "/entry/data/data"
                                      << "exists but is not a dataset";
  QTest::newRow("no NXtomo entry") << "/"
                                   << "no NXtomo entry";
  QTest::newRow("two NXtomo entries") << "/"
                                      << "2 NXtomo entries (/entry, /entry_b)";
  QTest::newRow("truncated") << "/"
                             << "truncated";
}

bool TestNexus::buildMalformed(const QString& kind, const QString& file) const {
  NxTomoScan nx = smallScan();
  if (kind == "truncated") {
    const QString whole = file + ".whole";
    if (!writeNxTomo(whole, nx, Layout::Esrf)) return false;
    QFile in(whole), out(file);
    if (!in.open(QIODevice::ReadOnly) || !out.open(QIODevice::WriteOnly)) return false;
    const QByteArray head = in.read(in.size() / 2);
    return out.write(head) == head.size();
  }
  // Cases written as they are, with no edit afterwards.
  bool written = true;
  if (kind == "no projections") {
    nx.keys = {2, 1, 1, 1, 3, 1, 2, 1};
  } else if (kind == "no flats") {
    nx.keys = {2, 0, 0, 0, 3, 0, 0, 2};
  } else if (kind == "rotation_angle nan") {
    nx.angles[5] = kNaN;
  } else if (kind == "rotation_angle units") {
    nx.units = "gradians";
  } else {
    written = false;
  }
  if (!writeNxTomo(file, nx, Layout::Esrf)) return false;
  if (written) return true;

  NexusFile edit = NexusFile::edit(file);
  const std::string key = "/entry/instrument/detector/image_key";
  const std::string angle = "/entry/sample/rotation_angle";
  const std::string data = "/entry/instrument/detector/data";
  const std::vector<std::int32_t> keys{2, 1, 0, 5, 3, 0, 0, 1};
  const std::vector<double> angles(9, 10.0);
  if (kind == "no image_key") return edit.remove(key) && edit.remove("/entry/data/image_key");
  if (kind == "image_key too short") {
    return edit.dataset(key, H5T_STD_I32LE, {7}, H5T_NATIVE_INT32, keys.data());
  }
  if (kind == "image_key rank 2") {
    return edit.dataset(key, H5T_STD_I32LE, {8, 1}, H5T_NATIVE_INT32, keys.data());
  }
  if (kind == "image_key float") {
    return edit.dataset(key, H5T_IEEE_F32LE, {8}, H5T_NATIVE_INT32, keys.data());
  }
  if (kind == "image_key value 5") {
    return edit.dataset(key, H5T_STD_U8LE, {8}, H5T_NATIVE_INT32, keys.data());
  }
  if (kind == "no rotation_angle")
    return edit.remove(angle) && edit.remove("/entry/data/rotation_angle");
  if (kind == "rotation_angle too long") {
    return edit.dataset(angle, H5T_IEEE_F32LE, {9}, H5T_NATIVE_DOUBLE, angles.data());
  }
  if (kind == "no data") return edit.remove(data) && edit.remove("/entry/data/data");
  if (kind == "data rank 2") {
    return edit.dataset(data, H5T_IEEE_F32LE, {8, 12}, H5T_NATIVE_FLOAT, nx.frames.data());
  }
  if (kind == "data compound") {
    Hdf5Datatype pixel(H5Tcreate(H5T_COMPOUND, 8));
    return H5Tinsert(pixel.get(), "value", 0, H5T_NATIVE_FLOAT) >= 0 &&
           H5Tinsert(pixel.get(), "flag", 4, H5T_NATIVE_INT32) >= 0 &&
           edit.dataset(data, pixel.get(), {8, 3, 4}, pixel.get(), nullptr);
  }
  if (kind == "zero frames") {
    return edit.dataset(data, H5T_IEEE_F32LE, {0, 3, 4}, H5T_NATIVE_FLOAT, nullptr);
  }
  if (kind == "dangling data link") {
    return edit.remove(data) && edit.remove("/entry/data/data") &&
           edit.link("/entry/instrument/detector/frames", "/entry/data/data");
  }
  if (kind == "no NXtomo entry") {
    return edit.remove("/entry/definition") && edit.remove("/entry/data") && edit.remove(key) &&
           edit.remove(data);
  }
  if (kind == "two NXtomo entries") {
    return edit.group("/entry_b", "NXentry") && edit.text("/entry_b/definition", "NXtomo");
  }
  return false;
}

void TestNexus::malformedFileIsRejected() {
  QFETCH(QString, dataset);
  QFETCH(QString, value);
  const QString file = path(QString(QTest::currentDataTag()).replace(' ', '_') + ".nxs");
  QVERIFY2(buildMalformed(QTest::currentDataTag(), file), "could not build the malformed file");

  QString error;
  const QString printed =
      stderrOf(path("stderr.txt"), [&] { error = errorOf([&] { readScan(file.toStdString()); }); });
  QVERIFY2(error.startsWith(file + ": " + dataset + ": "), qPrintable(error));
  QVERIFY2(error.contains(value), qPrintable(error));
  QVERIFY2(printed.isEmpty(), qPrintable("stderr: " + printed));

  DataExchangeInfo info;
  const QString inspectError = errorOf([&] { info = inspectScan(file.toStdString()); });
  if (QTest::currentDataTag() == QStringLiteral("truncated")) {
    QCOMPARE(inspectError, error);
    return;
  }
  QCOMPARE(inspectError, QStringLiteral("<no exception>"));
  QCOMPARE(info.format, std::string("NXtomo"));
  QVERIFY(!info.usable());
  QCOMPARE(QString::fromStdString(info.problems.front()), error);
}

// Frames stored as signed integers (Pilatus, Eiger: int32; int16) and angles stored as integers
// read as their values.
void TestNexus::signedIntegerFramesAndIntegerAngles() {
  const QString plain = path("plain.nxs"), integers = path("integers.nxs");
  NxTomoScan nx = smallScan();
  for (double& a : nx.angles)
    if (std::isnan(a)) a = 0.0;  // integers have no NaN; flats' and darks' angles are ignored
  QVERIFY(writeNxTomo(plain, nx, Layout::Esrf));
  QVERIFY(writeNxTomo(integers, nx, Layout::Esrf));
  {
    NexusFile edit = NexusFile::edit(integers);
    std::vector<std::int32_t> angles(nx.angles.begin(), nx.angles.end());
    QVERIFY(edit.dataset("/entry/sample/rotation_angle", H5T_STD_I32LE, {8}, H5T_NATIVE_INT32,
                         angles.data()));
    QVERIFY(edit.dataset("/entry/instrument/detector/data", H5T_STD_I16BE, {8, 3, 4},
                         H5T_NATIVE_FLOAT, nx.frames.data()));
  }
  const RawScan expected = readScan(plain.toStdString()), got = readScan(integers.toStdString());
  QCOMPARE(got.dataType, std::string("int16"));
  QCOMPARE(got.data, expected.data);
  QCOMPARE(got.flats, expected.flats);
  QCOMPARE(got.thetaRad, expected.thetaRad);
}

void TestNexus::everyHdf5HandleIsClosed() {
  QCOMPARE(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), ssize_t{0});
}

QTEST_APPLESS_MAIN(TestNexus)
#include "test_nexus.moc"

// tomolive-cli end to end, as a scientist or a script would run it: simulate → info → recon
// with JSON summaries, and bad input turned into one line on stderr with exit code 2.
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>

#include "CliRun.h"
#include "RealData.h"
#include "geometry/ParallelGeometry.h"
#include "io/DataExchange.h"

using namespace Qt::StringLiterals;

namespace {

// The CLI under a file-size limit of `kib` KiB (ulimit -f), SIGXFSZ ignored as a shell
// script on a quota'd disk would see it: writes past the limit fail with EFBIG.
CliRun cliLimited(int kib, const QStringList& args) {
  QStringList quoted;
  for (const QString& a : args) quoted << u"'"_s + a + u"'"_s;
  return runProcess(u"/bin/bash"_s, {u"-c"_s, u"ulimit -f %1; trap '' XFSZ; exec '%2' %3"_s.arg(kib)
                                                  .arg(QStringLiteral(TOMOLIVE_CLI_PATH))
                                                  .arg(quoted.join(u' '))});
}

// `stream --record` of 2000 simulated projections (4 KiB frames, 7.8 MiB) under a 6000 KiB
// file-size limit, with a reserve of `reserveMiB`.
CliRun streamUnderFileSizeLimit(const QString& record, const QString& reserveMiB) {
  return cliLimited(6000, {"stream", "--source", "sim:glass", "--size", "128", "--rows", "16",
                           "--projections", "2000", "--window", "250", "--record", record,
                           "--record-reserve", reserveMiB, "--json"});
}

// A scan of 2 rows × `columns` at `thetaDeg`, every count half its flat.
// counts 1000 under flats of `flat` (and no darks), with `attributes` on /exchange
void writeFlatScan(const QString& file, int columns, const std::vector<double>& thetaDeg,
                   float flat = 2000.0f,
                   std::map<std::string, tomolive::Attribute> attributes = {}) {
  tomolive::ScanToWrite scan;
  scan.attributes = std::move(attributes);
  scan.projections = int(thetaDeg.size()), scan.rows = 2, scan.columns = columns;
  scan.dataU16.assign(thetaDeg.size() * 2 * std::size_t(columns), 1000);
  scan.flats.assign(std::size_t(2) * columns, flat);
  scan.thetaDeg = thetaDeg;
  tomolive::writeDataExchange(file.toStdString(), scan);
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;
  QString path(const QString& name) const { return m_dir.filePath(name); }
#ifdef TOMOLIVE_MPIEXEC
  // Open MPI refuses root and more ranks than cores unless told (CI: root, 2 cores).
  // Starts `mpirun -np 2 tomolive-cli stream` of a paced simulated scan (64² × 4 rows, glass,
  // W = 16, 300 frames/s, `projections` long) with `extra` arguments.
  static void startMpiStream(QProcess& p, const QProcessEnvironment& environment, int projections,
                             const QStringList& extra) {
    p.setProcessEnvironment(environment);
    p.start(QStringLiteral(TOMOLIVE_MPIEXEC),
            QStringList{"-np", "2", QStringLiteral(TOMOLIVE_CLI_PATH), "stream", "--source",
                        "sim:glass", "--size", "64", "--rows", "4", "--projections",
                        QString::number(projections), "--window", "16", "--rate", "300"} +
                extra);
  }
  static CliRun mpirun(int ranks, const QStringList& args) {
    return runProcess(QStringLiteral(TOMOLIVE_MPIEXEC),
                      QStringList{"-np", QString::number(ranks), QStringLiteral(TOMOLIVE_CLI_PATH)} + args,
                      mpiEnvironment());
  }
#endif

 private slots:
  void simulateInfoRecon() {
    const CliRun sim = runCli({"simulate", "--phantom", "shepp-logan", "--size", "96", "--slices",
                               "4", "--projections", "120", "--order", "interlaced:30", "--photons",
                               "20000", "--seed", "3", "-o", path("scan.h5"), "--json"});
    QVERIFY2(sim.exitCode == 0, qPrintable(sim.err));
    QCOMPARE(json(sim)["data_type"].toString(), u"uint16"_s);

    const CliRun info = runCli({"info", path("scan.h5"), "--json"});
    QVERIFY2(info.exitCode == 0, qPrintable(info.err));
    const QJsonObject i = json(info);
    QCOMPARE(i["projections"].toInt(), 120);
    QCOMPARE(i["rows"].toInt(), 4);
    QCOMPARE(i["columns"].toInt(), 96);
    QVERIFY(i["has_ground_truth"].toBool());
    QVERIFY(i["usable"].toBool());
    QCOMPARE(i["theta_units"].toString(), u"degrees"_s);  // as the simulator states them
    QVERIFY(i["theta_units_stated"].toBool());
    QCOMPARE(i["rotation_center"].toDouble(), 47.5);  // stated by the file, as recon takes it

    const CliRun recon =
        runCli({"recon", path("scan.h5"), "--iterations", "60", "-o", path("recon.h5"), "--json"});
    QVERIFY2(recon.exitCode == 0, qPrintable(recon.err));
    const QJsonObject r = json(recon);
    QCOMPARE(r["iterations"].toInt(), 60);
    // The file states its rotation centre (simulate writes rotation_center = (96 − 1) / 2, which
    // the estimate only approaches): recon takes it exactly, as a replay of the file does.
    QCOMPARE(r["center_source"].toString(), u"file"_s);
    QCOMPARE(r["center"].toDouble(), 47.5);
    QVERIFY(r["seconds"].toDouble() > 0.0);
    QVERIFY2(r["ssim"].toDouble() > 0.6, qPrintable(u"SSIM %1"_s.arg(r["ssim"].toDouble())));
    QVERIFY(r["psnr"].toDouble() > 15.0);
    QVERIFY(r["residual_last"].toDouble() < r["residual_first"].toDouble());
    // info on the result: a reconstruction file, its volume (it said every scan dataset was
    // missing, exit 2).
    const CliRun resultInfo = runCli({"info", path("recon.h5"), "--json"});
    QVERIFY2(resultInfo.exitCode == 0, qPrintable(resultInfo.err));
    const QJsonObject ri = json(resultInfo);
    QCOMPARE(ri["kind"].toString(), u"reconstruction"_s);
    QCOMPARE(ri["volumes"].toArray().first().toObject()["slices"].toInt(), 4);
    QCOMPARE(ri["volumes"].toArray().first().toObject()["size"].toInt(), 96);
    // Binned, the truth is compared in the reconstruction's unit (attenuation per binned pixel,
    // twice the unbinned values): it scores like the unbinned image, not NRMSE ≈ 1 (the truth
    // was once compared unscaled: SSIM 0.66, PSNR 10 dB where unbinned gave 0.94, 26 dB).
    const CliRun binned = runCli({"recon", path("scan.h5"), "--iterations", "60", "--binning", "2",
                                  "-o", path("recon_binned.h5"), "--json"});
    QVERIFY2(binned.exitCode == 0, qPrintable(binned.err));
    const QJsonObject b = json(binned);
    QVERIFY(b.contains("ssim") && b.contains("nrmse"));  // the file has a ground truth
    QVERIFY2(
        b["ssim"].toDouble() > r["ssim"].toDouble() - 0.05,
        qPrintable(
            u"SSIM binned %1, unbinned %2"_s.arg(b["ssim"].toDouble()).arg(r["ssim"].toDouble())));
    QVERIFY2(b["nrmse"].toDouble() < 0.5, qPrintable(u"NRMSE %1"_s.arg(b["nrmse"].toDouble())));
    // The centre given, in either spelling, is the one used (the estimate above is ≈ 47.5).
    const CliRun given = runCli({"recon", path("scan.h5"), "--iterations", "5", "--centre", "47.25",
                                 "-o", path("recon_given.h5"), "--json"});
    QVERIFY2(given.exitCode == 0, qPrintable(given.err));
    QCOMPARE(json(given)["center"].toDouble(), 47.25);

    // The reconstruction file is itself a readable file with its parameters.
    const CliRun again = runCli({"recon", path("scan.h5"), "--iterations", "2", "--center", "47.5",
                                 "--slices", "1:3", "--json"});
    QVERIFY2(again.exitCode == 0, qPrintable(again.err));
    QCOMPARE(json(again)["slices"].toInt(), 2);
    QCOMPARE(json(again)["center_estimated"].toBool(), false);
  }

  void humanReadableRecon() {
    const CliRun sim = runCli({"simulate", "--phantom", "glass", "--size", "64", "--slices", "2",
                               "--projections", "90", "--photons", "0", "-o", path("glass.h5")});
    QVERIFY2(sim.exitCode == 0, qPrintable(sim.err));
    const CliRun recon = runCli({"recon", path("glass.h5"), "--iterations", "5"});
    QVERIFY2(recon.exitCode == 0, qPrintable(recon.err));
    QVERIFY2(recon.out.contains(u"centre"_s) && recon.out.contains(u"SSIM"_s),
             qPrintable(recon.out));
  }

  void badInput_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");  // must appear in the one stderr line
    { std::ofstream(path("text.h5").toStdString()) << "this is not HDF5\n"; }
    QTest::newRow("missing file") << QStringList{"recon", path("nothing.h5")} << u"nothing.h5"_s;
    QTest::newRow("not HDF5") << QStringList{"recon", path("text.h5")} << u"text.h5"_s;
    QTest::newRow("info not HDF5") << QStringList{"info", path("text.h5")} << u"text.h5"_s;
    QTest::newRow("unknown option")
        << QStringList{"recon", path("x.h5"), "--itrations", "5"} << u"--itrations"_s;
    QTest::newRow("zero iterations")
        << QStringList{"recon", path("x.h5"), "--iterations", "0"} << u"iterations"_s;
    QTest::newRow("stream iterations neither a number nor auto")
        << QStringList{"stream", "--source", "sim:glass", "--iterations", "many"}
        << u"--iterations: many is neither a whole number in 1 … 10000 nor auto"_s;
    QTest::newRow("stream zero iterations")
        << QStringList{"stream", "--source", "sim:glass", "--iterations", "0"}
        << u"--iterations: 0 is neither"_s;
    QTest::newRow("stream auto iterations and auto-steering")
        << QStringList{"stream", "--source",     "sim:glass",        "--iterations",
                       "auto",   "--auto-steer", "--target-refresh", "1"}
        << u"--iterations auto and --auto-steer: choose one"_s;
    QTest::newRow("bad number") << QStringList{"recon", path("x.h5"), "--center", "abc"}
                                << u"center"_s;
    QTest::newRow("bad phantom") << QStringList{"simulate", "--phantom", "cube", "-o", path("c.h5")}
                                 << u"cube"_s;
    QTest::newRow("bad order") << QStringList{"simulate", "--order", "interlaced:0", "-o",
                                              path("c.h5")}
                               << u"interlaced"_s;
    QTest::newRow("negative photons")
        << QStringList{"simulate", "--photons", "-5", "-o", path("c.h5")} << u"photons"_s;
    QTest::newRow("photons beyond float counts")
        << QStringList{"demo", "--photons", "1e300"} << u"photons 1e+300 must lie in 0 … 1e20"_s;
    QTest::newRow("stream rate beyond 1e7")
        << QStringList{"stream", "--source", "sim:glass", "--rate", "1e9"}
        << u"--rate: Value 1e9 not in range 0"_s;
    QTest::newRow("stream rank timeout not positive")
        << QStringList{"stream", "--source", "sim:glass", "--rank-timeout", "0"}
        << u"--rank-timeout"_s;
    QTest::newRow("stream rate not a number")
        << QStringList{"stream", "--source", "sim:glass", "--rate", "nan"}
        << u"--rate: 'nan' is not a finite number"_s;
    // Checked before a record is created or a frame taken (the source states its rows).
    QTest::newRow("stream slices beyond the detector")
        << QStringList{"stream", "--source", "sim:glass",     "--size", "32",
                       "--rows", "2",        "--projections", "40",     "--slices",
                       "5:7",    "--record", path("none.h5")}
        << u"slices 5:7 select no detector row (detector has 2 rows)"_s;
    for (const char* centre : {"-3", "32"})
      QTest::addRow("stream centre %s outside the detector", centre)
          << QStringList{"stream", "--source", "sim:glass", "--size",   "32",           "--rows",
                         "2",      "--center", centre,      "--record", path("none.h5")}
          << QStringLiteral("rotation centre %1 lies outside the detector (0 … 31)").arg(centre);
    // Results never write into the scan read or an existing file (without --overwrite).
    QTest::newRow("stream out is the replayed file")
        << QStringList{"stream", "--source", "file:" + path("text.h5"), "--out", path("text.h5")}
        << u"is the file being replayed: writing there would change it"_s;
    QTest::newRow("stream record is the replayed file")
        << QStringList{"stream",   "--source",      "file:" + path("text.h5"),
                       "--record", path("text.h5"), "--overwrite"}
        << u"is the file being replayed"_s;
    QTest::newRow("stream out exists")
        << QStringList{"stream", "--source", "sim:glass", "--out", path("text.h5")}
        << u"exists: give --overwrite to replace it"_s;
    QTest::newRow("recon output is the scan")
        << QStringList{"recon", path("text.h5"), "-o", path("text.h5")}
        << u"is the scan read: writing there would change it"_s;
    QTest::newRow("methods images are the scan")
        << QStringList{"methods", path("text.h5"), "--images", path("text.h5")}
        << u"--images "_s + path("text.h5") + u" is the scan read"_s;
    QTest::newRow("quality images are a real scan")
        << QStringList{"quality", "--real", path("text.h5"), "--images", path("text.h5")}
        << u"is a real scan read: writing there would change it"_s;
    QTest::newRow("quality rotations beyond the scan")
        << QStringList{"quality", "--projections", "64", "--windows", "16", "--rotations", "3,100"}
        << u"100 rotations of W = 16 start beyond the 64-projection scans"_s;
    QTest::newRow("bench stream no method")
        << QStringList{"bench", "stream", "--method", ""} << u"no method given"_s;
    QTest::newRow("quality real-only without a real scan")
        << QStringList{"quality", "--real-only"} << u"--real-only needs --real SCAN.h5"_s;
    QTest::newRow("stream out in a missing folder")
        << QStringList{"stream", "--source", "sim:glass", "--out", path("no/such/out.h5")}
        << u"the folder "_s + path("no/such") + u" does not exist"_s;
    QTest::newRow("stream out is a folder")
        << QStringList{"stream", "--source", "sim:glass", "--out", m_dir.path(), "--overwrite"}
        << u"is a folder: name a file"_s;
    QTest::newRow("stream out replaces a file that is not HDF5")
        << QStringList{"stream", "--source", "sim:glass", "--out", path("text.h5"), "--overwrite"}
        << u"exists and is not an HDF5 file: refusing to replace it"_s;
    for (const char* command : {"simulate", "training-data"})
      QTest::addRow("%s output exists", command)
          << QStringList{command, "-o", path("text.h5")}
          << u"-o "_s + path("text.h5") + u" exists: give --overwrite to replace it"_s;
    QTest::newRow("demo grid below SSIM's window")
        << QStringList{"demo", "--size", "8"} << u"demo --size 8: the demo scores every update"_s;
    QTest::newRow("no output") << QStringList{"simulate"} << u"--output"_s;
    QTest::newRow("unknown command") << QStringList{"reconstruct"} << u"reconstruct"_s;
    QTest::newRow("unknown benchmark") << QStringList{"bench", "gpu"} << u"gpu"_s;
    QTest::newRow("bench slices out of range")
        << QStringList{"bench", "projector", "--slices", "1,4,2000"} << u"2000"_s;
    QTest::newRow("bench slices not a list")
        << QStringList{"bench", "projector", "--slices", "1;4"} << u"1;4"_s;
    QTest::newRow("bench unknown kernel set")
        << QStringList{"bench", "projector", "--kernels", "avx3"} << u"avx3"_s;
    QTest::newRow("stream window 0") << QStringList{"stream", "--window", "0"} << u"window"_s;
    QTest::newRow("stream bad source")
        << QStringList{"stream", "--source", "ftp://x"} << u"ftp://x"_s;
    QTest::newRow("stream missing file")
        << QStringList{"stream", "--source", "file:" + path("none.h5")} << u"none.h5"_s;
    QTest::newRow("stream bad address")
        << QStringList{"stream", "--source", "tcp://127.0.0.1:99999"} << u"99999"_s;
    // Ranges CLI11 checks: the message names the option.
    QTest::newRow("demo iterations 0")
        << QStringList{"demo", "--iterations", "0"} << u"--iterations"_s;
    QTest::newRow("simulate size 4")
        << QStringList{"simulate", "--size", "4", "-o", path("c.h5")} << u"--size"_s;
    QTest::newRow("stream quality every 0")
        << QStringList{"stream", "--quality-every", "0"} << u"--quality-every"_s;
    QTest::newRow("stream quality share 0")
        << QStringList{"stream", "--quality-share", "0"} << u"--quality-share"_s;
    QTest::newRow("stream pixel size negative")
        << QStringList{"stream", "--pixel-size", "-1"} << u"--pixel-size"_s;
    QTest::newRow("stream enhancer share 2")
        << QStringList{"stream", "--enhancer-share", "2"} << u"--enhancer-share"_s;
    QTest::newRow("stream bad slices") << QStringList{"stream", "--slices", "5:2"} << u"--slices"_s;
    QTest::newRow("stream bad region") << QStringList{"stream", "--region", "1:2"} << u"--region"_s;
    QTest::newRow("recon centre nan")
        << QStringList{"recon", path("x.h5"), "--center", "nan"} << u"--center"_s;
    QTest::newRow("methods fraction 0")
        << QStringList{"methods", path("x.h5"), "--fraction", "0"} << u"--fraction"_s;
    // One window of the scan is a warm-up only: nothing timed (it crashed reading no times).
    QTest::newRow("bench stream W above half the scan")
        << QStringList{"bench",         "stream", "--size",    "32",    "--slices",  "4",
                       "--projections", "64",     "--windows", "16,33", "--repeats", "1"}
        << u"W = 33 leaves 1 window(s) of the 64-projection scan; each W needs 2"_s;
    QTest::newRow("bench advice sequential")
        << QStringList{"bench", "advice", "--order", "sequential"}
        << u"\"sequential\": interlaced or golden"_s;
    QTest::newRow("bench advice no such folder")
        << QStringList{"bench", "advice", "--dir", path("no/such")}
        << path("no/such") + u" is not a folder to write the scans in"_s;
    QTest::newRow("bench advice window 0")
        << QStringList{"bench", "advice", "--window", "0"} << u"--window"_s;
    QTest::newRow("bench advice window beyond the scan")
        << QStringList{"bench", "advice", "--projections", "64", "--window", "65"}
        << u"window 65 must be 1 … 64"_s;
    QTest::newRow("bench stream windows 0")
        << QStringList{"bench", "stream", "--windows", "16,0"} << u"--windows"_s;
    QTest::newRow("bench stream bad method")
        << QStringList{"bench", "stream", "--method", "window,fbp"} << u"fbp"_s;
    QTest::newRow("bench stream auto-steer rate 0")
        << QStringList{"bench", "stream", "--auto-steer", "300,0"}
        << u"--auto-steer: 0 must be > 0"_s;
    QTest::newRow("detector-sim rate negative")
        << QStringList{"detector-sim", "--phantom", "glass", "--rate", "-5"} << u"--rate"_s;
    QTest::newRow("detector-sim file and phantom")
        << QStringList{"detector-sim", "--file", path("x.h5"), "--phantom", "glass"}
        << u"--phantom"_s;
    QTest::newRow("training-data scans 0")
        << QStringList{"training-data", "--scans", "0", "-o", path("t.h5")} << u"--scans"_s;
    QTest::newRow("quality windows not a list")
        << QStringList{"quality", "--windows", "16;32"} << u"16;32"_s;
  }

  void badInput() {
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    const CliRun r = runCli(args);
    QCOMPARE(r.exitCode, 2);
    const QString firstLine = r.err.section(u'\n', 0, 0);
    QVERIFY2(firstLine.contains(expected), qPrintable(u"stderr: "_s + r.err));
    QVERIFY2(r.err.count(u'\n') == 1, qPrintable(u"not one line: "_s + r.err));
    QVERIFY2(!r.err.contains(u"HDF5-DIAG"_s) && !r.err.contains(u"terminate"_s), qPrintable(r.err));
  }

  // A source that can never be one is refused first: one line on stderr, nothing on stdout (no
  // backend probed, no record begun).
  void streamRefusesABadSourceFirst() {
    for (const QString& source : {u"ftp://x"_s, u"sim:cube"_s, u"tcp://nohost"_s,
                                  u"file:"_s + path("absent.h5"), u"file:"_s + m_dir.path()}) {
      const CliRun r = runCli({"stream", "--source", source, "--record", path("never.h5")});
      QCOMPARE(r.exitCode, 2);
      QVERIFY2(r.out.isEmpty(), qPrintable(source + u": "_s + r.out));
      QVERIFY2(r.err.count(u'\n') == 1, qPrintable(r.err));
      QVERIFY(!QFile::exists(path("never.h5")));
    }
  }

  // Every command answers --help (and -h, and `help COMMAND`) with its generated usage and the
  // error contract, exit 0, whatever else is on the line; an unknown command stays an error.
  void everyCommandAnswersHelp() {
    for (const QString& command :
         {u"demo"_s, u"simulate"_s, u"recon"_s, u"stream"_s, u"enhance"_s, u"detector-sim"_s,
          u"training-data"_s, u"quality"_s, u"methods"_s, u"recover"_s, u"info"_s, u"bench"_s,
          u"bench projector"_s, u"bench stream"_s, u"bench tomogan"_s}) {
      const QStringList words = command.split(u' ');
      for (const QStringList& args :
           {words + QStringList{u"--help"_s}, words + QStringList{u"--window"_s, u"0"_s, u"-h"_s},
            QStringList{u"help"_s} + words}) {
        const CliRun r = runCli(args);
        QVERIFY2(r.exitCode == 0, qPrintable(args.join(u' ') + u": "_s + r.err));
        QVERIFY2(r.out.contains(u"Usage: tomolive-cli "_s + command + u" "_s),
                 qPrintable(args.join(u' ') + u": "_s + r.out.left(300)));
        QVERIFY2(r.out.contains(u"exit code 2"_s), qPrintable(r.out));
      }
    }
    const QString bench = runCli({"bench", "--help"}).out;
    for (const char* benchmark : {"projector", "stream", "tomogan"})
      QVERIFY2(bench.contains(u"\n  "_s + QLatin1String(benchmark) + u" "_s), qPrintable(bench));
    // The top level lists every command.
    const CliRun top = runCli({"help"});
    QCOMPARE(top.exitCode, 0);
    QVERIFY(top.out.startsWith(u"tomolive-cli — "_s));
    for (const char* command : {"demo", "simulate", "recon", "stream", "enhance", "detector-sim",
                                "training-data", "quality", "methods", "recover", "info", "bench"})
      QVERIFY2(top.out.contains(u"\n  "_s + QLatin1String(command) + u" "_s), qPrintable(top.out));
    QCOMPARE(runCli({"reconstruct", "--help"}).exitCode, 2);
  }

  // bench projector sets each row beside the 16-slice row of its grid, timed in turn within each
  // repeat: the 16-slice row's share is exactly 1, and with one repeat another row's share is
  // exactly the ratio of the two rates. With several repeats the share is the median of the
  // repeats' ratios, which the record does not list: there only that it is finite and positive.
  void benchProjectorComparesWithThe16SliceRow() {
    for (const char* repeats : {"1", "3"}) {
      const CliRun r = runCli({"bench", "projector", "--sizes", "48", "--slices", "1,16",
                               "--projections", "16", "--repeats", repeats, "--json"});
      QVERIFY2(r.exitCode == 0, qPrintable(r.err));
      const QJsonArray rows = json(r)["rows"].toArray();
      QCOMPARE(rows.size(), 2);
      const QJsonObject one = rows[0].toObject(), sixteen = rows[1].toObject();
      QCOMPARE(sixteen["forward_vs_16_slices"].toDouble(), 1.0);
      QCOMPARE(sixteen["back_vs_16_slices"].toDouble(), 1.0);
      for (const char* direction : {"forward", "back"}) {
        const double share = one[QLatin1String(direction) + u"_vs_16_slices"_s].toDouble();
        const double ratio = one[QLatin1String(direction) + u"_updates_per_s"_s].toDouble() /
                             sixteen[QLatin1String(direction) + u"_updates_per_s"_s].toDouble();
        QVERIFY2(std::isfinite(share) && share > 0.0, qPrintable(QString::number(share)));
        if (QLatin1String(repeats) == "1"_L1)
          QVERIFY2(std::abs(share - ratio) <= 1e-9 * ratio,
                   qPrintable(QString::number(share) + u" against "_s + QString::number(ratio)));
      }
    }
  }

  // bench advice replays the 18 scans of a set and counts each once: within 2 updates of the
  // plateau, more than 2 early or more than 2 late, by the offset it lists; a never-given advice
  // is null and counts as update N + 1.
  void benchAdviceCountsEveryScanOnce() {
    const CliRun r = runCli({"bench", "advice", "--size", "48", "--projections", "96", "--seed",
                             "3", "--order", "golden", "--dir", m_dir.path(), "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject result = json(r);
    QCOMPARE(result["order"].toString(), u"golden"_s);
    const QJsonArray rows = result["rows"].toArray();
    QCOMPARE(rows.size(), 18);
    // Each row counted once against each plateau: over the slice, over the sample and the
    // image's own (still: within 0.01 SSIM of the last image).
    int counts[3][3] = {};
    const auto count = [](int counted[3], int offset) {
      ++counted[offset < -2 ? 1 : offset > 2 ? 2 : 0];
    };
    for (const QJsonValue& value : rows) {
      const QJsonObject row = value.toObject();
      const int updates = row["updates"].toInt(), plateau = row["plateau"].toInt();
      const int sample = row["plateau_sample"].toInt(), still = row["still_from"].toInt();
      const int fired = row["advice"].isNull() ? updates + 1 : row["advice"].toInt();
      QVERIFY(updates >= 1 && plateau >= 1 && plateau <= updates);
      QVERIFY(sample >= 1 && sample <= updates);
      QVERIFY(still >= 1 && still <= updates);
      QVERIFY(fired >= 1 && fired <= updates + 1);
      QCOMPARE(row["offset"].toInt(), fired - plateau);
      QCOMPARE(row["offset_sample"].toInt(), fired - sample);
      QCOMPARE(row["offset_still"].toInt(), fired - still);
      for (const char* key : {"final_ssim", "final_ssim_sample"}) {
        const double ssim = row[key].toDouble();
        QVERIFY2(ssim > 0.3 && ssim <= 1.0, qPrintable(key + u" "_s + QString::number(ssim)));
      }
      count(counts[0], fired - plateau);
      count(counts[1], fired - sample);
      count(counts[2], fired - still);
    }
    const QJsonObject tallies[3] = {result, result["sample"].toObject(),
                                    result["still"].toObject()};
    for (int k = 0; k < 3; ++k) {
      const QJsonObject& tally = tallies[k];
      QCOMPARE(tally["within_2"].toInt(), counts[k][0]);
      QCOMPARE(tally["early"].toInt(), counts[k][1]);
      QCOMPARE(tally["late"].toInt(), counts[k][2]);
    }
    QCOMPARE(rows[0].toObject()["scan"].toString(), u"glass W=24 I=1 1e4"_s);
    QVERIFY(QDir(m_dir.path()).entryList({u"tomolive-advice-*"_s}).isEmpty());  // scans removed
  }

  // bench stream sets each update's projector work beside the projector's own rate over 64
  // projections of the same grid, timed after the update (the table's last column, the JSON's
  // fields); a tiny grid, so only that it is there and consistent.
  void benchStreamComparesWithThe64ProjectionRate() {
    const QStringList args{"bench",         "stream", "--size",    "32", "--slices",     "4",
                           "--projections", "64",     "--windows", "16", "--iterations", "1",
                           "--repeats",     "1",      "--backend", "cpu"};
    const CliRun table = runCli(args);
    QVERIFY2(table.exitCode == 0, qPrintable(table.err));
    QVERIFY2(table.out.contains(u"| vs 64 projections |"_s), qPrintable(table.out));
    // With one timed update, the share printed is the row's work rate over the 64-projection rate
    // printed above it (to the rounding of both: 3 digits and a whole percent).
    const QRegularExpression rate(u"run: ([0-9.e+]+) ray-pixel updates/s"_s);
    const QRegularExpression row(
        u"\\| window \\| 16 \\| 1 \\|[^|]*\\|[^|]*\\| ([0-9.e+]+) \\| ([0-9]+) % \\|"_s);
    const QRegularExpressionMatch r64 = rate.match(table.out), cell = row.match(table.out);
    QVERIFY2(r64.hasMatch() && cell.hasMatch(), qPrintable(table.out));
    const double share = 100.0 * cell.captured(1).toDouble() / r64.captured(1).toDouble();
    QVERIFY2(share > 0.0 && std::abs(cell.captured(2).toDouble() - share) <= 1.0 + 0.01 * share,
             qPrintable(table.out));
    const CliRun record = runCli(args + QStringList{u"--json"_s});
    QVERIFY2(record.exitCode == 0, qPrintable(record.err));
    const QJsonObject j = json(record);
    const double rate64 = j["ray_pixel_updates_per_s_64_projections"].toDouble();
    QVERIFY2(std::isfinite(rate64) && rate64 > 1e6, qPrintable(QString::number(rate64)));
    const double work =
        j["cells"].toArray().first().toObject()["ray_pixel_updates_per_s"].toDouble();
    QVERIFY2(std::isfinite(work) && work > 1e6, qPrintable(QString::number(work)));
    // One timed update: its share is its rate over the one 64-projection rate timed after it.
    const double recorded =
        j["cells"].toArray().first().toObject()["share_of_64_projection_rate"].toDouble();
    QVERIFY2(
        recorded > 0.0 && std::abs(recorded - work / rate64) <= 1e-9 * recorded,
        qPrintable(QString::number(recorded) + u" against "_s + QString::number(work / rate64)));
  }

  void centreOutsideDetector() {
    QVERIFY(runCli({"simulate", "--size", "32", "--slices", "1", "--projections", "20", "-o",
                    path("small.h5")})
                .exitCode == 0);
    const CliRun r = runCli({"recon", path("small.h5"), "--center", "500"});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(u"500"_s), qPrintable(r.err));
  }

  // A live session from the built-in scanner: metrics per update, the last reconstruction and a
  // record that `recon` reads.
  void streamRecordsAndReports() {
    const CliRun r = runCli({"stream",
                             "--source",
                             "sim:shepp-logan",
                             "--size",
                             "64",
                             "--rows",
                             "4",
                             "--projections",
                             "128",
                             "--window",
                             "16",
                             "--iterations",
                             "2",
                             "--rate",
                             "2000",
                             "--record",
                             path("live.h5"),
                             "--out",
                             path("live_recon.h5"),
                             "--metrics",
                             path("live.jsonl"),
                             "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject j = json(r);
    QCOMPARE(j["state"].toString(), u"finished"_s);
    QCOMPARE(j["projections_received"].toInt(), 128);
    QCOMPARE(j["frames_recorded"].toInt(), j["frames_received"].toInt());
    QCOMPARE(j["projections_consumed"].toInt() + j["projections_skipped"].toInt(), 128);
    // what the last image was made with
    QCOMPARE(j["method"].toString(), u"filtered"_s);
    QCOMPARE(j["window"].toInt(), 16);
    QCOMPARE(j["iterations"].toInt(), 2);
    QCOMPARE(j["center"].toDouble(), 31.5);  // the simulator's
    QVERIFY(!j["center_source"].toString().isEmpty());
    QVERIFY(!j.contains("notes"));  // nothing odd about a simulated scan

    QFile lines(path("live.jsonl"));
    QVERIFY(lines.open(QIODevice::ReadOnly));
    int count = 0;
    bool complete = false;
    for (const QByteArray& line : lines.readAll().split('\n')) {
      if (line.isEmpty()) continue;
      const QJsonObject m = QJsonDocument::fromJson(line).object();
      for (const char* key : {"update", "received", "consumed", "window", "iterations",
                              "refresh_seconds", "sustained_pps", "lag", "ssim", "psnr"})
        QVERIFY2(m.contains(QLatin1String(key)), key);
      QCOMPARE(m["update"].toInt(), ++count);
      // The advice says when the whole scan has arrived (by the time the update was published:
      // the advice may be a little behind), and from then on.
      QVERIFY(m.contains("advice"));
      if (m["scan_complete"].toBool()) QCOMPARE(m["received"].toInt(), 128);
      QVERIFY(m["scan_complete"].toBool() || !complete);
      complete = m["scan_complete"].toBool();
    }
    QVERIFY(complete);
    QCOMPARE(count, j["updates"].toInt());

    const auto recon = tomolive::readReconstruction(path("live_recon.h5").toStdString());
    QCOMPARE(recon.slices, 4);
    QCOMPARE(recon.size, 64);
    QVERIFY(recon.attributes.count("update_refresh_seconds"));
    const CliRun offline = runCli({"recon", path("live.h5"), "--iterations", "3", "--json"});
    QVERIFY2(offline.exitCode == 0, qPrintable(offline.err));
    QCOMPARE(json(offline)["projections"].toInt(), 128);
  }

  // `quality --json` names the centre each cell was reconstructed with (the simulator's; a real
  // scan's as recon chooses it).
  void qualityNamesItsCentre() {
    const CliRun r = runCli({"quality", "--size", "64", "--slices", "2", "--projections", "64",
                             "--windows", "16", "--rotations", "3", "--iterations", "1", "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonArray cells = json(r)["cells"].toArray();
    QVERIFY(!cells.isEmpty());
    for (const QJsonValue& c : cells) QCOMPARE(c.toObject()["center"].toDouble(), 31.5);
  }

  // The log's notes reach the JSON summary too: i13's detector edges transmit 0.68 of the flat.
  void streamSummaryCarriesTheNotes() {
    // a source's warning too: angles over three turns
    const QString turns = path("three_turns.h5");
    writeFlatScan(turns, 32, {0.0, 300.0, 600.0, 900.0, 1080.0});
    const CliRun odd = runCli({"stream", "--source", "file:" + turns, "--window", "5", "--json"});
    QVERIFY2(odd.exitCode == 0, qPrintable(odd.err));
    const QJsonArray oddNotes = json(odd)["notes"].toArray();
    QVERIFY2(!oddNotes.isEmpty() && oddNotes[0].toString().contains(u"span 3.0 turns"_s),
             qPrintable(odd.out));
    TOMOLIVE_REQUIRE_REAL_DATA();
    const CliRun r =
        runCli({"stream", "--source", QString::fromStdString("file:" + realDataFile("i13_crop.h5")),
                "--slices", "30:34", "--window", "16", "--stop-after", "32", "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonArray notes = json(r)["notes"].toArray();
    QCOMPARE(notes.size(), 2);
    QVERIFY2(notes[0].toString().contains(u"transmit 0.68 of the flat field"_s),
             qPrintable(notes[0].toString()));
    // 32 projections of a sequential half turn hold no opposing pair, and i13's tube leaves no
    // reliable centre of mass: the image is about the detector middle (recon refuses such a scan).
    QVERIFY2(
        notes[1].toString().contains(u"the scan's 32 projections allow no centre estimate"_s) &&
            notes[1].toString().contains(u"reconstructed about the detector middle 79.50"_s),
        qPrintable(notes[1].toString()));
    QVERIFY(r.err.contains(u"note: the detector's edges transmit 0.68"_s));
  }

  // --region: from the first update only those rows and columns; the metrics name it, the result
  // file has its shape, the record every pixel; a region outside the rows or too narrow is
  // refused with exit code 2; "all" (the default) is the whole selection.
  void streamReconstructsARegion() {
    const QStringList common{"stream", "--source", "sim:glass", "--size", "64", "--rows", "4",
                             "--projections", "96", "--window", "16", "--rate", "2000"};
    const CliRun r = runCli(common + QStringList{"--region", "1:3,16:48", "--record",
                                                 path("region.h5"), "--out", path("region_recon.h5"),
                                                 "--metrics", path("region.jsonl"), "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("region of interest from this update: rows 1:3, columns 16:48"),
             qPrintable(r.err));
    QFile lines(path("region.jsonl"));
    QVERIFY(lines.open(QIODevice::ReadOnly));
    for (const QByteArray& line : lines.readAll().split('\n'))
      if (!line.isEmpty())
        QCOMPARE(QJsonDocument::fromJson(line).object()["region"].toString(),
                 u"rows 1:3, columns 16:48"_s);
    const auto recon = tomolive::readReconstruction(path("region_recon.h5").toStdString());
    QCOMPARE(recon.slices, 2);
    QCOMPARE(recon.size, 32);
    // Where it lies on the detector: rows from first_row, columns from first_column.
    QCOMPARE(std::get<std::int64_t>(recon.attributes.at("first_row")), std::int64_t{1});
    QCOMPARE(std::get<std::int64_t>(recon.attributes.at("first_column")), std::int64_t{16});
    QCOMPARE(std::get<std::string>(recon.attributes.at("region")),
             std::string("rows 1:3, columns 16:48"));
    const auto record = tomolive::readDataExchange(path("region.h5").toStdString());
    QCOMPARE(record.projections, 96);
    QCOMPARE(record.rows, 4);
    QCOMPARE(record.columns, 64);
    // A region outside what a file states is bad input, refused before anything starts (the
    // console's live region requests are checked at the next update and ignored with a log).
    const CliRun outside = runCli(common + QStringList{"--region", "2:9,16:48", "--json"});
    QCOMPARE(outside.exitCode, 2);
    QVERIFY2(outside.err.contains("region rows 2:9, columns 16:48: the rows must be a non-empty "
                                  "part of 0:4"),
             qPrintable(outside.err));
    const CliRun narrow = runCli(common + QStringList{"--region", "0:4,40:20", "--json"});
    QCOMPARE(narrow.exitCode, 2);
    QVERIFY2(narrow.err.contains("the columns must be at least 8 of the detector's 0:64"),
             qPrintable(narrow.err));
    const CliRun offAxis =
        runCli(common + QStringList{"--region", "0:4,0:20", "--center", "40", "--json"});
    QCOMPARE(offAxis.exitCode, 2);
    QVERIFY2(offAxis.err.contains("region rows 0:4, columns 0:20: the columns do not contain the "
                                  "rotation axis (detector column 40.00)"),
             qPrintable(offAxis.err));
    const CliRun wide = runCli(common + QStringList{"--region", "0:4,-5:70", "--json"});
    QCOMPARE(wide.exitCode, 2);
    QVERIFY2(wide.err.contains("the columns lie outside the detector's 0:64"),
             qPrintable(wide.err));
    const CliRun all = runCli(common + QStringList{"--region", "all", "--json"});
    QVERIFY2(all.exitCode == 0, qPrintable(all.err));
    QVERIFY2(!all.err.contains("region of interest"), qPrintable(all.err));
  }

  // A ground truth that cannot score (here: an 8-pixel grid, smaller than SSIM's window; also
  // constant, NaN or of another grid) gives no scores and a note, and the reconstruction is still
  // written and streamed — it once ended recon with "ssim: … pass a data range" and no output.
  void groundTruthThatCannotScoreIsANote() {
    const CliRun sim = runCli(
        {"simulate", "--size", "8", "--slices", "1", "--projections", "32", "-o", path("tiny.h5")});
    QVERIFY2(sim.exitCode == 0, qPrintable(sim.err));
    const CliRun recon = runCli({"recon", path("tiny.h5"), "--center", "3.5", "--iterations", "5",
                                 "-o", path("tiny_recon.h5"), "--json"});
    QVERIFY2(recon.exitCode == 0, qPrintable(recon.err));
    const QJsonObject r = json(recon);
    QVERIFY(!r.contains("ssim"));
    QCOMPARE(
        r["ground_truth_note"].toString(),
        u"ground truth not scored against: its 8×8 grid is smaller than SSIM's 11×11 window"_s);
    QVERIFY(QFileInfo::exists(path("tiny_recon.h5")));
    const CliRun stream = runCli({"stream", "--source", "file:" + path("tiny.h5"), "--window", "8",
                                  "--center", "3.5", "--json"});
    QVERIFY2(stream.exitCode == 0, qPrintable(stream.err));
    QVERIFY2(stream.err.contains(u"ground truth not scored against"_s), qPrintable(stream.err));
    QCOMPARE(json(stream)["updates"].toInt(), 4);
  }

  // A session that reconstructs nothing says so and names the --out it did not write (a
  // detector that never sends, ended by the idle timeout: nothing came, so a failure, exit 1).
  void sessionWithoutUpdatesSaysSo() {
    const CliRun r = runCli({"stream", "--source", "tcp://127.0.0.1:56997", "--idle-timeout", "1",
                             "--out", path("never.h5"), "--json"});
    QVERIFY2(r.exitCode == 1, qPrintable(r.err));
    QVERIFY2(r.err.contains(u"no update was made: 0 frames received"_s) &&
                 r.err.contains(u"no --out file was written"_s),
             qPrintable(r.err));
    QVERIFY(!json(r).contains("out"));
    QVERIFY(!QFileInfo::exists(path("never.h5")));
  }

  // Slices reaching beyond the detector are reconstructed where they overlap it, and the log says
  // so (no overlap at all is bad input: badInput).
  void streamSaysWhenSlicesReachBeyondTheDetector() {
    const CliRun r =
        runCli({"stream", "--source", "sim:glass", "--size", "32", "--rows", "2", "--projections",
                "40", "--window", "10", "--slices", "0:100", "--json"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.contains("slices 0:100 reach beyond the detector's 2 rows: reconstructing 0:2"),
             qPrintable(r.err));
  }

  void streamStopsEarly() {
    const CliRun r = runCli({"stream", "--source", "sim:glass", "--size", "64", "--rows", "2",
                             "--projections", "2000", "--window", "16", "--rate", "400",
                             "--stop-after", "40", "--record", path("early.h5"), "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject j = json(r);
    QVERIFY(j["stopped_early"].toBool());
    QVERIFY(j["projections_received"].toInt() >= 40);
    QVERIFY(j["projections_received"].toInt() < 200);
    QCOMPARE(j["frames_recorded"].toInt(), j["frames_received"].toInt());
    const auto raw = tomolive::readDataExchange(path("early.h5").toStdString());
    QCOMPARE(raw.projections, j["projections_received"].toInt());
    // A file replayed losslessly stops exactly: every run the same N, 16 + 16 + 8 in 3 updates
    // (it once read on while the command polled, 96 or 128 of 64 as the machine's speed had it).
    const CliRun sim = runCli({"simulate", "--size", "32", "--slices", "2", "--projections", "180",
                               "-o", path("stop_after_scan.h5")});
    QVERIFY2(sim.exitCode == 0, qPrintable(sim.err));
    for (int run = 0; run < 2; ++run) {
      const QString record = path(QStringLiteral("stop_after_%1.h5").arg(run));
      const CliRun f =
          runCli({"stream", "--source", "file:" + path("stop_after_scan.h5"), "--window", "16",
                  "--stop-after", "40", "--record", record, "--json"});
      QVERIFY2(f.exitCode == 0, qPrintable(f.err));
      const QJsonObject k = json(f);
      QVERIFY(k["stopped_early"].toBool());
      QCOMPARE(k["projections_received"].toInt(), 40);
      QCOMPARE(k["projections_consumed"].toInt(), 40);
      QCOMPARE(k["updates"].toInt(), 3);
      QCOMPARE(k["frames_recorded"].toInt(), k["frames_received"].toInt());
      QCOMPARE(tomolive::readDataExchange(record.toStdString()).projections, 40);
    }
  }

  // Ctrl-C / SIGTERM during a live session: acquisition stops, files are finalised, exit 0.
  void streamInterruptedFinalisesFiles() {
    QProcess p;
    p.start(QStringLiteral(TOMOLIVE_CLI_PATH),
            {"stream", "--source", "sim:glass", "--size", "64", "--rows", "2", "--projections",
             "5000", "--window", "16", "--rate", "300", "--record", path("interrupted.h5"), "--out",
             path("interrupted_recon.h5"), "--json"});
    QVERIFY(p.waitForStarted(10000));
    // Interrupted mid-scan: once the first window is being reconstructed (its log line).
    QByteArray log;
    QTRY_VERIFY_WITH_TIMEOUT((log += p.readAllStandardError()).contains("reconstruction:"), 20000);
    p.terminate();
    QVERIFY(p.waitForFinished(20000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
    const QJsonObject j = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QVERIFY(j["stopped_early"].toBool());
    QVERIFY(j["projections_received"].toInt() > 0);
    QVERIFY(j["projections_received"].toInt() < 5000);
    const auto raw = tomolive::readDataExchange(path("interrupted.h5").toStdString());
    QCOMPARE(raw.projections, j["projections_received"].toInt());
    QCOMPARE(tomolive::readReconstruction(path("interrupted_recon.h5").toStdString()).slices, 2);
  }

#ifdef TOMOLIVE_MPIEXEC
  // `mpirun -np 2 tomolive-cli stream`: rank 0 replays the file losslessly, records it once and
  // writes the result; the rows are reconstructed on both ranks, the finishing pass too; the
  // result equals one process's.
  void streamUnderMpirunEqualsOneProcess() {
    QCOMPARE(runCli({"simulate", "--size", "64", "--slices", "6", "--projections", "96", "--order",
                     "interlaced:16", "-o", path("mpi_scan.h5")})
                 .exitCode,
             0);
    const QStringList stream{"stream",   "--source",     "file:" + path("mpi_scan.h5"),
                             "--window", "16",           "--method",
                             "cgls",     "--iterations", "3",
                             "--finish", "20",           "--json"};
    const CliRun one = runCli(stream + QStringList{"--out", path("mpi_one.h5")});
    QVERIFY2(one.exitCode == 0, qPrintable(one.err));
    const CliRun two = mpirun(2, stream + QStringList{"--out", path("mpi_two.h5"), "--record",
                                                      path("mpi_record.h5")});
    QVERIFY2(two.exitCode == 0, qPrintable(two.err));
    QVERIFY2(two.err.contains(u"rows split over 2 MPI ranks"_s), qPrintable(two.err));
    const QJsonObject j = json(two);
    QCOMPARE(j["updates"].toInt(), 6);
    QCOMPARE(j["finish_iterations"].toInt(), 20);
    QCOMPARE(json(one)["finish_iterations"].toInt(), 20);
    QCOMPARE(j["frames_recorded"].toInt(), j["frames_received"].toInt());
    QCOMPARE(tomolive::readDataExchange(path("mpi_record.h5").toStdString()).projections, 96);
    const auto a = tomolive::readReconstruction(path("mpi_one.h5").toStdString());
    const auto b = tomolive::readReconstruction(path("mpi_two.h5").toStdString());
    QCOMPARE(b.slices, 6);
    QCOMPARE(b.volume.size(), a.volume.size());
    float most = 0.0f, scale = 0.0f;
    for (std::size_t i = 0; i < a.volume.size(); ++i)
      most = std::max(most, std::abs(a.volume[i] - b.volume[i])),
      scale = std::max(scale, std::abs(a.volume[i]));
    QVERIFY2(most <= 2e-5f * scale, qPrintable(QString::number(most / scale)));
  }

  // Ctrl-C to mpirun reaches every rank: rank 0 stops the acquisition and finishes the session
  // (the other ranks wait to be dismissed instead of dying), so --out and the summary are written
  // and the record is finalised. mpirun itself exits 1 after an interrupt, whatever the ranks do.
  void streamUnderMpirunInterruptedWritesItsResults() {
    QProcess p;
    startMpiStream(p, mpiEnvironment(), 20000,
                   {"--record", path("mpi_int.h5"), "--out", path("mpi_int_out.h5")});
    QVERIFY(p.waitForStarted(10000));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("R   3"), 60000);
    QCOMPARE(runProcess(u"/bin/kill"_s, {"-INT", QString::number(p.processId())}).exitCode, 0);
    QVERIFY(p.waitForFinished(60000));
    out += p.readAllStandardOutput();
    QVERIFY2(out.contains("(stopped early)"), out.constData());
    QCOMPARE(tomolive::readReconstruction(path("mpi_int_out.h5").toStdString()).slices, 4);
    QVERIFY(tomolive::readDataExchange(path("mpi_int.h5").toStdString()).projections >= 48);
  }

  // A rank killed mid-scan: mpirun ends the job naming the rank, and the record (finalised as
  // the session is stopped, else recovered) holds at least every frame of the updates reported.
  void streamUnderMpirunReportsAKilledRank() {
    QProcess p;
    startMpiStream(p, mpiEnvironment(), 20000, {"--record", path("mpi_killed.h5")});
    QVERIFY(p.waitForStarted(10000));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("R   3"), 60000);
    QVERIFY2(killMpiRank(p.processId(), 1), "rank 1 not found among mpirun's children");
    QVERIFY(p.waitForFinished(60000));
    out += p.readAllStandardOutput();
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QVERIFY(p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0);
    QVERIFY2(err.contains(u"rank 1"_s), qPrintable(err));
    // The last update reported: how many projections had been received by then.
    int reported = 0;
    const QRegularExpression received(u"^R +\\d+ +received +(\\d+)"_s);
    for (const QByteArray& line : out.split('\n'))
      if (const auto m = received.match(QString::fromLatin1(line)); m.hasMatch())
        reported = m.captured(1).toInt();
    QVERIFY(reported >= 48);
    if (runCli({"info", path("mpi_killed.h5")}).exitCode != 0)
      QCOMPARE(runCli({"recover", path("mpi_killed.h5")}).exitCode, 0);
    QVERIFY(tomolive::readDataExchange(path("mpi_killed.h5").toStdString()).projections >=
            reported);
  }
  // Where the launcher keeps the other ranks running when one dies (mpirun --mca
  // orte_enable_recovery 1), rank 0 names the rank that stopped answering after --rank-timeout,
  // ends the reconstruction and goes on recording to the scan's end: every frame is in the
  // record, which needs no recovery, and the summary is printed; then every rank is ended.
  void streamUnderMpirunWithRecoveryNamesALostRankAndGoesOn() {
    QProcess p;
    QProcessEnvironment e = mpiEnvironment();
    e.insert(u"OMPI_MCA_orte_enable_recovery"_s, u"1"_s);
    startMpiStream(p, e, 1500, {"--rank-timeout", "2", "--record", path("mpi_lost.h5")});
    QVERIFY(p.waitForStarted(10000));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("R   3"), 60000);
    QVERIFY2(killMpiRank(p.processId(), 1), "rank 1 not found among mpirun's children");
    QVERIFY(p.waitForFinished(90000));
    out += p.readAllStandardOutput();
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QVERIFY2(err.contains(u"rank 1 lost: no part in MPI"_s), qPrintable(err));
    const QRegularExpressionMatch frames =
        QRegularExpression(u"failed: (\\d+) frames received, (\\d+) recorded"_s)
            .match(QString::fromUtf8(out));
    QVERIFY2(frames.hasMatch() && frames.captured(1) == frames.captured(2), out.constData());
    QCOMPARE(tomolive::readDataExchange(path("mpi_lost.h5").toStdString()).projections, 1500);
  }
  // A rank whose own reconstruction fails while it keeps running (here: rank 1 alone under a
  // 400 MB address-space limit, so allocating its rows of a 2048² × 32 session throws
  // std::bad_alloc; every check a rank makes, rank 0 makes first, so only a resource can fail
  // there): the rank logs its error, rank 0 reports it at the next update naming the rank and
  // ends the reconstruction, and the record keeps every projection the source sent.
  void streamUnderMpirunReportsAFailedRank() {
    const QString command =
        u"if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then ulimit -v 400000; fi; exec "_s +
        QStringLiteral(TOMOLIVE_CLI_PATH) +
        u" stream --source sim:glass --size 2048 --rows 32 --projections 48 --window 16 "
        u"--record "_s +
        path("mpi_failed.h5");
    const CliRun r = runProcess(QStringLiteral(TOMOLIVE_MPIEXEC),
                                {"-np", "2", "/bin/sh", "-c", command}, mpiEnvironment());
    QVERIFY2(r.exitCode != 0, qPrintable(r.out));
    QVERIFY2(r.err.contains(u"row team member 1: std::bad_alloc"_s), qPrintable(r.err));
    QVERIFY2(r.err.contains(u"rows of member(s) 1 failed"_s), qPrintable(r.err));
    const QRegularExpressionMatch frames =
        QRegularExpression(u"(\\d+) frames received, (\\d+) recorded"_s).match(r.out);
    QVERIFY2(frames.hasMatch() && frames.captured(1) == frames.captured(2), qPrintable(r.out));
    QCOMPARE(tomolive::readDataExchange(path("mpi_failed.h5").toStdString()).projections, 48);
  }
#endif

  // kill -9 of a recording session: every reader names `recover`, which makes the record
  // readable with the frames the last flush made durable.
  void recoverMakesAKilledRecordingReadable() {
    QProcess p;
    p.start(QStringLiteral(TOMOLIVE_CLI_PATH),
            {"stream", "--source", "sim:glass", "--size", "64", "--rows", "2", "--projections",
             "5000", "--window", "16", "--rate", "300", "--record", path("killed.h5")});
    QVERIFY(p.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(path("killed.h5")).size() > 100000, 30000);
    p.kill();  // SIGKILL: no finalisation
    QVERIFY(p.waitForFinished(20000));
    const CliRun refused = runCli({"info", path("killed.h5")});
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains(u"tomolive-cli recover"_s), qPrintable(refused.err));
    const CliRun recovered = runCli({"recover", path("killed.h5"), "--json"});
    QCOMPARE(recovered.exitCode, 0);
    const int projections = json(recovered)["projections"].toInt();
    QVERIFY(projections > 0);
    QCOMPARE(tomolive::readDataExchange(path("killed.h5").toStdString()).projections, projections);
    QCOMPARE(runCli({"recover", path("missing.h5")}).exitCode, 2);
  }

  // A record on a disk that fills (here: a 6000 KiB file-size limit, `ulimit -f`, SIGXFSZ
  // ignored): recording stops with the reserve to spare, loudly, the session reconstructs the
  // whole scan, the exit is the documented 1 (never a signal), and the record is readable with
  // every frame it took.
  void streamRecordingStopsBeforeTheFileSizeLimit() {
    const QString record = path("limited.h5");
    const CliRun r = streamUnderFileSizeLimit(record, "1");
    QVERIFY2(r.exitCode == 1, qPrintable(u"exit %1: %2"_s.arg(r.exitCode).arg(r.err)));
    const QJsonObject j = json(r);
    QCOMPARE(j["projections_consumed"].toInt(), 2000);
    QVERIFY2(j["record_stopped"].toString().contains(u"file-size limit"_s), qPrintable(r.err));
    QVERIFY2(r.err.contains(u"RECORDING STOPPED: "_s + record), qPrintable(r.err));
    QVERIFY2(r.err.contains(u"will not fit"_s), qPrintable(r.err));
    const int recorded = j["frames_recorded"].toInt();
    QVERIFY(recorded > 1000 && recorded < 1500);  // 4 KiB frames, 5 MiB before the reserve
    QCOMPARE(recorded + j["frames_not_recorded"].toInt(), j["frames_received"].toInt());
    const CliRun info = runCli({"info", record, "--json"});
    QVERIFY2(info.exitCode == 0, qPrintable(info.err));
    const QJsonObject i = json(info);
    QVERIFY(i["usable"].toBool());
    QCOMPARE(i["projections"].toInt() + i["flats"].toInt() + i["darks"].toInt(), recorded);
  }

  // Without a reserve the write itself fails (EFBIG): recording stops cleanly, exit 1 with the
  // file and the reason, no crash; `recover` then makes every flushed frame readable.
  void streamRecordingWriteErrorKeepsTheFlushedFrames() {
    const QString record = path("efbig.h5");
    const CliRun r = streamUnderFileSizeLimit(record, "0");
    QVERIFY2(r.exitCode == 1, qPrintable(u"exit %1: %2"_s.arg(r.exitCode).arg(r.err)));
    const QJsonObject j = json(r);
    QCOMPARE(j["projections_consumed"].toInt(), 2000);
    QVERIFY2(
        r.err.contains(u"RECORDING STOPPED: "_s + record) && r.err.contains(u"File too large"_s),
        qPrintable(r.err));
    const CliRun recover = runCli({"recover", record, "--json"});
    QVERIFY2(recover.exitCode == 0, qPrintable(recover.err));
    const CliRun info = runCli({"info", record, "--json"});
    QVERIFY2(info.exitCode == 0, qPrintable(info.err));
    const QJsonObject i = json(info);
    QVERIFY(i["usable"].toBool());
    // What the session called recorded is what its last flush made durable, exactly.
    const int kept = i["projections"].toInt() + i["flats"].toInt() + i["darks"].toInt();
    QVERIFY(kept > 1000);
    QCOMPARE(kept, j["frames_recorded"].toInt());
  }

  // `--out` says what made its image: with a finishing pass, the algorithm names it and
  // finish_iterations counts it; the centre of the last image is stored.
  void streamOutNamesTheFinishingPass() {
    const QString out = path("finished.h5");
    const CliRun run =
        runCli({"stream", "--source", "sim:glass", "--size", "48", "--rows", "2", "--projections",
                "64", "--window", "16", "--finish", "20", "--out", out, "--overwrite"});
    QCOMPARE(run.exitCode, 0);
    const tomolive::Reconstruction r = tomolive::readReconstruction(out.toStdString());
    const auto text = [&](const char* key) { return std::get<std::string>(r.attributes.at(key)); };
    QVERIFY2(text("algorithm").find("then SIRT-20 from zero over everything received") !=
                 std::string::npos,
             text("algorithm").c_str());
    QCOMPARE(std::get<std::int64_t>(r.attributes.at("finish_iterations")), std::int64_t(20));
    QVERIFY(std::abs(std::get<double>(r.attributes.at("center")) - 23.5) < 1.0);
  }

  // A scan whose projections are all at one angle (a stage that did not turn) is refused by
  // recon and by a replay, exit 2, naming the file and why; info calls it unusable.
  void scanAtOneAngleIsRefused() {
    const QString stuck = path("stuck.h5");
    writeFlatScan(stuck, 32, {0.0, 0.0, 0.0, 0.0});
    {  // an encoder's jitter is still one angle
      const QString jitter = path("jitter.h5");
      writeFlatScan(jitter, 32, {45.0, 45.003, 44.998, 45.001});
      const CliRun run = runCli({"stream", "--source", "file:" + jitter, "--window", "2"});
      QCOMPARE(run.exitCode, 2);
      QVERIFY2(run.err.contains(u"all 4 projections are at one angle, 44.998° (within 0.005°)"_s),
               qPrintable(run.err));
    }
    for (const QStringList& args :
         {QStringList{"recon", stuck, "--centre", "15.5"},
          QStringList{"stream", "--source", "file:" + stuck, "--window", "2"},
          {"info", stuck}}) {
      const CliRun run = runCli(args);
      QCOMPARE(run.exitCode, 2);
      QVERIFY2(
          run.err.contains(stuck) && run.err.contains(u"all 4 projections are at one angle, 0°"_s),
          qPrintable(run.err));
    }
  }

  // Flats no brighter than the darks: a replay refuses the file up front as recon does (it
  // failed the reconstruction with exit 1, without the file's name); projections that are
  // mostly below the dark (here: above twice the flat) are refused rather than repaired into an
  // image of the repair.
  void replayRefusesWhatReconRefuses() {
    const QString dark = path("no_beam.h5");
    writeFlatScan(dark, 32, {0.0, 60.0, 120.0}, 0.0f);
    for (const QStringList& args : {QStringList{"recon", dark, "--centre", "15.5"},
                                    QStringList{"stream", "--source", "file:" + dark}}) {
      const CliRun run = runCli(args);
      QCOMPARE(run.exitCode, 2);
      QVERIFY2(run.err.contains(dark) && run.err.contains(u"no pixel's flat field is above"_s),
               qPrintable(run.err));
    }
    const QString far = path("centre_off_the_detector.h5");  // the file's centre, 5000
    writeFlatScan(far, 32, {0.0, 60.0, 120.0}, 2000.0f, {{"rotation_center", 5000.0}});
    for (const QStringList& args :
         {QStringList{"recon", far}, QStringList{"stream", "--source", "file:" + far},
          QStringList{"info", far}}) {
      const CliRun run = runCli(args);
      QCOMPARE(run.exitCode, 2);
      QVERIFY2(run.err.contains(far) && run.err.contains(u"5000 lies outside the detector"_s),
               qPrintable(run.err));
    }
    // A centre stored as text or as a one-element array is the file's centre (writers do both;
    // it was ignored without a word); anything else is refused, naming it.
    for (const tomolive::Attribute& stated : {tomolive::Attribute(std::string("15.5")),
                                              tomolive::Attribute(std::vector<double>{15.5})}) {
      const QString file = path("centre_stated_otherwise.h5");
      QFile::remove(file);
      writeFlatScan(file, 32, {0.0, 60.0, 120.0}, 2000.0f, {{"rotation_center", stated}});
      const CliRun recon = runCli({"recon", file, "--iterations", "2", "--json"});
      QVERIFY2(recon.exitCode == 0, qPrintable(recon.err));
      QCOMPARE(json(recon)["center"].toDouble(), 15.5);
      QCOMPARE(json(recon)["center_source"].toString(), u"file"_s);
    }
    const QString named = path("centre_named.h5");
    writeFlatScan(named, 32, {0.0, 60.0, 120.0}, 2000.0f,
                  {{"rotation_center", std::string("middle")}});
    for (const QStringList& args :
         {QStringList{"recon", named}, QStringList{"stream", "--source", "file:" + named},
          QStringList{"info", named}}) {
      const CliRun run = runCli(args);
      QCOMPARE(run.exitCode, 2);
      QVERIFY2(run.err.contains(named) &&
                   run.err.contains(u"rotation_center 'middle' is not one finite number"_s),
               qPrintable(run.err));
    }
    const QString bright = path("brighter_than_beam.h5");
    writeFlatScan(bright, 32, {0.0, 60.0, 120.0}, 400.0f);  // counts 1000: 2.5 × the flat
    const CliRun recon = runCli({"recon", bright, "--centre", "15.5"});
    QCOMPARE(recon.exitCode, 2);
    QVERIFY2(
        recon.err.contains(bright) &&
            recon.err.contains(u"192 of the projections' 192 pixels cannot give a line integral"_s),
        qPrintable(recon.err));
    // a replay reads each projection when it sends it: the first window's say so in a note
    const CliRun replay = runCli({"stream", "--source", "file:" + bright, "--window", "3"});
    QVERIFY2(replay.err.contains(u"note: the first window: 192 of the projections' 192 pixels "
                                 "cannot give a line integral"_s),
             qPrintable(replay.err));
  }

  // A centre so far off the detector's middle that a half turn measures only a small disc around
  // it (a probe's rotation_center 2 on 128 columns gave an image of 16 pixels, without a word):
  // recon and a replay say so; a full turn about the same axis measures out to the long side.
  void farOffCentreIsSaid() {
    const QString file = path("centre_far_off.h5");
    writeFlatScan(file, 32, {0.0, 60.0, 120.0}, 2000.0f, {{"rotation_center", 2.0}});
    const CliRun recon = runCli({"recon", file, "--iterations", "2", "--json"});
    QVERIFY2(recon.exitCode == 0, qPrintable(recon.err));
    QVERIFY2(json(recon)["centre_note"].toString().contains(
                 u"the rotation centre 2 lies 13.5 px from the detector's middle: every projection "
                 "measures only a disc of radius 2.5 px around it, of the 16 px"_s),
             qPrintable(recon.out));
    const CliRun replay = runCli({"stream", "--source", "file:" + file, "--window", "3", "--record",
                                  path("centre_far_off_record.h5"), "--json"});
    QVERIFY2(replay.exitCode == 0, qPrintable(replay.err));
    QVERIFY2(replay.err.contains(u"note: the rotation centre 2 lies 13.5 px"_s),
             qPrintable(replay.err));
    // the record keeps the centre the file stated, for `recon` of the record
    const CliRun recordInfo = runCli({"info", path("centre_far_off_record.h5"), "--json"});
    QCOMPARE(json(recordInfo)["rotation_center"].toDouble(), 2.0);
    QCOMPARE(tomolive::narrowFieldNote(2.0, 32, true), std::string());  // 29.5 px, the long side
    QCOMPARE(tomolive::narrowFieldNote(15.5, 32, false), std::string());
  }

  // A 60000² grid is refused before anything is allocated: the numbers and a way out.
  void tooLargeForMemoryIsRefusedUpFront() {
    const QString wide = path("wide.h5");
    writeFlatScan(wide, 60000, {0.0, 45.0, 90.0, 135.0});
    const CliRun recon = runCli({"recon", wide});
    QCOMPARE(recon.exitCode, 1);
    QVERIFY2(recon.err.contains(u"needs "_s) && recon.err.contains(u"60000² grid"_s) &&
                 recon.err.contains(u"GiB available"_s) && recon.err.contains(u"--binning"_s),
             qPrintable(recon.err));
    const CliRun stream =
        runCli({"stream", "--source", "file:" + wide, "--record", path("wide_rec.h5")});
    QCOMPARE(stream.exitCode, 1);
    QVERIFY2(stream.err.contains(u"60000² × 2 slices"_s) &&
                 stream.err.contains(u"GiB available"_s) && stream.err.contains(u"--slices"_s),
             qPrintable(stream.err));
    QVERIFY(!QFileInfo::exists(path("wide_rec.h5")));
    // A simulated scan too large is refused before the simulator draws its phantom (8192² ×
    // 2048 rows: a 512 GiB volume; it once drew 6.8 GB of phantom for 16 s first), counting the
    // session's snapshots too (8192² × 16 once started with 4 volumes counted and ran the
    // machine out of memory).
    const CliRun sim = runCli({"stream", "--source", "sim:glass", "--size", "8192", "--rows",
                               "2048", "--record", path("sim_rec.h5")});
    QCOMPARE(sim.exitCode, 1);
    QVERIFY2(sim.err.contains(u"8192² × 2048 slices"_s) && sim.err.contains(u"snapshots"_s) &&
                 sim.err.contains(u"GiB available"_s),
             qPrintable(sim.err));
    QVERIFY(!QFileInfo::exists(path("sim_rec.h5")));
  }

  void streamRefusesToOverwriteARecording() {
    { std::ofstream(path("taken.h5").toStdString()) << "an earlier recording\n"; }
    const CliRun r = runCli({"stream", "--source", "sim:glass", "--size", "32", "--rows", "1",
                             "--projections", "16", "--window", "8", "--record", path("taken.h5")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(u"taken.h5"_s), qPrintable(r.err));
    std::ifstream kept(path("taken.h5").toStdString());
    std::string line;
    std::getline(kept, line);
    QCOMPARE(QString::fromStdString(line), u"an earlier recording"_s);
  }

  // TomoGAN on a reconstruction file with the shipped model, and a bad model named in the error.
  void enhanceWritesBothVolumes() {
    QVERIFY(runCli({"simulate", "--phantom", "glass", "--size", "64", "--slices", "3",
                    "--projections", "60", "-o", path("e.h5")})
                .exitCode == 0);
    QVERIFY(
        runCli({"recon", path("e.h5"), "--iterations", "5", "-o", path("e_recon.h5")}).exitCode ==
        0);
    const CliRun r = runCli({"enhance", path("e_recon.h5"), "-o", path("e_enh.h5"), "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(json(r)["slices"].toInt(), 3);
    const auto raw = tomolive::readReconstruction(path("e_enh.h5").toStdString());
    const auto enhanced =
        tomolive::readReconstruction(path("e_enh.h5").toStdString(), "/exchange/recon_enhanced");
    QCOMPARE(enhanced.slices, 3);
    QVERIFY(enhanced.volume != raw.volume);
    QVERIFY(enhanced.attributes.count("model_recipe_hash"));

    const CliRun bad =
        runCli({"enhance", path("e_recon.h5"), "-o", path("e_bad.h5"), "--model", path("e.h5")});
    QCOMPARE(bad.exitCode, 2);
    QVERIFY2(bad.err.contains(u"e.h5"_s), qPrintable(bad.err));
    const CliRun precision =
        runCli({"enhance", path("e_recon.h5"), "-o", path("e_p.h5"), "--precision", "f16"});
    QCOMPARE(precision.exitCode, 2);
    // NaN in the input: refused by count (the network spread 1 NaN over hundreds of pixels).
    tomolive::Reconstruction withNan = raw;
    withNan.volume[100] = std::numeric_limits<float>::quiet_NaN();
    tomolive::writeReconstructionFile(path("e_nan.h5").toStdString(),
                                      {{"/exchange/recon", withNan}});
    const CliRun nan = runCli({"enhance", path("e_nan.h5"), "-o", path("e_nan_enh.h5")});
    QCOMPARE(nan.exitCode, 2);
    QVERIFY2(nan.err.contains(u"holds 1 NaN or infinite values of 12288"_s), qPrintable(nan.err));
    QVERIFY(!QFileInfo::exists(path("e_nan_enh.h5")));
  }

  void demoRuns() {
    const CliRun r = runCli(
        {"demo", "--size", "64", "--slices", "2", "--window", "16", "--rotations", "4", "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const auto updates = json(r)["updates"].toArray();
    QCOMPARE(updates.size(), 4);
    QVERIFY(updates.last()["ssim"].toDouble() > updates.first()["ssim"].toDouble());
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"

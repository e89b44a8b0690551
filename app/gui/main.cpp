// tomolive: the beamline console. Argument parsing and wiring only; the GUI is tomolive_ui.
#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTimer>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>

#include "MainWindow.h"
#include "SteeringPanel.h"
#include "VtkView.h"
#include "io/FrameRecorder.h"
#include "pipeline/RowShare.h"
#include "sources/PacedSource.h"
#include "sources/SourceFactory.h"
#ifdef TOMOLIVE_HAVE_MPI
#include "cluster/MpiTeam.h"
#endif

using tomolive::ui::MainWindow;
using tomolive::ui::MainWindowOptions;

namespace {

// SIGINT/SIGTERM reach the event loop through a pipe: the window closes as the Close button
// closes it (acquisition stopped, the record finalised, the settings saved). A second signal
// acts as it would have without this (the process ends at once).
int g_signalPipe[2] = {-1, -1};

extern "C" void onTerminationSignal(int signal) {
  const char byte = char(signal);
  [[maybe_unused]] const ssize_t written = ::write(g_signalPipe[1], &byte, 1);
  std::signal(signal, SIG_DFL);
}

void closeOnTerminationSignals(MainWindow& window) {
  if (::pipe2(g_signalPipe, O_CLOEXEC | O_NONBLOCK) != 0) return;
  auto* notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, &window);
  QObject::connect(notifier, &QSocketNotifier::activated, &window, [&window] {
    char byte = 0;
    while (::read(g_signalPipe[0], &byte, 1) == 1) {
    }
    std::fprintf(stderr, "tomolive: %s: stopping the acquisition and closing\n",
                 byte == SIGINT ? "interrupted" : "terminated");
    window.close();
  });
  std::signal(SIGINT, onTerminationSignal);
  std::signal(SIGTERM, onTerminationSignal);
}

}  // namespace

int main(int argc, char** argv) {
  tomolive::skipHdf5CleanupAtExit();
  QCoreApplication::setOrganizationName("TomoLive");
  QCoreApplication::setApplicationName("tomolive");
  QCoreApplication::setApplicationVersion(TOMOLIVE_VERSION);

  QCommandLineParser parser;
  parser.setApplicationDescription(
      "TomoLive beamline console: live streaming reconstruction with TomoGAN enhancement.\n"
      "Without options it streams a simulated glass scan (the last settings used, if any).");
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption source(
      "source", "sim:glass|shale|shepp-logan, file:PATH or tcp://HOST:PORT.", "uri");
  const QCommandLineOption rate(
      "rate", "Frames per second of the simulator or replay (0: as fast as possible).", "fps");
  const QCommandLineOption size("size", "Simulator: detector width N (N² slices).", "N");
  const QCommandLineOption rows("rows", "Simulator: detector rows (slices).", "rows");
  const QCommandLineOption projections("projections", "Simulator: projections in the scan.",
                                       "count");
  const QCommandLineOption order(
      "order",
      "File replay order: file (as recorded, default) or interlaced (as an interlaced scan with "
      "rotations of W projections would have recorded it).",
      "order");
  const QCommandLineOption window("window", "W: projections per update.", "W");
  const QCommandLineOption iterations(
      "iterations", "I: iterations of the method per update, or auto (the default).", "I");
  const QCommandLineOption method(
      "method", "Reconstruction method: filtered (default), cgls, sirt or window (the seed's).",
      "name");
  const QCommandLineOption record(
      "record", "Record file (default: a new file per session in the data folder).", "path");
  const QCommandLineOption model(
      "model", "TomoGAN weights file, or 'none' (default: the shipped model).", "path");
  const QCommandLineOption backend(
      "backend", "Where SIRT and TomoGAN run: auto (GPU when one answers), cpu or cuda.", "name");
  const QCommandLineOption pixelSize(
      "pixel-size",
      "Pixel size in micrometres for the ruler and line profile when the source's file states "
      "none (/measurement/instrument/detector/pixel_size).",
      "um");
  const QCommandLineOption noQuality(
      "no-quality",
      "No live resolution or stop advice (their cost saved; the change and residual are kept).");
  const QCommandLineOption qualityEvery(
      "quality-every", "The resolution and stop advice on every k-th update only (their cost / k).",
      "k");
  const QCommandLineOption qualityShare(
      "quality-share",
      "Or the resolution only while it has cost at most this share of the updates' time "
      "(0 < s ≤ 1, e.g. 0.25).",
      "s");
  const QCommandLineOption mpi(
      "mpi",
      "Share each session's reconstruction by detector rows with the other MPI ranks (implied "
      "when started by mpirun: rank 0 is the console, the others reconstruct rows).");
  const QCommandLineOption rankTimeout(
      "rank-timeout",
      "Under MPI: seconds rank 0 waits for the other ranks' part of a step before it names those "
      "that do not answer as lost (default 60; with mpirun --mca orte_enable_recovery 1 the "
      "console survives a rank that dies).",
      "s", "60");
  const QCommandLineOption noStart("no-start", "Open the window without starting a session.");
  const QCommandLineOption open(
      "open",
      "Show a reconstruction file (/exchange/recon, and /exchange/recon_enhanced when present) "
      "instead of starting a session.",
      "recon.h5");
  const QCommandLineOption compare(
      "compare", "With --open: this file's /exchange/recon in the after view, beside the first.",
      "other.h5");
  const QCommandLineOption layout(
      "layout",
      "The views: pair (before | after and a vertical cut), ortho (XY, XZ, YZ before and after) "
      "or volume (3-D). Default: the saved one.",
      "name");
  const QCommandLineOption fresh("fresh",
                                 "Ignore the saved settings (window layout, last source).");
  const QCommandLineOption screenshot(
      "screenshot", "Save a screenshot of the window after --after-updates updates, then quit.",
      "png");
  const QCommandLineOption afterUpdates(
      "after-updates", "Updates to wait for before --screenshot (default 10).", "count", "10");
  for (const auto& o :
       {source,       rate,         size,       rows,        projections, order,     window,
        iterations,   method,       record,     model,       backend,     pixelSize, noQuality,
        qualityEvery, qualityShare, mpi,        rankTimeout, noStart,     open,      compare,
        layout,       fresh,        screenshot, afterUpdates})
    parser.addOption(o);
  {
    // --help, --help-all and --version answer without a display (over ssh, in scripts): a
    // QApplication would abort for want of one, so they are answered before it exists.
    QCoreApplication console(argc, argv);
    parser.parse(QCoreApplication::arguments());
    if (parser.isSet("help") || parser.isSet("help-all") || parser.isSet("version"))
      parser.process(console);  // prints and exits 0
  }
  // Checked on every rank before any joins the team (a rank 0 leaving later would strand them).
  bool patienceOk = false;
  const double patience = parser.value(rankTimeout).toDouble(&patienceOk);
  if (!patienceOk || !(patience > 0.0) || !std::isfinite(patience)) {
    std::fprintf(stderr, "tomolive: --rank-timeout '%s' is not a number of seconds > 0\n",
                 qPrintable(parser.value(rankTimeout)));
    return 2;
  }
  // Under mpirun: rank 0 is the console, the other ranks reconstruct rows for it (no display).
  std::shared_ptr<tomolive::RowTeam> team;
  if (parser.isSet(mpi) || tomolive::launcherProcesses() > 1) {
#ifdef TOMOLIVE_HAVE_MPI
    team = tomolive::MpiTeam::join();
    if (team->member() != 0) {
      // SIGINT/SIGTERM close the console on rank 0, which needs these ranks until it is done.
      std::signal(SIGINT, SIG_IGN);
      std::signal(SIGTERM, SIG_IGN);
      try {
        tomolive::serveRows(*team);
        return 0;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "tomolive: rank %d: %s\n", team->member(), e.what());
        return 1;
      }
    }
#else
    std::fprintf(stderr, "tomolive: started as one of %d MPI processes (or --mpi), but this build "
                         "has no MPI (install libopenmpi-dev and rebuild)\n",
                 tomolive::launcherProcesses());
    return 2;
#endif
  }
  if (team) team->setPatience(std::chrono::milliseconds(std::llround(1000.0 * patience)));
  // However the console ends, the other ranks are released (a lost team cannot be: it is ended).
  struct Dismissal {
    std::shared_ptr<tomolive::RowTeam> team;
    ~Dismissal() {
      if (!team || team->members() < 2) return;
      try {
        tomolive::dismissRows(*team);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "tomolive: releasing the other ranks: %s\n", e.what());
      }
    }
  } const dismissal{team};
  tomolive::ui::setDefaultSurfaceFormat();  // before the QApplication: VTK needs GL 3.2 core
  QApplication app(argc, argv);
  parser.process(app);

  auto integer = [&parser](const QCommandLineOption& option) {
    bool ok = false;
    const int value = parser.value(option).toInt(&ok);
    if (!ok) {
      std::fprintf(stderr, "tomolive: --%s '%s' is not an integer\n",
                   qPrintable(option.names().first()), qPrintable(parser.value(option)));
      std::exit(2);
    }
    return value;
  };
  MainWindowOptions options;
  options.rowTeam = team;
  options.restoreSettings = !parser.isSet(fresh);
  options.modelPath = parser.value(model);
  if (parser.isSet(backend)) {
    try {
      options.backend = tomolive::parseComputeBackend(parser.value(backend).toStdString());
      tomolive::chooseBackend(*options.backend);  // a forced cuda without a GPU stops here
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tomolive: --backend: %s\n", e.what());
      return 2;
    }
  }
  options.recordPath = parser.value(record);
  if (parser.isSet(pixelSize)) {
    bool ok = false;
    const double micrometres = parser.value(pixelSize).toDouble(&ok);
    if (!ok || !(micrometres > 0.0) || !std::isfinite(micrometres)) {
      std::fprintf(stderr, "tomolive: --pixel-size '%s' is not a positive length in micrometres\n",
                   qPrintable(parser.value(pixelSize)));
      return 2;
    }
    options.pixelSizeMicrometres = micrometres;
  }
  if (parser.isSet(noQuality)) options.liveQuality = false;
  if (parser.isSet(qualityEvery)) {
    options.qualityEvery = integer(qualityEvery);
    if (*options.qualityEvery < 1) {
      std::fprintf(stderr, "tomolive: --quality-every '%s' must be at least 1\n",
                   qPrintable(parser.value(qualityEvery)));
      return 2;
    }
  }
  if (parser.isSet(qualityShare)) {
    bool ok = false;
    const double share = parser.value(qualityShare).toDouble(&ok);
    if (!ok || !(share > 0.0 && share <= 1.0)) {
      std::fprintf(stderr, "tomolive: --quality-share '%s' is not a share in (0, 1]\n",
                   qPrintable(parser.value(qualityShare)));
      return 2;
    }
    options.qualityShare = share;
  }
  // Values a session could never start with are bad input here, as in tomolive-cli.
  auto atLeast = [&](const QCommandLineOption& option, int minimum) {
    const int value = integer(option);
    if (value < minimum) {
      std::fprintf(stderr, "tomolive: --%s %d must be at least %d\n",
                   qPrintable(option.names().first()), value, minimum);
      std::exit(2);
    }
    return value;
  };
  if (parser.isSet(window)) options.window = atLeast(window, 1);
  if (parser.isSet(iterations)) {
    bool whole = false;
    parser.value(iterations).toInt(&whole);
    if (parser.value(iterations) != "auto" && !whole) {
      std::fprintf(stderr, "tomolive: --iterations '%s' is neither a whole number nor auto\n",
                   qPrintable(parser.value(iterations)));
      return 2;
    }
    options.iterations = parser.value(iterations) == "auto"
                             ? tomolive::ui::SteeringPanel::kAutoIterations
                             : atLeast(iterations, 1);
  }
  if (parser.isSet(afterUpdates)) atLeast(afterUpdates, 0);
  if (parser.isSet(method)) {
    try {
      options.method = tomolive::parseLiveMethod(parser.value(method).toStdString());
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "tomolive: --method: %s\n", e.what());
      return 2;
    }
  }
  if (parser.isSet(source) || parser.isSet(rate) || parser.isSet(size) || parser.isSet(rows) ||
      parser.isSet(projections) || parser.isSet(order)) {
    tomolive::SourceSpec spec = tomolive::ui::defaultSimulatedScan();
    if (!parser.value(source).isEmpty()) spec.uri = parser.value(source).toStdString();
    if (parser.isSet(rate)) {
      bool ok = false;
      spec.framesPerSecond = parser.value(rate).toDouble(&ok);
      if (!ok || !(spec.framesPerSecond >= 0.0) ||
          !(spec.framesPerSecond <= tomolive::kMostFramesPerSecond)) {
        std::fprintf(stderr,
                     "tomolive: --rate '%s' is not a number of frames per second in 0 … 1e7 (0: "
                     "as fast as possible)\n",
                     qPrintable(parser.value(rate)));
        return 2;
      }
    } else if (!spec.uri.starts_with("sim:"))
      spec.framesPerSecond = tomolive::ui::kDefaultReplayFramesPerSecond;
    if (parser.isSet(size)) spec.size = atLeast(size, 8);
    if (parser.isSet(rows)) spec.rows = atLeast(rows, 1);
    if (parser.isSet(projections)) spec.projections = atLeast(projections, 1);
    if (parser.isSet(order)) {
      const QString value = parser.value(order);
      if (!spec.uri.starts_with("file:") || (value != "file" && value != "interlaced")) {
        std::fprintf(stderr,
                     "tomolive: --order '%s': a file replay (--source file:PATH) is replayed "
                     "'file' (as recorded) or 'interlaced'\n",
                     qPrintable(value));
        return 2;
      }
      if (value == "interlaced")
        spec.order = "interlaced:" + std::to_string(options.window.value_or(spec.window));
    }
    if (const auto why = tomolive::whyNotASource(spec.uri)) {
      std::fprintf(stderr, "tomolive: --source: %s\n", why->c_str());
      return 2;
    }
    options.source = spec;
  }

  if (parser.isSet(layout)) {
    options.layout = tomolive::ui::viewLayoutFromName(parser.value(layout));
    if (!options.layout) {
      std::fprintf(stderr, "tomolive: --layout '%s' is none of pair, ortho, volume\n",
                   qPrintable(parser.value(layout)));
      return 2;
    }
  }
  MainWindow mainWindow(options);
  closeOnTerminationSignals(mainWindow);
  mainWindow.show();
  bool opened = false;  // --open: the file shown (else its error is in the message bar)
  if (parser.isSet(compare) && !parser.isSet(open)) {
    std::fprintf(stderr, "tomolive: --compare needs --open (the file for the before view)\n");
    return 2;
  }
  if (parser.isSet(open))
    opened = mainWindow.openReconstruction(parser.value(open), parser.value(compare));
  else if (!parser.isSet(noStart))
    QTimer::singleShot(0, &mainWindow, &MainWindow::startSession);

  if (parser.isSet(screenshot)) {
    const QString path = parser.value(screenshot);
    const int wanted = integer(afterUpdates);
    auto* poll = new QTimer(&mainWindow);
    const bool fromFile = parser.isSet(open);
    const bool idle = parser.isSet(noStart);  // no session to wait for
    QObject::connect(
        poll, &QTimer::timeout, &mainWindow,
        [&mainWindow, poll, path, wanted, fromFile, opened, idle] {
          const auto shown = mainWindow.displayedSnapshot();
          const bool finished =
              fromFile || idle ||
              (!mainWindow.controller()->isActive() &&
               mainWindow.controller()->phase() != tomolive::ui::SessionController::Phase::Idle);
          if ((!shown || shown->metrics.update < wanted) && !finished) return;
          poll->stop();
          // Let the views' coalesced renders land before grabbing.
          QTimer::singleShot(400, &mainWindow, [&mainWindow, path, fromFile, opened, idle] {
            const bool saved = mainWindow.screenshot().save(path, "PNG");
            std::fprintf(saved ? stdout : stderr, "tomolive: %s %s\n",
                         saved ? "screenshot saved to" : "cannot write", qPrintable(path));
            if (fromFile && !opened)
              std::fprintf(stderr, "tomolive: --open: %s\n",
                           qPrintable(mainWindow.currentMessage()));
            // A session that could not start (or failed) is a failed run, whatever the picture.
            const bool failed =
                !fromFile && !idle &&
                mainWindow.controller()->phase() == tomolive::ui::SessionController::Phase::Failed;
            if (failed)
              std::fprintf(stderr, "tomolive: the session failed: %s\n",
                           qPrintable(mainWindow.currentMessage()));
            QApplication::exit(saved && (!fromFile || opened) && !failed ? 0 : 1);
          });
        });
    poll->start(100);
  }
  return QApplication::exec();
}

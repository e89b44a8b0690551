// The images noise2inverse_trial.py fits and scores, written as raw float32 slice-major volumes:
// a third of a real scan received in interlaced order (windows of W), reconstructed by the live
// method (the live image), its even and odd arrivals reconstructed apart in windows of W / 2
// (halves A and B, as engine/pipeline/HeldOutCheck.cpp makes them), and SIRT-100 over all
// projections (the reference). A trial's tool, not part of the build; from the repository root
// with build/ built:
//
//   L=build/engine; c++ -std=c++20 -O2 -Iengine \
//     resources/models/training/noise2inverse/dump_halves.cpp -o /tmp/dump_halves \
//     $L/libtomolive_pipeline.a $L/libtomolive_metrics.a $L/libtomolive_preprocess.a \
//     $L/libtomolive_sources.a $L/libtomolive_sim.a $L/libtomolive_backend.a \
//     $L/libtomolive_sirt.a $L/libtomolive_nn.a $L/libtomolive_io.a $L/libtomolive_projector.a \
//     $L/libtomolive_geometry.a -lzmq -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5 -ldnnl \
//     -lOpenCL -ltbb
//   /tmp/dump_halves ../shared/data/tooth.h5 /tmp/n2i/tooth 20 0 -1
//   /tmp/dump_halves ../shared/data/i13_crop.h5 /tmp/n2i/i13 16 30 42
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "io/DataExchange.h"
#include "pipeline/LiveReconstruction.h"
#include "preprocess/CentreFinder.h"
#include "preprocess/ScanPreparation.h"
#include "sim/Acquisition.h"

using namespace tomolive;

namespace {

void save(const std::string& path, const VolumeStack& v) {
  const std::vector<float> s = v.toSliceMajor();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(s.data()), std::streamsize(s.size() * sizeof(float)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: dump_halves SCAN.h5 OUT_PREFIX WINDOW FIRST_ROW END_ROW\n");
    return 2;
  }
  const std::string prefix = argv[2];
  const int window = std::stoi(argv[3]);
  const PreparedScan scan =
      prepareScan(readDataExchange(argv[1], {std::stoi(argv[4]), std::stoi(argv[5])}));
  const ProjectionStack& p = scan.lineIntegrals;
  const int n = p.columns(), slices = p.slices();
  const double centre = estimateCentre(p, scan.anglesRad).centre;
  LiveReconstruction full(n, slices, n, centre, {.method = LiveMethod::sirt});
  full.receive(p, scan.anglesRad);
  full.update(100);
  save(prefix + "_ref.f32", full.estimate());
  const std::vector<int> order = interlacedReplayOrder(scan.anglesRad, window);
  const std::vector<int> received(order.begin(), order.begin() + std::ptrdiff_t(order.size() / 3));
  std::vector<int> a, b;
  for (std::size_t k = 0; k < received.size(); ++k) (k % 2 == 0 ? a : b).push_back(received[k]);
  for (const char* method : {"filtered", "window"}) {
    const LiveOptions live{.method = parseLiveMethod(method)};
    const auto replay = [&](const std::vector<int>& arrivals, int w, const char* name) {
      LiveReconstruction r(n, slices, n, centre, live);
      replayInWindows(r, p, scan.anglesRad, arrivals, w, 1);
      save(prefix + "_" + method + "_" + name + ".f32", r.estimate());
    };
    replay(received, window, "live");
    replay(a, window / 2, "a");
    replay(b, window / 2, "b");
  }
  std::printf("%s: %d² × %d slices, centre %.2f, %zu of %d projections received\n", argv[1], n,
              slices, centre, received.size(), p.projections());
}

#pragma once
// tomolive-cli detector-sim: a stand-alone detector serving a file or a simulated scan on the
// stream protocol (docs/protocol.md), for trying TomoLive without a beamline and for the tests.
#include "cli/Commands.h"

namespace tomolive::cli {

int runDetectorSim(const Args& args);

}  // namespace tomolive::cli

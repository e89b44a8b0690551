#pragma once
// `tomolive-cli recover FILE`: a recording left unfinalized by a killed session made readable,
// in place, with every frame its last flush made durable (io/FrameRecorder.h).
#include "cli/Commands.h"

namespace tomolive::cli {

int runRecover(const Args& args);

}  // namespace tomolive::cli

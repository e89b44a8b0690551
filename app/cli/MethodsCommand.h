#pragma once
// `tomolive-cli methods`: the live reconstruction methods compared on a recorded scan
// (bench/LiveMethodComparison.h).
#include "cli/Commands.h"

namespace tomolive::cli {

int runMethods(const Args& args);

}  // namespace tomolive::cli

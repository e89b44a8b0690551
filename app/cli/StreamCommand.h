#pragma once
// `tomolive-cli stream`: a live reconstruction session in the terminal.
#include "cli/Commands.h"

namespace tomolive::cli {

int runStream(const Args& args);

}  // namespace tomolive::cli

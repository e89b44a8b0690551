#pragma once
// Where the shipped TomoGAN weights are found at run time, first match wins:
//   1. $TOMOLIVE_MODEL (a file path)
//   2. <executable dir>/../share/tomolive/models/tomogan.h5   (installed, e.g. from the .deb)
//   3. the source tree's resources/models/tomogan.h5            (build tree, tests)
#include <string>

namespace tomolive {

/// The path of the first candidate that exists, or "" when none does.
std::string defaultModelPath();

}  // namespace tomolive

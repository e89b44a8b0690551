#pragma once
// Where the shipped TomoGAN weights are found at run time, first match wins:
//   1. $TOMOLIVE_MODEL (a file path)
//   2. <executable dir>/../share/tomolive/models/   (installed, e.g. from the .deb)
//   3. the source tree's resources/models/          (build tree, tests)
// A network is trusted only on images of the live method it was trained on (the model's
// `input_method`, nn/EnhancementGuard.h), so a method may have its own shipped model,
// tomogan_<method>.h5 (today: filtered); every other method gets tomogan.h5 (trained on the
// seed's window images). $TOMOLIVE_MODEL applies to every method.
#include <string>
#include <string_view>

namespace tomolive {

/// The path of the model for live method `method` ("": the general one, tomogan.h5), or ""
/// when none is found.
std::string defaultModelPath(std::string_view method = {});

}  // namespace tomolive

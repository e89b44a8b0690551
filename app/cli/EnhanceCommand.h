#pragma once
// `tomolive-cli enhance`: TomoGAN applied to a reconstruction file, and the denoiser options
// shared with `stream --enhance`.
#include <memory>

#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "nn/Denoiser.h"

namespace tomolive::cli {

int runEnhance(const Args& args);

/// Option names the denoiser reads: --model FILE (default: the shipped model) and
/// --precision f32|bf16|auto.
inline const std::set<std::string> kDenoiserOptions{"model", "precision"};

/// The TomoGAN denoiser the options ask for.
std::shared_ptr<Denoiser> denoiserFromArguments(const Arguments& a);

}  // namespace tomolive::cli

#pragma once
// `tomolive-cli enhance`: TomoGAN applied to a reconstruction file, and the denoiser options
// shared with `stream --enhance`.
#include <memory>

#include "backend/ComputeBackend.h"
#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "nn/Denoiser.h"

namespace tomolive::cli {

int runEnhance(const Args& args);

/// Option names the denoiser reads: --model FILE (default: the shipped model),
/// --precision auto|f32|bf16|tf32|fp16 and --backend auto|cpu|cuda.
inline const std::set<std::string> kDenoiserOptions{"model", "precision", "backend"};

/// --backend auto|cpu|cuda (default auto), resolved: a forced cuda without a GPU is an error
/// naming the reason. Prints the choice ("backend: …") on stdout unless `quiet` (JSON output).
BackendChoice backendFromArguments(const Arguments& a, bool quiet = false);

/// The TomoGAN denoiser the options ask for, on `backend` (resolved).
std::shared_ptr<Denoiser> denoiserFromArguments(const Arguments& a, ComputeBackend backend);

}  // namespace tomolive::cli

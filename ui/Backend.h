#pragma once
// What computes: the CPU's name for the status bar, and the enhancer (TomoGAN with the shipped
// weights, on the chosen backend) when its model file is there.
#include <QString>

#include <memory>

#include "backend/ComputeBackend.h"

namespace tomolive::ui {

/// "model name" from /proc/cpuinfo and the hardware thread count, e.g. "Intel Xeon … (2 threads)".
QString cpuDescription();

struct EnhancerChoice {
  std::shared_ptr<Denoiser> denoiser;  ///< null: no enhancement
  QString description;                 ///< the backend's name, or why there is none
  QString path;                        ///< the weights file loaded ("" without one)
};

/// The weights file loadEnhancer would load: `modelPath` "" → the shipped model for live method
/// `method` (engine/nn/ModelLocation.h); "none" → ""; else `modelPath`.
QString enhancerModelPath(const QString& modelPath, const QString& method);

/// The enhancer of enhancerModelPath(modelPath, method) on `backend` (resolved; where cuDNN
/// fails on a GPU, the CPU enhances and the description says why). Never throws: a missing or
/// unreadable model, or "none", gives no enhancer and says why.
EnhancerChoice loadEnhancer(const QString& modelPath, ComputeBackend backend,
                            const QString& method = {});

}  // namespace tomolive::ui

#pragma once
// The CPU projector's Joseph plans (projector/JosephPlan.h) in the GPU plugin's plain form: what
// the CUDA projectors trace, so both backends share one discretisation.
#include <span>

#include "geometry/ParallelGeometry.h"
#include "gpu/GpuApi.h"

namespace tomolive {

/// The listed projections of `g`, in order.
gpu::JosephWindow traceJosephWindow(const ParallelGeometry& g, std::span<const int> projections);

}  // namespace tomolive

#pragma once
// The held-out check of an enhancement (nn/EnhancementGuard.h) on a recorded or simulated scan
// replayed as a live session would take it: the received projections split as the session splits
// them (pipeline/LiveQuality.h: the window method by arrival, even positions → half A, odd → B;
// the others every other one in angle order), each half replayed with the live method in windows
// of half the size (and, as there, I = 1 but for the window method), and each half's image
// enhanced. heldOutWeight(a, b, n) then says how far
// towards the network's output the projections it did not see support moving.
#include <span>
#include <utility>

#include "geometry/SliceStacks.h"
#include "nn/Denoiser.h"
#include "nn/EnhancementGuard.h"
#include "pipeline/LiveReconstruction.h"

namespace tomolive {

/// The halves of slice s after the projections `order` (indices into p and anglesRad, in
/// arrival order) arrived in windows of `window` with `iterations` per update. Throws
/// std::invalid_argument for fewer than two projections or a slice outside p.
std::pair<HeldOutHalf, HeldOutHalf> replayHeldOutHalves(const ProjectionStack& p,
                                                        std::span<const double> anglesRad,
                                                        double centre, std::span<const int> order,
                                                        int window, int iterations,
                                                        const LiveOptions& options,
                                                        Denoiser& denoiser, int s);

}  // namespace tomolive

#pragma once
// Resolution without a ground truth: the Fourier ring correlation (FRC) of two independent
// reconstructions of the same slices (e.g. from the even and the odd projections received),
//
//   FRC(r) = Re Σ_{k∈r} F₁(k)·F₂*(k) / √(Σ_{k∈r} |F₁(k)|² · Σ_{k∈r} |F₂(k)|²)
//
// over the rings r = round(|k|) of the n × n discrete Fourier transform, summed over all the
// slices given (each detector row is measured independently, so each slice adds independent
// samples to every ring). Reconstructions are first multiplied by one smooth circular taper (1
// inside 0.8 of the inscribed circle's radius, a cosine fall to 0 at 0.95), so the edge of the
// circular field of view, common to both, does not correlate; its price is a leak of each
// ring's correlation into the few rings beyond (the taper's spectrum), which biases the
// resolution of an image that fills the whole grid towards finer values.
//
// The resolution is where the FRC, smoothed over 3 rings, first falls below the half-bit
// threshold (van Heel & Schatz 2005, for two half data sets),
//
//   T(N) = (0.2071 + 1.9102/√N) / (1.2071 + 0.9102/√N),   N = Fourier pixels in the ring,
//
// interpolated linearly between rings: ring r is the frequency r/n cycles per pixel, a
// resolution of n/r pixels. A pair correlated up to the last ring resolves the Nyquist limit,
// 2 pixels.
#include <cstdint>
#include <span>
#include <vector>

namespace tomolive {

struct FrcCurve {
  int gridSize = 0;
  /// Per ring r = 0 … n/2 (ring 0 holds the mean, which the resolution ignores).
  std::vector<double> correlation;   ///< FRC(r) ∈ [−1, 1]; 0 where a ring holds no power
  std::vector<double> threshold;     ///< the half-bit threshold T(N(r))
  std::vector<std::int64_t> pixels;  ///< N(r): Fourier pixels in ring r, over all slices
  double frequency(int ring) const { return double(ring) / gridSize; }  ///< cycles per pixel
};

/// The half-bit threshold for a ring of `pixels` Fourier pixels (> 0).
double halfBitThreshold(double pixels);

enum class FrcWindow {
  fieldOfView,  ///< the circular taper: for reconstructions (zero outside their circle)
  none          ///< for images periodic over the grid
};

/// FRC of `a` and `b`, each `slices` row-major n × n images one after the other (n ≥ 8).
/// Throws std::invalid_argument for sizes that do not match, n < 8 or non-finite values.
FrcCurve fourierRingCorrelation(std::span<const float> a, std::span<const float> b, int n,
                                int slices = 1, FrcWindow window = FrcWindow::fieldOfView);

/// The resolution in pixels (≥ 2, the Nyquist limit) at the first crossing of the smoothed FRC
/// below the half-bit threshold; n (a single period over the grid) when ring 1 is already below.
double frcResolutionPixels(const FrcCurve& curve);

}  // namespace tomolive

#include "sirt/SirtFilter.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <numeric>
#include <stdexcept>
#include <string>

#include "geometry/ParallelGeometry.h"

namespace tomolive {

namespace {

using Complex = std::complex<double>;

// In-place radix-2 FFT of a power-of-two length; `inverse` without the 1/n scale.
void fft(std::vector<Complex>& a, bool inverse) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const double angle = 2 * std::numbers::pi / double(len) * (inverse ? 1 : -1);
    const Complex step(std::cos(angle), std::sin(angle));
    for (std::size_t i = 0; i < n; i += len) {
      Complex w(1.0);
      for (std::size_t k = 0; k < len / 2; ++k, w *= step) {
        const Complex u = a[i + k], v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
      }
    }
  }
}

}  // namespace

SirtFilter::SirtFilter(std::span<const double> anglesRad, int columns, int gridSize,
                       double iterations)
    : m_columns(columns), m_padded(1), m_gridSize(gridSize), m_iterations(iterations) {
  if (anglesRad.empty()) throw std::invalid_argument("SIRT filter: no projections");
  if (columns < 1 || gridSize < 1)
    throw std::invalid_argument("SIRT filter: detector of " + std::to_string(columns) +
                                " columns and grid of " + std::to_string(gridSize) +
                                " pixels: both must be at least 1");
  if (!(iterations >= 1.0))
    throw std::invalid_argument("SIRT filter: " + std::to_string(iterations) +
                                " iterations per step must be at least 1");
  while (m_padded < 2 * columns) m_padded <<= 1;  // no wrap-around of the convolution

  // Projections per radian near each angle, from the gap to its neighbours (angles mod π).
  const std::size_t p = anglesRad.size();
  std::vector<double> folded(p);
  for (std::size_t i = 0; i < p; ++i) folded[i] = foldedAngle(anglesRad[i]);
  std::vector<std::size_t> order(p);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return folded[a] < folded[b]; });
  const double even = std::numbers::pi / double(p);
  m_density.resize(p);
  for (std::size_t k = 0; k < p; ++k) {
    const double prev = k > 0 ? folded[order[k - 1]] : folded[order[p - 1]] - std::numbers::pi;
    const double next = k + 1 < p ? folded[order[k + 1]] : folded[order[0]] + std::numbers::pi;
    // The mean gap to both neighbours, each side at most 4 even spacings: a side facing a
    // wide empty range (a wedge's edge, angles clustered at one value) is missing data, not
    // sparse sampling, and must not make one projection's step the strongest of all (two
    // projections facing the empty range got steps amplified up to 50-fold: the image then
    // fitted the data worse than an empty one).
    const double self = folded[order[k]];
    const double gap = p == 1 ? std::numbers::pi
                              : std::max(0.5 * (std::min(next - self, 4.0 * even) +
                                                std::min(self - prev, 4.0 * even)),
                                         1e-3 * even);
    m_density[order[k]] = even / gap;
  }
}

void SirtFilter::apply(ProjectionStack& residual, std::span<const int> projections) const {
  if (residual.columns() != m_columns)
    throw std::invalid_argument("SIRT filter: residual has " + std::to_string(residual.columns()) +
                                " columns, the filter was made for " + std::to_string(m_columns));
  for (int i : projections)
    if (i < 0 || i >= this->projections() || i >= residual.projections())
      throw std::invalid_argument("SIRT filter: projection " + std::to_string(i) + " outside the " +
                                  std::to_string(this->projections()) + " it was made for");
  const int slices = residual.slices(), lanes = residual.lanes(), half = m_padded / 2;
  const double length = m_gridSize;
  // Rows are filtered two at a time: a real, even response keeps the pair in the real and
  // imaginary parts apart.
  const int pairs = (slices + 1) / 2;
  const double floor = 1.0 / double(this->projections());
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, projections.size()),
      [&](const tbb::blocked_range<std::size_t>& range) {
        std::vector<double> response(std::size_t(half) + 1);
        std::vector<Complex> buffer(static_cast<std::size_t>(m_padded));
        for (std::size_t n = range.begin(); n < range.end(); ++n) {
          const int proj = projections[n];
          const double density = m_density[std::size_t(proj)];
          for (int k = 0; k <= half; ++k) {
            const double nu = double(k) / m_padded;
            // Between 1/P and 1: a component finer than the angular gaps is seen by its own
            // projection alone, which gives it 1/P of a plain step (the continuum density
            // would make it vanish, and the step amplify it up to k-fold: from a handful of
            // projections, an image many times too bright).
            const double lambda =
                k == 0 ? 1.0 : std::clamp(density / (std::numbers::pi * length * nu), floor, 1.0);
            response[k] = (1.0 - std::pow(1.0 - lambda, m_iterations)) / lambda / length /
                          double(m_padded);  // with the inverse transform's 1/n
          }
          for (int pair = 0; pair < pairs; ++pair) {
            const int a = 2 * pair, b = std::min(2 * pair + 1, slices - 1);
            float* rowA = residual.row(proj, a / lanes) + a % lanes;
            float* rowB = residual.row(proj, b / lanes) + b % lanes;
            std::fill(buffer.begin(), buffer.end(), Complex(0.0));
            for (int j = 0; j < m_columns; ++j)
              buffer[j] = Complex(rowA[std::size_t(j) * lanes],
                                  b != a ? rowB[std::size_t(j) * lanes] : 0.0);
            fft(buffer, false);
            for (int k = 0; k < m_padded; ++k) buffer[k] *= response[k <= half ? k : m_padded - k];
            fft(buffer, true);
            for (int j = 0; j < m_columns; ++j) {
              rowA[std::size_t(j) * lanes] = float(buffer[j].real());
              if (b != a) rowB[std::size_t(j) * lanes] = float(buffer[j].imag());
            }
          }
        }
      });
}

}  // namespace tomolive

#include "metrics/FourierRingCorrelation.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <stdexcept>
#include <string>

namespace tomolive {

namespace {

using Complex = std::complex<double>;

// A mixed-radix Cooley–Tukey DFT of one length n, for any n: n = p₁·p₂·… (prime factors); each
// stage costs n·p operations, so sizes with small factors (2, 3, 5: 128, 160, 640, …) are fast
// and a large prime size degrades gracefully towards the plain DFT.
class Dft {
 public:
  explicit Dft(int n) : m_n(n), m_twiddle(std::size_t(n)) {
    for (int j = 0; j < n; ++j)
      m_twiddle[std::size_t(j)] = std::polar(1.0, -2.0 * std::numbers::pi * j / n);
    int rest = n;
    for (; rest % 4 == 0; rest /= 4) m_factors.push_back(4);  // radix 4 first, then the primes
    for (int p = 2; rest > 1; ++p) {
      if (p * p > rest) p = rest;  // what is left is prime
      for (; rest % p == 0; rest /= p) m_factors.push_back(p);
    }
    m_largestFactor = m_factors.empty() ? 1 : *std::max_element(m_factors.begin(), m_factors.end());
  }

  /// out[k] = Σ_j in[j·stride]·e^{−2πi jk/n}.
  void transform(const Complex* in, std::ptrdiff_t stride, Complex* out,
                 std::vector<Complex>& scratch) const {
    scratch.resize(std::size_t(m_largestFactor));
    run(in, stride, out, m_n, 0, scratch.data());
  }

 private:
  void run(const Complex* in, std::ptrdiff_t stride, Complex* out, int n, std::size_t level,
           Complex* t) const {
    if (n == 1) {
      *out = *in;
      return;
    }
    const int p = m_factors[level], m = n / p;
    for (int q = 0; q < p; ++q) run(in + q * stride, stride * p, out + q * m, m, level + 1, t);
    // X[k + r·m] = Σ_q W_n^{qk} · W_p^{qr} · Y_q[k], Y_q the q-th sub-transform.
    const std::size_t step = std::size_t(m_n / n), pStep = std::size_t(m_n / p);
    for (int k = 0; k < m; ++k) {
      t[0] = out[k];
      for (int q = 1; q < p; ++q) t[q] = out[q * m + k] * m_twiddle[std::size_t(q) * k * step];
      if (p == 2) {
        out[k] = t[0] + t[1];
        out[m + k] = t[0] - t[1];
      } else if (p == 4) {
        const Complex a = t[0] + t[2], b = t[0] - t[2], c = t[1] + t[3];
        const Complex d = (t[1] - t[3]) * Complex(0.0, -1.0);
        out[k] = a + c;
        out[m + k] = b + d;
        out[2 * m + k] = a - c;
        out[3 * m + k] = b - d;
      } else {
        for (int r = 0; r < p; ++r) {
          Complex sum = 0.0;
          for (int q = 0; q < p; ++q) sum += t[q] * m_twiddle[std::size_t(q * r % p) * pStep];
          out[r * m + k] = sum;
        }
      }
    }
  }

  int m_n;
  std::vector<Complex> m_twiddle;  ///< e^{−2πi j/n}
  std::vector<int> m_factors;
  int m_largestFactor = 1;
};

// The 2-D DFT of an n × n row-major image, in place.
void transform2d(std::vector<Complex>& image, const Dft& dft, int n) {
  const auto pass = [&](std::ptrdiff_t along, std::ptrdiff_t across) {
    tbb::parallel_for(0, n, [&](int line) {
      const auto length = static_cast<std::size_t>(n);
      std::vector<Complex> in(length), out(length), scratch;
      Complex* base = image.data() + line * across;
      for (int j = 0; j < n; ++j) in[std::size_t(j)] = base[j * along];
      dft.transform(in.data(), 1, out.data(), scratch);
      for (int j = 0; j < n; ++j) base[j * along] = out[std::size_t(j)];
    });
  };
  pass(1, n);  // rows
  pass(n, 1);  // columns
}

// 1 inside 0.8 of the inscribed circle's radius, a cosine fall to 0 at 0.95 of it.
std::vector<double> circularTaper(int n) {
  std::vector<double> w(std::size_t(n) * n);
  const double c = 0.5 * (n - 1), radius = 0.5 * n, inner = 0.8 * radius, outer = 0.95 * radius;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double rho = std::hypot(i - c, j - c);
      const double x = std::clamp((rho - inner) / (outer - inner), 0.0, 1.0);
      w[std::size_t(i) * n + j] = 0.5 * (1.0 + std::cos(std::numbers::pi * x));
    }
  return w;
}

}  // namespace

double halfBitThreshold(double pixels) {
  if (!(pixels > 0.0))
    throw std::invalid_argument("half-bit threshold: a ring of " + std::to_string(pixels) +
                                " pixels");
  const double root = std::sqrt(pixels);
  return (0.2071 + 1.9102 / root) / (1.2071 + 0.9102 / root);
}

FrcCurve fourierRingCorrelation(std::span<const float> a, std::span<const float> b, int n,
                                int slices, FrcWindow window) {
  const std::size_t plane = std::size_t(std::max(n, 0)) * std::max(n, 0);
  if (n < 8 || slices < 1 || a.size() != plane * slices || b.size() != a.size())
    throw std::invalid_argument("Fourier ring correlation: images of " + std::to_string(a.size()) +
                                " and " + std::to_string(b.size()) + " values for " +
                                std::to_string(slices) + " slices of " + std::to_string(n) +
                                "² (n ≥ 8)");
  for (std::span<const float> image : {a, b})
    if (!std::all_of(image.begin(), image.end(), [](float v) { return std::isfinite(v); }))
      throw std::invalid_argument("Fourier ring correlation: an image holds NaN or infinity");
  const int rings = n / 2 + 1;
  std::vector<int> ringOf(plane, -1);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const int ki = i <= n / 2 ? i : i - n, kj = j <= n / 2 ? j : j - n;
      const int r = int(std::lround(std::hypot(double(ki), double(kj))));
      if (r < rings) ringOf[std::size_t(i) * n + j] = r;
    }
  const std::vector<double> taper =
      window == FrcWindow::fieldOfView ? circularTaper(n) : std::vector<double>(plane, 1.0);
  const Dft dft(n);
  std::vector<double> cross(rings), powerA(rings), powerB(rings);
  FrcCurve curve;
  curve.gridSize = n;
  curve.pixels.assign(std::size_t(rings), 0);
  // Both real images in one complex transform, z = a + i·b: F_a(k) = (Z(k) + Z*(−k)) / 2 and
  // F_b(k) = (Z(k) − Z*(−k)) / 2i.
  std::vector<Complex> z(plane);
  for (int s = 0; s < slices; ++s) {
    for (std::size_t k = 0; k < plane; ++k)
      z[k] = Complex(taper[k] * a[s * plane + k], taper[k] * b[s * plane + k]);
    transform2d(z, dft, n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const std::size_t k = std::size_t(i) * n + j;
        const int r = ringOf[k];
        if (r < 0) continue;
        const Complex mirror = std::conj(z[std::size_t((n - i) % n) * n + (n - j) % n]);
        const Complex fa = 0.5 * (z[k] + mirror), fb = Complex(0.0, -0.5) * (z[k] - mirror);
        cross[std::size_t(r)] += (fa * std::conj(fb)).real();
        powerA[std::size_t(r)] += std::norm(fa);
        powerB[std::size_t(r)] += std::norm(fb);
        ++curve.pixels[std::size_t(r)];
      }
  }
  for (int r = 0; r < rings; ++r) {
    const double power = std::sqrt(powerA[std::size_t(r)] * powerB[std::size_t(r)]);
    curve.correlation.push_back(power > 0.0 ? cross[std::size_t(r)] / power : 0.0);
    curve.threshold.push_back(halfBitThreshold(double(curve.pixels[std::size_t(r)])));
  }
  return curve;
}

double frcResolutionPixels(const FrcCurve& curve) {
  const int rings = int(curve.correlation.size());
  if (rings < 2 || curve.gridSize < 8)
    throw std::invalid_argument("FRC resolution: a curve of " + std::to_string(rings) + " rings");
  const auto smooth = [&](int r) {  // mean over rings r−1 … r+1 that exist (ring 0 excluded)
    double sum = 0.0;
    int count = 0;
    for (int q = std::max(1, r - 1); q <= std::min(rings - 1, r + 1); ++q, ++count)
      sum += curve.correlation[std::size_t(q)];
    return sum / count;
  };
  double above = 1.0 - curve.threshold[0];  // ring 0 (the mean) correlates fully
  for (int r = 1; r < rings; ++r) {
    const double margin = smooth(r) - curve.threshold[std::size_t(r)];
    if (margin < 0.0) {
      const double crossing = r - 1 + above / (above - margin);
      return std::min(double(curve.gridSize), curve.gridSize / crossing);
    }
    above = margin;
  }
  return 2.0;
}

}  // namespace tomolive

// Compiled twice (see engine/CMakeLists.txt): TOMOLIVE_KERNEL_ISA names the namespace and the
// compiler flags select the instruction set.
#include "projector/JosephKernels.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#if defined(__AVX__)
#include <immintrin.h>
#endif
#if defined(__AVX2__) && !defined(__AVX512F__)
#define TOMOLIVE_KERNELS_AVX2 1
#endif

namespace tomolive::joseph::TOMOLIVE_KERNEL_ISA {
namespace {

// Floats per vector of the across-rays kernels (≤ kVectorFloats, which sizes the buffers' slack).
// AVX2 has 8-float registers, and its two-register window permutes (vpermps) pick from 16 floats.
#ifdef TOMOLIVE_KERNELS_AVX2
constexpr int kPackedFloats = 8;
#else
constexpr int kPackedFloats = kVectorFloats;
#endif
// Whether a permute picks from one vector only (AVX2's vpermps; AVX-512's vpermt2ps picks from
// two in one instruction): the gather back projection then keeps its offsets within one vector.
#ifdef TOMOLIVE_KERNELS_AVX2
constexpr bool kOneVectorPermutes = true;
#else
constexpr bool kOneVectorPermutes = false;
#endif

template <int L>
struct Lanes {
  typedef float Vec __attribute__((vector_size(L * sizeof(float)), may_alias));
};

// Floor of f for f > −2, as an index into a padded line (pixel k at k + 2).
inline int paddedIndex(double f) { return static_cast<int>(f + kLinePadding); }

// The rays j whose position f = alpha·j + beta lies in [lowest, beyond): touch.first ≤ j <
// touch.second, rounded outwards (a ray within rounding of an end is taken in).
inline std::pair<int, int> raysWithin(double alpha, double inverseAlpha, double beta, double lowest,
                                      double beyond) {
  const double from = (lowest - beta) * inverseAlpha, to = (beyond - beta) * inverseAlpha;
  if (alpha > 0) return {static_cast<int>(std::ceil(from)), static_cast<int>(std::ceil(to))};
  return {static_cast<int>(std::floor(to)) + 1, static_cast<int>(std::floor(from)) + 1};
}

// Forward across slices. Lines are padded (LineBlock::padding = kLinePadding: pixels −1 and n
// read as zero) or read in place (padding 0: the volume's own rows, not copied); in place, the
// rays at a line's ends whose interpolation reaches past the grid — one, rarely two, at each end,
// since f moves by |alpha| ≥ 1 from ray to ray and the inner rays form one run — are taken apart
// and read zero there. Padded lines may be segments (LineBlock::first): each ray adds what its
// interpolation takes from the segment's pixels, the padding reading zero, so the sums over the
// segments of a line are the whole line's; only the rays with f ∈ [first − 1, first + n) are
// visited.
template <int L>
void forwardLanes(const LineBlock& lines, const RayBlock& rays) {
  using Vec = typename Lanes<L>::Vec;
  const std::size_t lineStride = std::size_t(lines.stride);
  const int n = lines.n, first = lines.first;
  const double lowest = first - 1.0, beyond = double(first) + n;
  for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
    const Vec* line = reinterpret_cast<const Vec*>(lines.data) +
                      (l - lines.lineBegin) * lineStride + lines.padding;  // pixel 0 (first)
    for (int p = 0; p < rays.count; ++p) {
      const JosephRays& plan = rays.plans[p];
      int begin = plan.rayBegin[l] > rays.rayBegin ? plan.rayBegin[l] : rays.rayBegin;
      int end = plan.rayEnd[l] < rays.rayEnd ? plan.rayEnd[l] : rays.rayEnd;
      Vec* row = reinterpret_cast<Vec*>(rays.rows[p]);
      const double alpha = plan.alpha, beta = plan.beta0 + l * plan.betaStep;
      const float weight = plan.weight;
      if (lines.padding != 0) {
        const auto [touchBegin, touchEnd] = raysWithin(alpha, 1.0 / alpha, beta, lowest, beyond);
        begin = begin > touchBegin ? begin : touchBegin;
        end = end < touchEnd ? end : touchEnd;
      }
      const auto pixelOf = [&](int j) { return paddedIndex(alpha * j + beta) - kLinePadding; };
      if (lines.padding == 0) {
        const auto apart = [&](int j) {
          const double f = alpha * j + beta;
          const int k = paddedIndex(f) - kLinePadding;
          const float w = static_cast<float>(f - k);
          const Vec a = k >= 0 && k < n ? line[k] : Vec{};
          const Vec b = k + 1 >= 0 && k + 1 < n ? line[k + 1] : Vec{};
          row[j] += weight * (a + w * (b - a));
        };
        const auto inner = [&](int j) {
          const int k = pixelOf(j);
          return k >= 0 && k + 1 < n;
        };
        while (begin < end && !inner(begin)) apart(begin++);
        while (end > begin && !inner(end - 1)) apart(--end);
      }
      for (int j = begin; j < end; ++j) {
        const double f = alpha * j + beta;
        const int k = paddedIndex(f) - kLinePadding - first;
        const float w = static_cast<float>(f - (k + first));
        const Vec a = line[k], b = line[k + 1];
        row[j] += weight * (a + w * (b - a));
      }
    }
  }
}

// Back across slices, scattering each ray into the two pixels it interpolates. The lines may be
// segments (LineBlock::first): only the rays with f ∈ [first − 1, first + n) touch pixels of the
// segment. Bounds rounded the wrong way take in a ray with f within rounding of those ends, whose
// values land in the padding (pixels first − 2 … first − 1 and first + n … first + n + 1) or
// carry weight zero to the segment.
template <int L>
void backLanes(const LineBlock& lines, const RayBlock& rays) {
  using Vec = typename Lanes<L>::Vec;
  const std::size_t lineStride = std::size_t(lines.stride);
  const double lowest = lines.first - 1.0, beyond = double(lines.first) + lines.n;
  for (int p = 0; p < rays.count; ++p) {
    const JosephRays& plan = rays.plans[p];
    const Vec* row = reinterpret_cast<const Vec*>(rays.rows[p]);
    const double alpha = plan.alpha, inverseAlpha = 1.0 / alpha;
    const float weight = plan.weight;
    for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
      Vec* line = reinterpret_cast<Vec*>(lines.data) + (l - lines.lineBegin) * lineStride;
      int begin = plan.rayBegin[l] > rays.rayBegin ? plan.rayBegin[l] : rays.rayBegin;
      int end = plan.rayEnd[l] < rays.rayEnd ? plan.rayEnd[l] : rays.rayEnd;
      const double beta = plan.beta0 + l * plan.betaStep;
      const auto [touchBegin, touchEnd] = raysWithin(alpha, inverseAlpha, beta, lowest, beyond);
      begin = begin > touchBegin ? begin : touchBegin;
      end = end < touchEnd ? end : touchEnd;
      for (int j = begin; j < end; ++j) {
        const double f = alpha * j + beta;
        const int k = paddedIndex(f) - lines.first;
        const float w = static_cast<float>(f - (k + lines.first - kLinePadding));
        const Vec v = weight * row[j];
        line[k] += v - w * v;
        line[k + 1] += w * v;
      }
    }
  }
}

// Across rays. One vector holds kPackedFloats floats: P items (rays or pixels) of C slices each,
// item-major. Per-item quantities (positions, indices, weights) are computed in every lane, the
// C lanes of an item alike.
template <int C>
struct Packed {
  static constexpr int P = kPackedFloats / C;
  typedef float Vec __attribute__((vector_size(kPackedFloats * sizeof(float))));
  typedef int Index __attribute__((vector_size(kPackedFloats * sizeof(int))));
};

template <int C, std::size_t... I>
typename Packed<C>::Index laneOf(std::index_sequence<I...>) {
  return typename Packed<C>::Index{static_cast<int>(I % C)...};
}
template <int C, std::size_t... I>
typename Packed<C>::Index itemOf(std::index_sequence<I...>) {
  return typename Packed<C>::Index{static_cast<int>(I / C)...};
}

// max(v, 0) per lane.
template <class Vec>
__attribute__((always_inline)) inline Vec positivePart(Vec v) {
#if defined(__AVX512F__)
  if constexpr (sizeof(Vec) == 64)  // the unmasked intrinsic trips GCC 12's -Wmaybe-uninitialized
    return (Vec)_mm512_maskz_max_ps(__mmask16(0xffff), (__m512)v, (__m512)Vec{});
#endif
#if defined(__AVX__)
  // One vmaxps on 8 floats, where the select below compiles to a compare and a mask.
  if constexpr (sizeof(Vec) == 32) return (Vec)_mm256_max_ps((__m256)v, (__m256)Vec{});
  return v > 0.0f ? v : Vec{};
#else
  // The x86-64 baseline has no float compare-and-select: the sign bit as a mask.
  typedef int Bits __attribute__((vector_size(sizeof(Vec))));
  const Bits bits = (Bits)v;  // a vector cast keeps the bits
  return (Vec)(bits & ~(bits >> 31));
#endif
}

// Positions of a run in 32.32 fixed point: consecutive runs of one line lie a fixed distance apart,
// so stepping from run to run is one integer add — exact but for the step's own rounding (2^-33
// px per run) — where splitting a double position into floor and fraction took a dozen scalar
// instructions per run.
using Fixed = std::int64_t;
constexpr double kFixedOne = 4294967296.0;  // 2^32
inline Fixed toFixed(double x) { return static_cast<Fixed>(std::floor(x * kFixedOne + 0.5)); }

// A run of P items (rays or pixels) at positions x0 + step·i, i = 0 … P − 1, on the axis of
// whatever the kernel interpolates between (pixels of a line, rays of a row). `spread` is
// computed once per projection: the per-item offsets from the run's smallest position, in float
// (all ≥ 0), the offset of that smallest position from item 0, and the fixed-point distance
// from one run to the next.
template <int C>
struct Spread {
  typename Packed<C>::Vec along;
  double smallest;
  Fixed run;
};
template <int C>
Spread<C> spread(double step) {
  using T = Packed<C>;
  const typename T::Index item = itemOf<C>(std::make_index_sequence<kPackedFloats>());
  Spread<C> s{{}, step < 0 ? step * (T::P - 1) : 0.0, toFixed(step * T::P)};
  for (int i = 0; i < kPackedFloats; ++i)
    s.along[i] = static_cast<float>(step * item[i] - s.smallest);
  return s;
}

// A fixed-point position split into its floor and its fraction (exact: a power-of-two scale).
inline int wholeOf(Fixed x) { return static_cast<int>(x >> 32); }
inline float fractionOf(Fixed x) {
  return static_cast<float>(static_cast<std::uint32_t>(x)) * static_cast<float>(1.0 / kFixedOne);
}

// `place` puts a run into a window, given the smallest position that counts (fixed point, or its
// floor and fraction) and each item's offset from it: `whole` is that position's floor, `index`
// each item's floor relative to it and `fraction` the rest. The float offsets' rounding (below 1e-5
// px for |step| ≤ √2, P ≤ 16) moves a weight by as much, and a floor only where the fraction is
// that close to 0 or 1, where both floors interpolate the same value. Items below the smallest
// counted position get meaningless indices; the kernels discard them.
template <int C>
struct Placed {
  int whole;
  typename Packed<C>::Index index;
  typename Packed<C>::Vec fraction;
};
//
// With Near (a run of positions at most 1 apart: the gather back projection's rays per pixel),
// every index is kept below P: the positions span less than P − 1 + 1, but the fraction's
// conversion to float may round up to 1, and the last item's position is then held just below P
// (its floor P − 1, its fraction 1 − 2^-20: the same interpolated value to float rounding).
template <int C, bool Near = false>
__attribute__((always_inline)) inline Placed<C> place(int whole, float fraction,
                                                      const typename Packed<C>::Vec& along) {
  using T = Packed<C>;
  typename T::Vec x = fraction + along;
  if constexpr (Near) {
    constexpr float below = static_cast<float>(T::P) - 1.0f / 1048576.0f;
#if defined(__AVX__)
    // One vminps on 8 floats, where the select compiles to a compare and a blend.
    if constexpr (sizeof(x) == 32)
      x = (typename T::Vec)_mm256_min_ps((__m256)x, _mm256_set1_ps(below));
    else
#endif
      x = x < below ? x : below - typename T::Vec{};
  }
  const typename T::Index index = __builtin_convertvector(x, typename T::Index);
  return {whole, index, x - __builtin_convertvector(index, typename T::Vec)};
}
template <int C, bool Near = false>
__attribute__((always_inline)) inline Placed<C> place(Fixed smallest,
                                                      const typename Packed<C>::Vec& along) {
  return place<C, Near>(wholeOf(smallest), fractionOf(smallest), along);
}

// at[i] = window[offset[i]] and next[i] = window[offset[i] + C] for offsets of counted lanes in
// [0, 2·kPackedFloats − C); other lanes read somewhere in the window. With Window, the two
// vectors at `window` and two permutes (__builtin_shuffle takes the offsets modulo
// 2·kPackedFloats); otherwise one load per float, a hardware gather on AVX2. `window` must stay
// readable for 2·kPackedFloats floats. With Near, every offset is below kPackedFloats (place<C,
// true>): each of the two is one single-source permute of one vector (AVX2 has no two-source
// permute: it took two, a compare and a blend).
template <int C, bool Window, bool Near = false>
__attribute__((always_inline)) inline void gatherPair(const float* window,
                                                      typename Packed<C>::Index offset,
                                                      typename Packed<C>::Vec& at,
                                                      typename Packed<C>::Vec& next) {
  using T = Packed<C>;
  if constexpr (Window && Near) {
    typename T::Vec here, after;
    std::memcpy(&here, window, sizeof here);
    std::memcpy(&after, window + C, sizeof after);
    at = __builtin_shuffle(here, offset);
    next = __builtin_shuffle(after, offset);
    return;
  }
  if constexpr (Window) {
    typename T::Vec lo, hi;
    std::memcpy(&lo, window, sizeof lo);
    std::memcpy(&hi, window + kPackedFloats, sizeof hi);
    at = __builtin_shuffle(lo, hi, offset);
    next = __builtin_shuffle(lo, hi, offset + C);
    return;
  }
  constexpr int highest = 2 * kPackedFloats - 1 - C;
  offset = offset < 0 ? 0 : offset;
  offset = offset > highest ? highest : offset;
#ifdef TOMOLIVE_KERNELS_AVX2
  at = _mm256_i32gather_ps(window, (__m256i)offset, 4);
  next = _mm256_i32gather_ps(window + C, (__m256i)offset, 4);
#else
  for (int i = 0; i < kPackedFloats; ++i) {
    at[i] = window[offset[i]];
    next[i] = window[offset[i] + C];
  }
#endif
}

// Forward across rays: runs of P consecutive detector columns per vector; rows are packed. The
// runs are aligned to the block's first column (RayBlock::rayBegin; callers split the detector
// into blocks of whole vectors), so a run never reaches another block's rays; a run that reaches
// past the line's traced rays adds only the rays inside (a mask, where a scalar tail cost as much
// as the whole runs on a narrow line).
template <int C, bool Window>
void forwardRays(const LineBlock& lines, const RayBlock& rays) {
  using T = Packed<C>;
  using Vec = typename T::Vec;
  using Index = typename T::Index;
  constexpr int P = T::P;
  const Index lane = laneOf<C>(std::make_index_sequence<kPackedFloats>());
  const Index item = itemOf<C>(std::make_index_sequence<kPackedFloats>());
  const std::size_t lineFloats = std::size_t(lines.stride) * C;
  std::vector<Spread<C>> spreads(rays.count);
  for (int p = 0; p < rays.count; ++p) spreads[p] = spread<C>(rays.plans[p].alpha);
  for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
    const float* line = lines.data + (l - lines.lineBegin) * lineFloats + kLinePadding * C;
    for (int p = 0; p < rays.count; ++p) {
      const JosephRays& plan = rays.plans[p];
      const int begin = plan.rayBegin[l] > rays.rayBegin ? plan.rayBegin[l] : rays.rayBegin;
      const int end = plan.rayEnd[l] < rays.rayEnd ? plan.rayEnd[l] : rays.rayEnd;
      if (begin >= end) continue;
      float* row = rays.rows[p] + kRowPadding * C;
      const double alpha = plan.alpha, beta = plan.beta0 + l * plan.betaStep;
      const float weight = plan.weight;
      const Spread<C> s = spreads[p];  // a copy: the compiler need not reload it after each store
      const int first = begin - (begin - rays.rayBegin) % P;
      Fixed smallest = toFixed(alpha * first + beta + s.smallest);
      for (int j = first; j < end; j += P, smallest += s.run) {
        float* out = row + std::size_t(j) * C;
        Vec sum, a, b;
        std::memcpy(&sum, out, sizeof sum);
        if (j >= begin && j + P <= end) {
          const auto [whole, index, w] = place<C>(smallest, s.along);
          gatherPair<C, Window>(line + std::ptrdiff_t(whole) * C, index * C + lane, a, b);
          sum += weight * (a + w * (b - a));
        } else {
          // Placed from the smallest position among the rays inside (items in0 … in1).
          const int in0 = begin > j ? begin - j : 0, in1 = (end < j + P ? end - j : P) - 1;
          const double lowest = alpha * (alpha < 0 ? in1 : in0);  // from item 0
          const auto [whole, index, w] =
              place<C>(toFixed(alpha * j + beta + lowest),
                       s.along - static_cast<float>(lowest - s.smallest));
          gatherPair<C, Window>(line + std::ptrdiff_t(whole) * C, index * C + lane, a, b);
          const Index inside = (item >= in0) & (item <= in1);
          sum += (Vec)((Index)(weight * (a + w * (b - a))) & inside);
        }
        std::memcpy(out, &sum, sizeof sum);
      }
    }
  }
}

// Back across rays as a gather: runs of P consecutive pixels per vector, one projection at a time
// over the pixels its traced rays touch. Ray j gives pixel k the weight φ(f_j − k),
// φ(d) = max(0, 1 − |d|): 1 − w_j where ⌊f_j⌋ = k, w_j where ⌊f_j⌋ = k − 1. With
// g = (k − beta)/alpha and t = g − ⌊g⌋, f_j − k = alpha·(j − g), so only j0 = ⌊g⌋ and j0 + 1 can
// contribute, with weights max(0, 1 − |alpha|·t) and max(0, 1 − |alpha|·(1 − t)) (|alpha| ≥ 1).
// These are the forward weights up to float rounding. A ray the line's trace leaves out meets it
// at |f_j − k| ≥ 1 from every pixel of the grid, weight zero; rays beyond the detector read the
// rows' zero padding. With Ones, every ray of the trace carries 1 and no row is read (those rays
// are masked instead): the column sums Aᵀ·1 that SIRT weighs by.
template <int C, bool Window, bool Ones = false>
void backRaysGather(const LineBlock& lines, const RayBlock& rays) {
  using T = Packed<C>;
  using Vec = typename T::Vec;
  using Index = typename T::Index;
  constexpr int P = T::P;
  const Index lane = laneOf<C>(std::make_index_sequence<kPackedFloats>());
  const std::size_t lineFloats = std::size_t(lines.stride) * C;
  // Runs name rays within P + 2 of the traced ones: inside the rows' padding and slack.
  const int lowest = -kRowPadding, highest = rays.columns + kRowPadding + kWindowSlack / C - 2 * P;

  struct Traced {
    double inverseAlpha;
    Spread<C> spread;
    float weight, slopeWeight;  // ray length per line, and times |alpha|
    const float* row;           // ray 0
  };
  std::vector<Traced> traced(rays.count);
  std::vector<int> wholes;       // per run of the line and projection at hand: its floor
  std::vector<float> fractions;  // and fraction
  for (int p = 0; p < rays.count; ++p) {
    const JosephRays& plan = rays.plans[p];
    const double slope = plan.alpha < 0 ? -plan.alpha : plan.alpha;
    traced[p] = {1.0 / plan.alpha, spread<C>(1.0 / plan.alpha), plan.weight,
                 static_cast<float>(slope * plan.weight),
                 Ones ? nullptr : rays.rows[p] + kRowPadding * C};
  }
  for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
    float* line = lines.data + (l - lines.lineBegin) * lineFloats;
    for (int p = 0; p < rays.count; ++p) {
      const JosephRays& plan = rays.plans[p];
      const int rayBegin = plan.rayBegin[l], rayEnd = plan.rayEnd[l];
      if (rayBegin >= rayEnd) continue;
      const Traced& t = traced[p];
      const double beta = plan.beta0 + l * plan.betaStep;
      const int a = paddedIndex(plan.alpha * rayBegin + beta);
      const int b = paddedIndex(plan.alpha * (rayEnd - 1) + beta);
      // The padded pixels the traced rays touch, [min(a, b), max(a, b) + 1], in runs of P.
      const int runsBegin = (a < b ? a : b) / P * P, runsEnd = (a < b ? b : a) + 2;
      // g at the first run's smallest position
      Fixed smallest =
          toFixed((runsBegin - kLinePadding - beta) * t.inverseAlpha + t.spread.smallest);
      // Locals, so the compiler need not reload them after each store to the line.
      const Vec weight = t.weight - Vec{}, slopeWeight = t.slopeWeight - Vec{};
      const Vec along = t.spread.along;
      const Fixed run = t.spread.run;
      const float* row = t.row;
      // The runs' positions split first, in a loop of their own: the vector loop then starts each
      // run from two loads, not from a chain of scalar conversions (1-slice back 7–9 % faster).
      const int runs = (runsEnd - runsBegin + P - 1) / P;
      if (int(wholes.size()) < runs)
        wholes.resize(std::size_t(runs)), fractions.resize(std::size_t(runs));
      for (int r = 0; r < runs; ++r, smallest += run) {
        wholes[std::size_t(r)] = wholeOf(smallest);
        fractions[std::size_t(r)] = fractionOf(smallest);
      }
      for (int q = runsBegin, r = 0; q < runsEnd; q += P, ++r) {
        const auto [j0, index, frac] =
            place<C, kOneVectorPermutes>(wholes[std::size_t(r)], fractions[std::size_t(r)], along);
        Vec c0 = positivePart(weight - slopeWeight * frac);
        Vec c1 = positivePart((weight - slopeWeight) + slopeWeight * frac);
        Vec sum;
        std::memcpy(&sum, line + std::size_t(q) * C, sizeof sum);
        if constexpr (Ones) {
          const Index j = j0 + index;
          c0 = (Vec)((Index)c0 & ((j >= rayBegin) & (j < rayEnd)));
          c1 = (Vec)((Index)c1 & ((j + 1 >= rayBegin) & (j + 1 < rayEnd)));
          sum += c0 + c1;
        } else {
          // Not reached: every ray such a run names is padding.
          if (static_cast<unsigned>(j0 - lowest) > static_cast<unsigned>(highest - lowest))
            continue;
          Vec v0, v1;
          gatherPair<C, Window, kOneVectorPermutes>(row + std::ptrdiff_t(j0) * C, index * C + lane,
                                                    v0, v1);
          sum += c0 * v0;
          sum += c1 * v1;
        }
        std::memcpy(line + std::size_t(q) * C, &sum, sizeof sum);
      }
    }
  }
}

// Back across rays as a scatter: P consecutive detector columns per vector, as in forwardRays,
// with the same weights. Lanes may name the same pixel (ray j's k + 1 is often ray j + 1's k),
// so the values are added one item at a time: first every item's pixel k (distinct across items,
// since |alpha| ≥ 1), then every item's pixel k + 1.
template <int C>
void backRaysScatter(const LineBlock& lines, const RayBlock& rays) {
  using T = Packed<C>;
  constexpr int P = T::P;
  const std::size_t lineFloats = std::size_t(lines.stride) * C;
  for (int p = 0; p < rays.count; ++p) {
    const JosephRays& plan = rays.plans[p];
    const float* row = rays.rows[p] + kRowPadding * C;
    const double alpha = plan.alpha;
    const float weight = plan.weight;
    const Spread<C> s = spread<C>(alpha);
    for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
      float* line = lines.data + (l - lines.lineBegin) * lineFloats + kLinePadding * C;
      const int begin = plan.rayBegin[l] > rays.rayBegin ? plan.rayBegin[l] : rays.rayBegin;
      const int end = plan.rayEnd[l] < rays.rayEnd ? plan.rayEnd[l] : rays.rayEnd;
      const double beta = plan.beta0 + l * plan.betaStep;
      int j = begin;
      for (Fixed smallest = toFixed(alpha * j + beta + s.smallest); j + P <= end;
           j += P, smallest += s.run) {
        const auto [whole, index, w] = place<C>(smallest, s.along);
        typename T::Vec v;
        std::memcpy(&v, row + std::size_t(j) * C, sizeof v);
        v = weight * v;
        const typename T::Vec onNext = w * v, onPixel = v - onNext;
        float* at = line + std::ptrdiff_t(whole) * C;
        for (int i = 0; i < P; ++i)
          for (int c = 0; c < C; ++c) at[index[i * C] * C + c] += onPixel[i * C + c];
        for (int i = 0; i < P; ++i)
          for (int c = 0; c < C; ++c) at[(index[i * C] + 1) * C + c] += onNext[i * C + c];
      }
      for (; j < end; ++j) {
        const double f = alpha * j + beta;
        const int k = paddedIndex(f);
        const float w = static_cast<float>(f - (k - kLinePadding));
        for (int c = 0; c < C; ++c) {
          const float v = weight * row[j * C + c];
          line[(k - kLinePadding) * C + c] += v - w * v;
          line[(k - kLinePadding + 1) * C + c] += w * v;
        }
      }
    }
  }
}

void forward(const LineBlock& lines, const RayBlock& rays) {
  switch (lines.lanes) {
    case 4:
      return forwardLanes<4>(lines, rays);
    case 8:
      return forwardLanes<8>(lines, rays);
    default:
      return forwardLanes<16>(lines, rays);
  }
}

void back(const LineBlock& lines, const RayBlock& rays) {
  switch (lines.lanes) {
    case 4:
      return backLanes<4>(lines, rays);
    case 8:
      return backLanes<8>(lines, rays);
    default:
      return backLanes<16>(lines, rays);
  }
}

// Across-rays kernels for 1, 2, 4 or 8 slices per pixel.
template <template <int> class Kernel>
void byLanes(const LineBlock& lines, const RayBlock& rays) {
  switch (lines.lanes) {
    case 1:
      return Kernel<1>::run(lines, rays);
    case 2:
      return Kernel<2>::run(lines, rays);
    case 4:
      return Kernel<4>::run(lines, rays);
    default:
      return Kernel<8>::run(lines, rays);
  }
}

template <bool Window>
struct ForwardRays {
  template <int C>
  struct Kernel {
    static void run(const LineBlock& l, const RayBlock& r) { forwardRays<C, Window>(l, r); }
  };
};
template <bool Window>
struct BackRaysGather {
  template <int C>
  struct Kernel {
    static void run(const LineBlock& l, const RayBlock& r) { backRaysGather<C, Window>(l, r); }
  };
};
template <int C>
struct BackRaysScatter {
  static void run(const LineBlock& l, const RayBlock& r) { backRaysScatter<C>(l, r); }
};

}  // namespace

KernelSet kernels(AcrossRays choice) {
#define TOMOLIVE_STR2(x) #x
#define TOMOLIVE_STR(x) TOMOLIVE_STR2(x)
  KernelSet set{TOMOLIVE_STR(TOMOLIVE_KERNEL_ISA), &forward,     &back, nullptr, nullptr,
                &backRaysGather<1, false, true>,   kVectorFloats};
  set.forwardAcrossRays = choice.windowGather ? &byLanes<ForwardRays<true>::Kernel>
                                              : &byLanes<ForwardRays<false>::Kernel>;
  set.backAcrossRays = !choice.gatherBack    ? &byLanes<BackRaysScatter>
                       : choice.windowGather ? &byLanes<BackRaysGather<true>::Kernel>
                                             : &byLanes<BackRaysGather<false>::Kernel>;
  return set;
}

KernelSet kernels() {
#ifdef __AVX512F__
  // Two-source permutes and 8-lane double arithmetic make the gathers cheap.
  return kernels({.windowGather = true, .gatherBack = true});
#elif defined(TOMOLIVE_KERNELS_AVX2)
  // Window picks (vpermps) beat hardware gathers, and the gather back projection beats the
  // scatter. Groups of 4 slices too are packed across rays (2 rays or pixels per register) since
  // the gather's picks take one permute each (kOneVectorPermutes): forward and back faster than
  // the across-slices kernels on half a register (docs/performance.md). Groups of 8 fill a
  // register across slices.
  KernelSet set = kernels({.windowGather = true, .gatherBack = true});
  set.acrossRaysBelow = 8;
  return set;
#else
  // Without gathers or variable permutes each pixel is one load: the scatter back projection
  // computes each ray position once, and groups of 4 or more slices fill a vector already.
  KernelSet set = kernels({.windowGather = false, .gatherBack = false});
  set.acrossRaysBelow = 4;
  return set;
#endif
}

}  // namespace tomolive::joseph::TOMOLIVE_KERNEL_ISA

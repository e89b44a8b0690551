// Compiled twice (see engine/CMakeLists.txt): TOMOLIVE_KERNEL_ISA names the namespace and the
// compiler flags select the instruction set.
#include "projector/JosephKernels.h"

#include <cstring>
#include <utility>
#include <vector>

#if defined(__AVX2__) && !defined(__AVX512F__)
#include <immintrin.h>
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

template <int L>
struct Lanes {
  typedef float Vec __attribute__((vector_size(L * sizeof(float)), may_alias));
};

// Floor of f for f > −2, as an index into a padded line (pixel k at k + 2).
inline int paddedIndex(double f) { return static_cast<int>(f + kLinePadding); }

template <int L>
void forwardLanes(const LineBlock& lines, const RayBlock& rays) {
  using Vec = typename Lanes<L>::Vec;
  const std::size_t lineStride = std::size_t(lines.stride);
  for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
    const Vec* line = reinterpret_cast<const Vec*>(lines.data) + l * lineStride;
    for (int p = 0; p < rays.count; ++p) {
      const JosephRays& plan = rays.plans[p];
      const int begin = plan.rayBegin[l] > rays.rayBegin ? plan.rayBegin[l] : rays.rayBegin;
      const int end = plan.rayEnd[l] < rays.rayEnd ? plan.rayEnd[l] : rays.rayEnd;
      Vec* row = reinterpret_cast<Vec*>(rays.rows[p]);
      const double alpha = plan.alpha, beta = plan.beta0 + l * plan.betaStep;
      const float weight = plan.weight;
      for (int j = begin; j < end; ++j) {
        const double f = alpha * j + beta;
        const int k = paddedIndex(f);
        const float w = static_cast<float>(f - (k - kLinePadding));
        const Vec a = line[k], b = line[k + 1];
        row[j] += weight * (a + w * (b - a));
      }
    }
  }
}

template <int L>
void backLanes(const LineBlock& lines, const RayBlock& rays) {
  using Vec = typename Lanes<L>::Vec;
  const std::size_t lineStride = std::size_t(lines.stride);
  for (int p = 0; p < rays.count; ++p) {
    const JosephRays& plan = rays.plans[p];
    const Vec* row = reinterpret_cast<const Vec*>(rays.rows[p]);
    const double alpha = plan.alpha;
    const float weight = plan.weight;
    for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
      Vec* line = reinterpret_cast<Vec*>(lines.data) + l * lineStride;
      const int begin = plan.rayBegin[l] > rays.rayBegin ? plan.rayBegin[l] : rays.rayBegin;
      const int end = plan.rayEnd[l] < rays.rayEnd ? plan.rayEnd[l] : rays.rayEnd;
      const double beta = plan.beta0 + l * plan.betaStep;
      for (int j = begin; j < end; ++j) {
        const double f = alpha * j + beta;
        const int k = paddedIndex(f);
        const float w = static_cast<float>(f - (k - kLinePadding));
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
typename Packed<C>::Vec itemOf(std::index_sequence<I...>) {
  return typename Packed<C>::Vec{static_cast<float>(I / C)...};
}

// ⌊x⌋ for any finite x in int range.
inline int floorOf(double x) {
  const int i = static_cast<int>(x);
  return i > x ? i - 1 : i;
}

// Positions of a block's P items (item i in lanes i·C … i·C + C − 1) at x = x0 + step·i: the
// floor ⌊x⌋ + `offset` and the fraction x − ⌊x⌋ in every lane. x0 is split once in double into
// ⌊x0⌋ and a fraction; the items' offsets from ⌊x0⌋ are then one float FMA per vector (shifted
// to be positive, so truncation is the floor) where P positions in double took two vectors of
// FMAs and four conversions. Their rounding (below 1e-5 px for |step| ≤ √2, P ≤ 16) moves a
// weight by as much, and a floor only where the fraction is that close to 0 or 1, where both
// floors interpolate the same value.
template <int C>
struct SpreadPositions {
  typename Packed<C>::Index floor;
  typename Packed<C>::Vec fraction;
};
template <int C>
__attribute__((always_inline)) inline SpreadPositions<C> spreadPositions(double x0, double step,
                                                                         int offset) {
  using T = Packed<C>;
  const typename T::Vec item = itemOf<C>(std::make_index_sequence<kPackedFloats>());
  const int whole = floorOf(x0);
  const int shift = static_cast<int>((step < 0 ? -step : step) * (T::P - 1)) + 2;
  const float start = static_cast<float>(x0 - whole) + static_cast<float>(shift);
  const typename T::Vec x = start + static_cast<float>(step) * item;
  const typename T::Index truncated = __builtin_convertvector(x, typename T::Index);
  return {truncated + (whole - shift + offset),
          x - __builtin_convertvector(truncated, typename T::Vec)};
}

// at[i] = src[index[i]·C + i % C] and next[i] = src[(index[i] + 1)·C + i % C] for pixel indices
// per lane that are monotone. Usually one window of two vectors holds them all and two permutes
// pick them (Window); otherwise each float is one load, a hardware gather on AVX2. src must stay
// readable kWindowSlack floats past the last index.
template <int C, bool Window>
__attribute__((always_inline)) inline void gatherPair(const float* src,
                                                      typename Packed<C>::Index index,
                                                      typename Packed<C>::Vec& at,
                                                      typename Packed<C>::Vec& next) {
  using T = Packed<C>;
  const int first = index[0], last = index[kPackedFloats - 1];
  const int base = first < last ? first : last;
  const int span = first < last ? last - first : first - last;
  const typename T::Index lane = laneOf<C>(std::make_index_sequence<kPackedFloats>());
  if (Window && (span + 2) * C <= 2 * kPackedFloats) {
    const typename T::Index offset = (index - base) * C + lane;
    typename T::Vec lo, hi;
    std::memcpy(&lo, src + std::size_t(base) * C, sizeof lo);
    std::memcpy(&hi, src + std::size_t(base) * C + kPackedFloats, sizeof hi);
    at = __builtin_shuffle(lo, hi, offset);
    next = __builtin_shuffle(lo, hi, offset + C);
    return;
  }
#ifdef TOMOLIVE_KERNELS_AVX2
  const typename T::Index offset = index * C + lane;
  at = _mm256_i32gather_ps(src, (__m256i)offset, 4);
  next = _mm256_i32gather_ps(src + C, (__m256i)offset, 4);
#else
  for (int i = 0; i < kPackedFloats; ++i) {
    at[i] = src[std::size_t(index[i]) * C + i % C];
    next[i] = src[std::size_t(index[i] + 1) * C + i % C];
  }
#endif
}

// Forward across rays: P consecutive detector columns per vector; rows are packed.
template <int C, bool Window>
void forwardRays(const LineBlock& lines, const RayBlock& rays) {
  using T = Packed<C>;
  constexpr int P = T::P;
  const std::size_t lineFloats = std::size_t(lines.stride) * C;
  for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
    const float* line = lines.data + l * lineFloats;
    for (int p = 0; p < rays.count; ++p) {
      const JosephRays& plan = rays.plans[p];
      const int begin = plan.rayBegin[l] > rays.rayBegin ? plan.rayBegin[l] : rays.rayBegin;
      const int end = plan.rayEnd[l] < rays.rayEnd ? plan.rayEnd[l] : rays.rayEnd;
      float* row = rays.rows[p] + kRowPadding * C;
      const double alpha = plan.alpha, beta = plan.beta0 + l * plan.betaStep;
      const float weight = plan.weight;
      int j = begin;
      for (; j + P <= end; j += P) {
        const auto [k, w] = spreadPositions<C>(alpha * j + beta, alpha, kLinePadding);
        typename T::Vec a, b, out;
        gatherPair<C, Window>(line, k, a, b);
        std::memcpy(&out, row + std::size_t(j) * C, sizeof out);
        out += weight * (a + w * (b - a));
        std::memcpy(row + std::size_t(j) * C, &out, sizeof out);
      }
      for (; j < end; ++j) {
        const double f = alpha * j + beta;
        const int k = paddedIndex(f);
        const float w = static_cast<float>(f - (k - kLinePadding));
        for (int c = 0; c < C; ++c) {
          const float a = line[k * C + c], b = line[(k + 1) * C + c];
          row[j * C + c] += weight * (a + w * (b - a));
        }
      }
    }
  }
}

// Back across rays as a gather: P consecutive pixels per vector. Ray j gives pixel k the weight
// φ(f_j − k), φ(d) = max(0, 1 − |d|): 1 − w_j where ⌊f_j⌋ = k, w_j where ⌊f_j⌋ = k − 1. With
// g = (k − beta)/alpha and t = g − ⌊g⌋, f_j − k = alpha·(j − g), so only j0 = ⌊g⌋ and j0 + 1 can
// contribute, with weights max(0, 1 − |alpha|·t) and max(0, 1 − |alpha|·(1 − t)) (|alpha| ≥ 1).
// These are the forward weights up to float rounding; rays outside the line's traced range
// count zero, as in the forward kernels. With Ones, every ray carries 1 and no row is read: the
// column sums Aᵀ·1 that SIRT weighs by.
template <int C, bool Window, bool Ones = false>
void backRaysGather(const LineBlock& lines, const RayBlock& rays) {
  using T = Packed<C>;
  using Vec = typename T::Vec;
  using Index = typename T::Index;
  constexpr int P = T::P;
  const std::size_t lineFloats = std::size_t(lines.stride) * C;
  const int pixelsEnd = lines.n + kLinePadding;  // padded index past the grid's last pixel
  // Rays a block may name lie within P + 2 of the traced ones: inside the rows' padding.
  const int lowest = -kRowPadding, highest = rays.columns + kRowPadding - 2;

  struct Traced {
    double inverseAlpha, beta;
    float slope, weight;       // |alpha|, ray length per line
    int rayBegin, rayEnd;      // traced rays of the line
    int pixelBegin, pixelEnd;  // padded pixels they touch
    const float* row;
  };
  std::vector<Traced> traced(rays.count);
  for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
    float* line = lines.data + l * lineFloats;
    int active = 0;
    for (int p = 0; p < rays.count; ++p) {
      const JosephRays& plan = rays.plans[p];
      const int rayBegin = plan.rayBegin[l], rayEnd = plan.rayEnd[l];
      if (rayBegin >= rayEnd) continue;
      const double beta = plan.beta0 + l * plan.betaStep;
      const int first = paddedIndex(plan.alpha * rayBegin + beta);
      const int last = paddedIndex(plan.alpha * (rayEnd - 1) + beta);
      traced[active++] = {1.0 / plan.alpha,
                          beta,
                          static_cast<float>(plan.alpha < 0 ? -plan.alpha : plan.alpha),
                          plan.weight,
                          rayBegin,
                          rayEnd,
                          first < last ? first : last,
                          (first < last ? last : first) + 2,
                          Ones ? nullptr : rays.rows[p] + kRowPadding * C};
    }
    for (int q = 0; q < pixelsEnd; q += P) {
      typename T::Vec sum = {};
      for (int i = 0; i < active; ++i) {
        const Traced& t = traced[i];
        if (q >= t.pixelEnd || q + P <= t.pixelBegin) continue;
        // j0 = ⌊g⌋ and t = g − ⌊g⌋ of g = (k − beta)/alpha for the block's pixels k.
        auto [j0, frac] =
            spreadPositions<C>((q - kLinePadding - t.beta) * t.inverseAlpha, t.inverseAlpha, 0);
        const int a = j0[0], b = j0[kPackedFloats - 1];
        if ((a < b ? a : b) < lowest || (a < b ? b : a) > highest) {
          // Not reached for |alpha| ≥ 1; keeps every load inside the row if it were. Lanes moved
          // here name no traced ray, so they weigh zero.
          j0 = j0 < lowest ? lowest : j0;
          j0 = j0 > highest ? highest : j0;
        }
        // Keeps c where c ≥ 0, j ≥ rayBegin and j < rayEnd, with sign bits as masks: the x86-64
        // baseline has no float compare-and-select, and wide vector compares become scalar.
        const auto keep = [&](Vec c, Index j) {
          const Index bits = (Index)c;  // a vector cast keeps the bits
          const Index take = ~(bits >> 31) & ~((j - t.rayBegin) >> 31) & ((j - t.rayEnd) >> 31);
          return (Vec)(bits & take);
        };
        const Vec c0 = keep(1.0f - t.slope * frac, j0);
        const Vec c1 = keep(1.0f - t.slope * (1.0f - frac), j0 + 1);
        if constexpr (Ones) {
          sum += t.weight * (c0 + c1);
        } else {
          Vec v0, v1;
          gatherPair<C, Window>(t.row, j0, v0, v1);
          sum += t.weight * (c0 * v0 + c1 * v1);
        }
      }
      std::memcpy(line + std::size_t(q) * C, &sum, sizeof sum);
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
    for (int l = lines.lineBegin; l < lines.lineEnd; ++l) {
      float* line = lines.data + l * lineFloats;
      const int begin = plan.rayBegin[l] > rays.rayBegin ? plan.rayBegin[l] : rays.rayBegin;
      const int end = plan.rayEnd[l] < rays.rayEnd ? plan.rayEnd[l] : rays.rayEnd;
      const double beta = plan.beta0 + l * plan.betaStep;
      int j = begin;
      for (; j + P <= end; j += P) {
        const auto [k, w] = spreadPositions<C>(alpha * j + beta, alpha, kLinePadding);
        typename T::Vec v;
        std::memcpy(&v, row + std::size_t(j) * C, sizeof v);
        v = weight * v;
        const typename T::Vec onNext = w * v, onPixel = v - onNext;
        for (int i = 0; i < P; ++i)
          for (int c = 0; c < C; ++c) line[k[i * C] * C + c] += onPixel[i * C + c];
        for (int i = 0; i < P; ++i)
          for (int c = 0; c < C; ++c) line[(k[i * C] + 1) * C + c] += onNext[i * C + c];
      }
      for (; j < end; ++j) {
        const double f = alpha * j + beta;
        const int k = paddedIndex(f);
        const float w = static_cast<float>(f - (k - kLinePadding));
        for (int c = 0; c < C; ++c) {
          const float v = weight * row[j * C + c];
          line[k * C + c] += v - w * v;
          line[(k + 1) * C + c] += w * v;
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
  KernelSet set{TOMOLIVE_STR(TOMOLIVE_KERNEL_ISA), &forward, &back, nullptr, nullptr,
                &backRaysGather<1, false, true>, kVectorFloats};
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
  // scatter, for 1 and 2 slices. Groups of 4 keep the across-slices kernels (half a register, but
  // one ray position per 4 updates): packed 2 rays per register, the per-ray work of the
  // across-rays kernels costs more than the half register saves (docs/performance.md).
  KernelSet set = kernels({.windowGather = true, .gatherBack = true});
  set.acrossRaysBelow = 4;
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

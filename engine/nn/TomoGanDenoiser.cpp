#include "nn/TomoGanDenoiser.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <list>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "geometry/AlignedBuffer.h"
#include "nn/SliceNormalisation.h"

namespace tomolive {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Type = memory::data_type;

constexpr int kLevels = 3;  // poolings: sizes must be multiples of 2^3
constexpr int kAlign = 1 << kLevels;

int roundUpToAlign(int value) { return (value + kAlign - 1) / kAlign * kAlign; }

// One axis of the tiling: tile origins and the part [keepBegin, keepEnd) each tile contributes.
struct AxisTiles {
  int length = 0;
  std::vector<int> origin, keepBegin, keepEnd;
};

// The fewest tiles of at most maxTile pixels, then the shortest tile for that count, such that
// neighbours overlap by ≥ 2·halo; each keeps the half of each overlap nearer to its own centre.
AxisTiles planAxis(int padded, int maxTile, int halo) {
  AxisTiles plan;
  if (padded <= maxTile) {
    plan.length = padded;
    plan.origin = {0};
    plan.keepBegin = {0};
    plan.keepEnd = {padded};
    return plan;
  }
  for (int n = 2;; ++n) {
    const int shortest = roundUpToAlign((padded + 2 * halo * (n - 1) + n - 1) / n);
    for (int t = shortest; t <= maxTile; t += kAlign) {
      std::vector<int> origins(n);
      for (int i = 0; i < n; ++i) {
        origins[i] = int(std::int64_t(i) * (padded - t) / (n - 1)) / kAlign * kAlign;
      }
      bool enough = true;
      for (int i = 0; i + 1 < n; ++i)
        enough = enough && origins[i] + t - origins[i + 1] >= 2 * halo;
      if (!enough) continue;
      plan.length = t;
      plan.origin = origins;
      plan.keepBegin.push_back(0);
      for (int i = 0; i + 1 < n; ++i) {
        const int overlap = origins[i] + t - origins[i + 1];
        const int boundary = origins[i + 1] + overlap / 2 / kAlign * kAlign;
        plan.keepEnd.push_back(boundary);
        plan.keepBegin.push_back(boundary);
      }
      plan.keepEnd.push_back(padded);
      return plan;
    }
  }
}

const char* isaName() {
  const auto isa = dnnl_get_effective_cpu_isa();
  const auto has = [isa](dnnl_cpu_isa_t set) { return (isa & set) == set; };
  if (has(dnnl_cpu_isa_avx512_core_amx)) return "AVX-512 BF16 + AMX";
  if (has(dnnl_cpu_isa_avx512_core_bf16)) return "AVX-512 BF16";
  if (has(dnnl_cpu_isa_avx512_core)) return "AVX-512";
  if (has(dnnl_cpu_isa_avx2)) return "AVX2";
  return "SSE4.1";
}

// The generator for one tile shape: primitives created once, run many times. Intermediate
// tensors share a few buffers, assigned by liveness (the chain runs in a fixed order), which
// keeps the working set near a third of one buffer per tensor.
class Network {
 public:
  Network(const dnnl::engine& engine, dnnl::stream& stream, const TomoGanModel& model, Type type,
          int height, int width)
      : engine_(engine),
        stream_(stream),
        model_(model),
        type_(type),
        height_(height),
        width_(width) {
    input_ = memory({{1, model.depth(), height, width}, Type::f32, Tag::nchw}, engine_);
    output_ = memory({{1, 1, height, width}, Type::f32, Tag::nchw}, engine_);
    build();
    assignBuffers();
  }

  int height() const { return height_; }
  int width() const { return width_; }
  float* input() { return static_cast<float*>(input_.get_data_handle()); }
  const float* output() const { return static_cast<const float*>(output_.get_data_handle()); }

  void run() {
    for (Step& step : steps_) step.primitive.execute(stream_, step.args);
    stream_.wait();
  }

 private:
  struct Step {
    dnnl::primitive primitive;
    std::unordered_map<int, memory> args;
  };

  void build() {
    const int h = height_, w = width_;
    const memory x0 = convolution(0, input_, h, w);
    const memory skip1 = convolution(2, convolution(1, x0, h, w), h, w);
    const memory x1 = pool(skip1);
    const memory skip2 = convolution(4, convolution(3, x1, h / 2, w / 2), h / 2, w / 2);
    const memory x2 = pool(skip2);
    const memory skip3 = convolution(6, convolution(5, x2, h / 4, w / 4), h / 4, w / 4);
    const memory x3 = convolution(7, pool(skip3), h / 8, w / 8);
    const memory y2 =
        convolution(9, concatenated(8, skip3, upsample(x3), h / 4, w / 4), h / 4, w / 4);
    const memory y1 =
        convolution(11, concatenated(10, skip2, upsample(y2), h / 2, w / 2), h / 2, w / 2);
    const memory y0 = convolution(13, concatenated(12, skip1, upsample(y1), h, w), h, w);
    convolution(15, convolution(14, y0, h, w), h, w, output_);
  }

  // conv + bias (+ ReLU as a fused post-op) with oneDNN choosing the layouts, except at the
  // last layer, which writes the plain f32 output the caller reads.
  dnnl::convolution_forward::primitive_desc convolutionDesc(int index, int h, int w) const {
    const TomoGanLayerShape& s = model_.layers()[index].shape;
    const bool last = index == 15;
    const memory::desc src({1, s.inChannels, h, w}, type_, Tag::any);
    const memory::desc weights({s.outChannels, s.inChannels, s.kernel, s.kernel}, type_, Tag::any);
    const memory::desc bias({s.outChannels}, Type::f32, Tag::a);
    const memory::desc dst({1, s.outChannels, h, w}, last ? Type::f32 : type_,
                           last ? Tag::nchw : Tag::any);
    const int pad = s.kernel / 2;
    const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                               dnnl::algorithm::convolution_direct, src, weights,
                                               bias, dst, {1, 1}, {pad, pad}, {pad, pad});
    dnnl::primitive_attr attr;
    if (!last) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    return {desc, attr, engine_};
  }

  memory convolution(int index, const memory& src, int h, int w, memory dst = {}) {
    return convolution(index, convolutionDesc(index, h, w), src, dst);
  }

  memory convolution(int index, const dnnl::convolution_forward::primitive_desc& pd,
                     const memory& src, memory dst) {
    const TomoGanLayer& layer = model_.layers()[index];
    const TomoGanLayerShape& s = layer.shape;
    if (!dst) dst = tensor(pd.dst_desc());
    const memory weights = constant(
        layer.weight, {{s.outChannels, s.inChannels, s.kernel, s.kernel}, Type::f32, Tag::oihw},
        pd.weights_desc());
    const memory bias = constant(layer.bias, {{s.outChannels}, Type::f32, Tag::a}, pd.bias_desc());
    steps_.push_back({dnnl::convolution_forward(pd),
                      {{DNNL_ARG_SRC, inLayout(src, pd.src_desc())},
                       {DNNL_ARG_WEIGHTS, weights},
                       {DNNL_ARG_BIAS, bias},
                       {DNNL_ARG_DST, dst}}});
    return dst;
  }

  memory pool(const memory& src) {
    const memory::dims d = src.get_desc().dims();
    const memory::desc dst({d[0], d[1], d[2] / 2, d[3] / 2}, type_, Tag::any);
    const dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference,
                                           dnnl::algorithm::pooling_max, src.get_desc(), dst,
                                           {2, 2}, {2, 2}, {0, 0}, {0, 0});
    const dnnl::pooling_forward::primitive_desc pd(desc, engine_);
    const memory out = tensor(pd.dst_desc());
    steps_.push_back({dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}}});
    return out;
  }

  memory upsample(const memory& src) {
    const memory::dims d = src.get_desc().dims();
    const memory::desc dst({d[0], d[1], d[2] * 2, d[3] * 2}, type_, Tag::any);
    const dnnl::resampling_forward::desc desc(dnnl::prop_kind::forward_inference,
                                              dnnl::algorithm::resampling_linear, {2.0f, 2.0f},
                                              src.get_desc(), dst);
    const dnnl::resampling_forward::primitive_desc pd(desc, engine_);
    const memory out = tensor(pd.dst_desc());
    steps_.push_back({dnnl::resampling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}}});
    return out;
  }

  // cat([skip, up], channels) written straight in the layout the next convolution reads.
  memory concatenated(int nextConvolution, const memory& skip, const memory& up, int h, int w) {
    const auto next = convolutionDesc(nextConvolution, h, w);
    const dnnl::concat::primitive_desc pd(next.src_desc(), 1, {skip.get_desc(), up.get_desc()},
                                          engine_);
    const memory out = tensor(pd.dst_desc());
    steps_.push_back(
        {dnnl::concat(pd),
         {{DNNL_ARG_MULTIPLE_SRC, skip}, {DNNL_ARG_MULTIPLE_SRC + 1, up}, {DNNL_ARG_DST, out}}});
    return convolution(nextConvolution, next, out, {});
  }

  // `src` as `layout` wants it: itself, or a reorder into a new tensor (only at the input).
  memory inLayout(const memory& src, const memory::desc& layout) {
    if (src.get_desc() == layout) return src;
    const memory out = tensor(layout);
    steps_.push_back({dnnl::reorder(src, out), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, out}}});
    return out;
  }

  // Weights or biases converted once into the layout and type the primitive chose.
  memory constant(const std::vector<float>& values, const memory::desc& plain,
                  const memory::desc& layout) {
    std::vector<float> copy = values;  // oneDNN takes a mutable handle even to read
    memory source(plain, engine_, copy.data());
    memory out(layout, engine_);
    dnnl::reorder(source, out).execute(stream_, source, out);
    stream_.wait();
    return out;
  }

  // An intermediate tensor; its storage is assigned by assignBuffers().
  memory tensor(const memory::desc& desc) {
    memory m(desc, engine_, DNNL_MEMORY_NONE);
    intermediates_.insert(m.get());
    return m;
  }

  void assignBuffers() {
    std::unordered_map<dnnl_memory_t, std::size_t> lastUse;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      for (const auto& [arg, m] : steps_[i].args) lastUse[m.get()] = i;
    }
    std::vector<bool> busy;
    std::unordered_map<dnnl_memory_t, std::size_t> bufferOf;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      // Outputs first, so that no step reads and writes the same buffer.
      memory& dst =
          steps_[i].args.at(steps_[i].args.count(DNNL_ARG_DST) ? DNNL_ARG_DST : DNNL_ARG_TO);
      if (intermediates_.count(dst.get()) && !bufferOf.count(dst.get())) {
        const std::size_t floats = (dst.get_desc().get_size() + sizeof(float) - 1) / sizeof(float);
        std::size_t best = buffers_.size();
        for (std::size_t b = 0; b < buffers_.size(); ++b) {
          const bool fits = !busy[b] && buffers_[b].size() >= floats;
          if (fits && (best == buffers_.size() || buffers_[b].size() < buffers_[best].size())) {
            best = b;
          }
        }
        if (best == buffers_.size()) {
          buffers_.emplace_back(floats);
          busy.push_back(false);
        }
        busy[best] = true;
        bufferOf[dst.get()] = best;
        dst.set_data_handle(buffers_[best].data());
      }
      for (const auto& [arg, m] : steps_[i].args) {
        if (lastUse[m.get()] == i && bufferOf.count(m.get())) busy[bufferOf[m.get()]] = false;
      }
    }
  }

  dnnl::engine engine_;
  dnnl::stream& stream_;
  const TomoGanModel& model_;
  Type type_;
  int height_, width_;
  memory input_, output_;
  std::vector<Step> steps_;
  std::unordered_set<dnnl_memory_t> intermediates_;
  std::vector<AlignedBuffer> buffers_;
};

}  // namespace

struct TomoGanDenoiser::Impl {
  TomoGanModel model;
  TomoGanOptions options;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  // Most recently used first; a live session sees one or two tile shapes.
  std::list<Network> networks;

  Network& network(int height, int width) {
    for (auto it = networks.begin(); it != networks.end(); ++it) {
      if (it->height() == height && it->width() == width) {
        networks.splice(networks.begin(), networks, it);
        return networks.front();
      }
    }
    constexpr std::size_t kCachedShapes = 2;
    if (networks.size() >= kCachedShapes) networks.pop_back();
    const Type type = options.precision == TomoGanPrecision::bf16 ? Type::bf16 : Type::f32;
    networks.emplace_front(engine, stream, model, type, height, width);
    return networks.front();
  }
};

TomoGanDenoiser::TomoGanDenoiser(TomoGanModel model, TomoGanOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (options.halo < 0 || options.halo % kAlign != 0) {
    throw std::invalid_argument("TomoGAN: halo " + std::to_string(options.halo) +
                                " must be a non-negative multiple of 8");
  }
  if (options.tileSize % kAlign != 0 || options.tileSize < 2 * options.halo + kAlign) {
    throw std::invalid_argument("TomoGAN: tile size " + std::to_string(options.tileSize) +
                                " must be a multiple of 8 and at least 2 × halo + 8 = " +
                                std::to_string(2 * options.halo + kAlign));
  }
  if (options.precision == TomoGanPrecision::automatic) {
    options.precision = cpuSupportsBf16() ? TomoGanPrecision::bf16 : TomoGanPrecision::f32;
  } else if (options.precision == TomoGanPrecision::bf16 && !cpuSupportsBf16()) {
    throw std::invalid_argument(
        "TomoGAN: bf16 needs a CPU with AVX-512 BF16; this one runs f32 only");
  }
  impl_->model = std::move(model);
  impl_->options = options;
}

TomoGanDenoiser::~TomoGanDenoiser() = default;

int TomoGanDenoiser::depth() const { return impl_->model.depth(); }

TomoGanPrecision TomoGanDenoiser::precision() const { return impl_->options.precision; }

const TomoGanModel& TomoGanDenoiser::model() const { return impl_->model; }

bool TomoGanDenoiser::cpuSupportsBf16() {
  const auto isa = dnnl_get_effective_cpu_isa();
  return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}

std::string TomoGanDenoiser::name() const {
  const char* precision = impl_->options.precision == TomoGanPrecision::bf16 ? "bf16" : "f32";
  return std::string("TomoGAN (oneDNN ") + precision + ", " + isaName() + ")";
}

TomoGanTiling TomoGanDenoiser::tiling(int height, int width) const {
  const TomoGanOptions& o = impl_->options;
  const AxisTiles y = planAxis(roundUpToAlign(height), o.tileSize, o.halo);
  const AxisTiles x = planAxis(roundUpToAlign(width), o.tileSize, o.halo);
  return {y.length, x.length, int(y.origin.size()), int(x.origin.size())};
}

std::vector<float> TomoGanDenoiser::enhance(std::span<const float> slices, int height, int width) {
  const int depth = impl_->model.depth();
  checkEnhanceInput(depth, slices.size(), height, width);
  if (const TomoGanNormalisation n = impl_->model.normalisation();
      n != TomoGanNormalisation::global)
    return enhancePerSlice(slices, depth, height, width, n,
                           [this](std::span<const float> s, int h, int w) { return run(s, h, w); });
  return run(slices, height, width);
}

std::vector<float> TomoGanDenoiser::run(std::span<const float> slices, int height, int width) {
  const int depth = impl_->model.depth();
  const std::size_t plane = std::size_t(height) * std::size_t(width);
  const TomoGanOptions& o = impl_->options;
  const AxisTiles ty = planAxis(roundUpToAlign(height), o.tileSize, o.halo);
  const AxisTiles tx = planAxis(roundUpToAlign(width), o.tileSize, o.halo);
  Network& net = impl_->network(ty.length, tx.length);
  const int th = ty.length, tw = tx.length;

  const float offset = float(impl_->model.inputOffset());
  const float scale = float(impl_->model.inputScale());
  const float padding = (0.0f - offset) * scale;  // air beyond the image, normalised
  std::vector<float> result(plane);
  for (std::size_t iy = 0; iy < ty.origin.size(); ++iy) {
    for (std::size_t ix = 0; ix < tx.origin.size(); ++ix) {
      const int oy = ty.origin[iy], ox = tx.origin[ix];
      const int columns = std::clamp(width - ox, 0, tw);
      float* in = net.input();
      for (int c = 0; c < depth; ++c) {
        for (int r = 0; r < th; ++r) {
          float* row = in + (std::size_t(c) * th + r) * tw;
          const int y = oy + r;
          const int valid = y < height ? columns : 0;
          if (valid > 0) {
            const float* src = slices.data() + c * plane + std::size_t(y) * width + ox;
            for (int i = 0; i < valid; ++i) row[i] = (src[i] - offset) * scale;
          }
          std::fill(row + valid, row + tw, padding);
        }
      }
      net.run();
      const float* out = net.output();
      const int yEnd = std::min(ty.keepEnd[iy], height), xEnd = std::min(tx.keepEnd[ix], width);
      for (int y = ty.keepBegin[iy]; y < yEnd; ++y) {
        const float* row = out + std::size_t(y - oy) * tw;
        float* dst = result.data() + std::size_t(y) * width;
        for (int x = tx.keepBegin[ix]; x < xEnd; ++x) dst[x] = row[x - ox] / scale + offset;
      }
    }
  }
  return result;
}

}  // namespace tomolive

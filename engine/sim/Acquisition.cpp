#include "sim/Acquisition.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <stdexcept>

namespace tomolive {

namespace {

void checkPlan(const AcquisitionPlan& plan) {
  if (plan.projections < 1)
    throw std::invalid_argument("acquisition: projections " + std::to_string(plan.projections) +
                                " must be at least 1");
  if (plan.order == AcquisitionOrder::Interlaced &&
      (plan.window < 1 || plan.window > plan.projections))
    throw std::invalid_argument("acquisition: interlaced window " + std::to_string(plan.window) +
                                " must lie in 1 … projections (" +
                                std::to_string(plan.projections) + ")");
}

}  // namespace

AcquisitionPlan parseAcquisitionOrder(const std::string& text, int projections) {
  if (projections < 1)
    throw std::invalid_argument("acquisition: projections " + std::to_string(projections) +
                                " must be at least 1");
  if (text == "sequential") return {AcquisitionOrder::Sequential, projections, projections};
  if (text == "golden") return {AcquisitionOrder::Golden, projections, projections};
  const std::string prefix = "interlaced:";
  if (text.starts_with(prefix)) {
    const std::string number = text.substr(prefix.size());
    const bool digits = !number.empty() && number.size() <= 9 &&
                        number.find_first_not_of("0123456789") == std::string::npos;
    if (!digits)
      throw std::invalid_argument("acquisition order \"" + text + "\": window \"" + number +
                                  "\" must be a whole number in 1 … projections (" +
                                  std::to_string(projections) + ")");
    const int window = std::stoi(number);
    if (window < 1 || window > projections)
      throw std::invalid_argument("acquisition order \"" + text + "\": window " +
                                  std::to_string(window) + " must lie in 1 … projections (" +
                                  std::to_string(projections) + ")");
    return {AcquisitionOrder::Interlaced, projections, window};
  }
  throw std::invalid_argument("unknown acquisition order \"" + text +
                              "\"; valid: sequential, golden, interlaced:W (W projections per "
                              "rotation)");
}

double vanDerCorput(unsigned n) {
  double value = 0.0, digit = 0.5;
  for (; n != 0; n >>= 1, digit *= 0.5)
    if (n & 1u) value += digit;
  return value;
}

std::vector<int> interlacedReplayOrder(const std::vector<double>& anglesRad, int window) {
  const int p = int(anglesRad.size());
  if (p < 1) throw std::invalid_argument("interlaced replay: the scan has no projections");
  if (window < 1 || window > p)
    throw std::invalid_argument("interlaced replay: window " + std::to_string(window) +
                                " must lie in 1 … projections (" + std::to_string(p) + ")");
  std::vector<int> sorted(p);
  std::iota(sorted.begin(), sorted.end(), 0);
  const auto folded = [&](int i) {
    return std::fmod(std::fmod(anglesRad[i], std::numbers::pi) + std::numbers::pi,
                     std::numbers::pi);
  };
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](int a, int b) { return folded(a) < folded(b); });
  const int rotations = (p + window - 1) / window;
  // Offsets 0 … R−1 in van der Corput order: ⌊vdC(n)·R⌋ for n = 0, 1, 2, …, first occurrences.
  std::vector<int> offsets;
  std::vector<char> taken(rotations, 0);
  for (unsigned n = 0; int(offsets.size()) < rotations; ++n) {
    const int k = std::min(rotations - 1, int(vanDerCorput(n) * rotations));
    if (!taken[k]) taken[k] = 1, offsets.push_back(k);
  }
  std::vector<int> order;
  order.reserve(p);
  for (int k : offsets)
    for (int i = k; i < p; i += rotations) order.push_back(sorted[i]);
  return order;
}

std::vector<double> acquisitionAnglesRad(const AcquisitionPlan& plan) {
  checkPlan(plan);
  const int p = plan.projections;
  std::vector<double> angles(p);
  switch (plan.order) {
    case AcquisitionOrder::Sequential:
      for (int i = 0; i < p; ++i) angles[i] = i * std::numbers::pi / p;
      break;
    case AcquisitionOrder::Interlaced: {
      const int w = plan.window;
      for (int i = 0; i < p; ++i) {
        const double offset = vanDerCorput(static_cast<unsigned>(i / w));
        angles[i] = (i % w + offset) * std::numbers::pi / w;
      }
      break;
    }
    case AcquisitionOrder::Golden: {
      const double golden = (std::sqrt(5.0) - 1.0) / 2.0;
      // k·φ mod 1 first, then scale: keeps full precision for large k.
      for (int k = 0; k < p; ++k) {
        const double turn = k * golden;
        angles[k] = (turn - std::floor(turn)) * std::numbers::pi;
      }
      break;
    }
  }
  return angles;
}

}  // namespace tomolive

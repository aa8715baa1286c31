// The single-tap plane path of the row engine (Note [single-tap planes]): the backward of x0.5 resizes of small
// contiguous planes. Compiled once per instruction set (Note [cpu isa]).
#pragma once

#include "../common/geometry.h"
#include "../common/plan.h"
#include "../common/store.h"
#include "parallel.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#ifndef TORCHRESAMPLE_ISA
#error "define TORCHRESAMPLE_ISA (the instruction-set namespace) before including single_tap_planes.h"
#endif

namespace torchresample {
namespace TORCHRESAMPLE_ISA {

// Note [single-tap planes]
// Where every output takes at most one input along each axis (the transposed plans of a x0.5 nearest, linear or area
// resize, i.e. its backward) and either most outputs take none (nearest: 3 in 4 gradient elements are zero) or the
// rows are short, a contiguous tensor of small planes is zeroed a plane at a time and only the reached elements are
// written, from a list built once per call: the row path visits every element and pays a fixed cost per row, which
// on rows of 4 to 16 elements outweighs the row.
// Each reached element is the row path's expression, (W weight * input) * (D weight * H weight), and with
// non-negative weights the row path's zero is +0, so the bits are the same.
constexpr int64_t kSingleTapMaxPlane = 4096;  // the list stays in L1/L2
constexpr int64_t kSingleTapMinPlanes = 2;    // one plane does not repay it (3 planes of 32^2: 0.9x -> 1.2x torch)
constexpr int64_t kSingleTapShortRow = 16;    // rows the list beats even when every element is reached

template <typename acc_t>
int64_t reached(const PlanView<acc_t>& p, int64_t n) {
  int64_t out = 0;
  for (int64_t o = 0; o < n; ++o) {
    out += p.count[o] != 0;
  }
  return out;
}

template <typename acc_t>
bool non_negative(const PlanView<acc_t>& p, int64_t n) {
  for (int64_t o = 0; o < n; ++o) {
    if (std::signbit(p.weight[o])) {
      return false;
    }
  }
  return true;
}

template <typename acc_t>
bool takes_single_tap_planes(const ResampleGeometry& g, const PlanView<acc_t>& pd, const PlanView<acc_t>& ph,
                             const PlanView<acc_t>& pw) {
  const int64_t plane_in = g.in[0] * g.in[1] * g.in[2];
  const int64_t plane_out = g.out[0] * g.out[1] * g.out[2];
  if (g.channels != 1 || pd.taps != 1 || ph.taps != 1 || pw.taps != 1 || plane_out > kSingleTapMaxPlane ||
      g.batch < kSingleTapMinPlanes || plane_in > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  const int64_t elements = reached(pd, g.out[0]) * reached(ph, g.out[1]) * reached(pw, g.out[2]);
  return (2 * elements <= plane_out || g.out[2] <= kSingleTapShortRow) && non_negative(pd, g.out[0]) &&
         non_negative(ph, g.out[1]) && non_negative(pw, g.out[2]);
}

template <typename scalar_t, typename acc_t>
void single_tap_planes(const scalar_t* in, scalar_t* out, const ResampleGeometry& g, const PlanView<acc_t>& pd,
                       const PlanView<acc_t>& ph, const PlanView<acc_t>& pw) {
  const int64_t Hi = g.in[1], Wi = g.in[2];
  const int64_t Do = g.out[0], Ho = g.out[1], Wo = g.out[2];
  const int64_t plane_in = g.in[0] * Hi * Wi, plane_out = Do * Ho * Wo;
  struct Element {
    int32_t dst, src;
    acc_t weight, scale;  // the W weight; the D*H weight
  };
  std::vector<Element> elements;
  for (int64_t od = 0; od < Do; ++od) {
    for (int64_t oh = 0; oh < Ho; ++oh) {
      if (pd.count[od] == 0 || ph.count[oh] == 0) {
        continue;
      }
      const acc_t scale = pd.weight[od] * ph.weight[oh];
      const int64_t src_row = (pd.start[od] * Hi + ph.start[oh]) * Wi, dst_row = (od * Ho + oh) * Wo;
      for (int64_t ow = 0; ow < Wo; ++ow) {
        if (pw.count[ow] != 0) {
          elements.push_back(
              {static_cast<int32_t>(dst_row + ow), static_cast<int32_t>(src_row + pw.start[ow]), pw.weight[ow], scale});
        }
      }
    }
  }
  const int64_t grain = parallel_grain(plane_out);
  parallel_for(0, g.batch, grain, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const scalar_t* src = in + b * plane_in;
      scalar_t* dst = out + b * plane_out;
      std::memset(static_cast<void*>(dst), 0, plane_out * sizeof(scalar_t));
      for (const Element& e : elements) {
        dst[e.dst] = store<scalar_t>((e.weight * static_cast<acc_t>(src[e.src])) * e.scale);
      }
    }
  });
}

}  // namespace TORCHRESAMPLE_ISA
}  // namespace torchresample

// The CPU row engine (Note [row-fused engine]), compiled once per instruction set: each including file defines
// TORCHRESAMPLE_ISA, the namespace its copy lives in (Note [cpu isa]). resample_rows is its one composer: per output
// row, the D and H taps (row_blend.h) or the pixel path (pixel_path.h), then the W pass (w_pass.h); small planes of
// single taps take single_tap_planes.h. nearest_rows gathers; uint8_rows (uint8_engine.h) is the fixed-point engine.
#pragma once

#include "../common/geometry.h"
#include "../common/inline_vector.h"
#include "../common/plan.h"
#include "../common/store.h"
#include "parallel.h"
#include "periodic.h"
#include "pixel_path.h"
#include "row_blend.h"
#include "single_tap_planes.h"
#include "uint8_engine.h"
#include "w_pass.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#ifndef TORCHRESAMPLE_ISA
#error "define TORCHRESAMPLE_ISA (the instruction-set namespace) before including row_engine.h"
#endif

namespace torchresample {
namespace TORCHRESAMPLE_ISA {

// Output rows in order as (batch, od, oh), stepped rather than divided out per row.
struct RowCursor {
  int64_t b, od, oh;
  const int64_t Do, Ho;
  RowCursor(int64_t r, int64_t Do_, int64_t Ho_)
      : b(r / (Do_ * Ho_)), od((r / Ho_) % Do_), oh(r % Ho_), Do(Do_), Ho(Ho_) {}
  void next() {
    if (++oh == Ho) {
      oh = 0;
      if (++od == Do) {
        od = 0;
        ++b;
      }
    }
  }
};

// The most (output row, input row) pairs whose offsets and weights resample_rows tables per call (256 KiB).
constexpr int64_t kRowTableEntries = int64_t(1) << 14;

// Rows shorter than this are blended one at a time: interleaving several short rows from far-apart addresses
// defeats the hardware prefetcher (a 3-D x2 backward ran at half speed), while long rows gain from loading
// and storing the accumulator once per four.
constexpr int64_t kInterleavedRow = 1024;

// Note [row-fused engine]
// For each output row (batch, od, oh): blend the D and H taps of whole input rows into a row buffer in the
// accumulation type (skipped when the window is a single input row: its weight scales the W pass), then
// resample that row along W. The input is read about once and the output written once; every output element is a sum in
// a fixed order, so results do not depend on the thread count. The backward runs this on the transposed plans.
template <typename scalar_t, typename acc_t>
void resample_rows(const scalar_t* in, scalar_t* out, const ResampleGeometry& g,
                   const std::array<AxisPlan<acc_t>, 3>& plans) {
  const PlanView<acc_t> pd = view(plans[0]), ph = view(plans[1]), pw = view(plans[2]);
  if (takes_single_tap_planes(g, pd, ph, pw)) {
    return single_tap_planes(in, out, g, pd, ph, pw);  // Note [single-tap planes]
  }
  const bool w_identity = plans[2].is_identity();
  const int64_t C = g.channels;
  const int64_t Di = g.in[0], Hi = g.in[1];
  const int64_t Do = g.out[0], Ho = g.out[1], Wo = g.out[2];
  const int64_t in_row = g.in[2] * C, out_row = Wo * C;
  const int64_t rows = g.batch * Do * Ho;
  const int64_t row_cost = pd.taps * ph.taps * in_row + pw.taps * out_row;
  const int64_t grain = parallel_grain(row_cost);
  const bool pixel_path = takes_pixel_path(C, w_identity, pd.taps * ph.taps * pw.taps);  // Note [pixel path]
  const PeriodicW periodic =
      C == 1 && !w_identity ? find_periodic(pw.start, pw.count, pw.weight, pw.taps, Wo) : PeriodicW{};
  // The input rows of output row (od, oh) of a plane: offsets into the plane and weights wd * wh; returns how many.
  const int64_t max_rows = pd.taps * ph.taps;
  const auto row_taps = [&](int64_t od, int64_t oh, int64_t* offset, acc_t* weight) {
    int64_t n = 0;
    for (int64_t kd = 0; kd < pd.count[od]; ++kd) {
      for (int64_t kh = 0; kh < ph.count[oh]; ++kh, ++n) {
        offset[n] = ((pd.start[od] + kd) * Hi + ph.start[oh] + kh) * in_row;
        weight[n] = pd.weight[od * pd.taps + kd] * ph.weight[oh * ph.taps + kh];
      }
    }
    return n;
  };
  // Built once per call for every (od, oh) where that table is small (2-D maps, small volumes): the row loop then
  // only adds the plane (short rows spent ~50 instructions a row building them); a large table (volumes with wide
  // antialias windows) would cost more memory than it saves, and its rows are built as they come.
  const bool tabled = Do * Ho * max_rows <= kRowTableEntries;
  InlineVector<int64_t, 256> row_count(tabled ? Do * Ho : 0), row_offset(tabled ? Do * Ho * max_rows : 0);
  InlineVector<acc_t, 256> row_scale(tabled ? Do * Ho * max_rows : 0);
  for (int64_t i = 0; tabled && i < Do * Ho; ++i) {
    row_count[i] = row_taps(i / Ho, i % Ho, row_offset.data() + i * max_rows, row_scale.data() + i * max_rows);
  }
  const int64_t* table_count = row_count.data();
  const int64_t* table_offset = row_offset.data();
  const acc_t* table_scale = row_scale.data();
  parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    InlineVector<acc_t, 256> buf_storage(pixel_path ? 0 : in_row);
    InlineVector<const scalar_t*, 16> rows_storage(max_rows);
    InlineVector<int64_t, 16> own_offset_storage(tabled ? 0 : max_rows);
    InlineVector<acc_t, 16> own_weight_storage(tabled ? 0 : max_rows);
    // The loop below uses plain pointers (data() chooses between the inline and the heap buffer).
    acc_t* buf = buf_storage.data();
    const scalar_t** row_src = rows_storage.data();
    int64_t* own_offset = own_offset_storage.data();
    acc_t* own_weight = own_weight_storage.data();
    RowCursor cur(begin, Do, Ho);
    for (int64_t r = begin; r < end; ++r, cur.next()) {
      const int64_t i = cur.od * Ho + cur.oh;
      const int64_t n = tabled ? table_count[i] : row_taps(cur.od, cur.oh, own_offset, own_weight);
      const int64_t* offset = tabled ? table_offset + i * max_rows : own_offset;
      const acc_t* row_weight = tabled ? table_scale + i * max_rows : own_weight;
      const scalar_t* plane = in + cur.b * Di * Hi * in_row;
      scalar_t* dst = out + r * out_row;
      if (n == 1) {
        w_pass<scalar_t, scalar_t, acc_t>(plane + offset[0], dst, pw, periodic, Wo, C, w_identity, row_weight[0]);
        continue;
      }
      if (n == 0) {
        // No input row reaches this output row (a gradient row no output read): it is zero.
        std::fill(dst, dst + out_row, store<scalar_t>(acc_t(0)));
        continue;
      }
      for (int64_t k = 0; k < n; ++k) {
        row_src[k] = plane + offset[k];
      }
      if (pixel_path) {
        pixel_row<scalar_t, acc_t>(row_src, row_weight, n, pw, Wo, C, dst);
        continue;
      }
      blend(row_src, row_weight, n, 0, in_row, buf, in_row >= kInterleavedRow ? 4 : 1);
      w_pass<acc_t, scalar_t, acc_t>(buf, dst, pw, periodic, Wo, C, w_identity, acc_t(1));
    }
  });
}

// Nearest forward: a pure gather, bit-exact for every dtype.
template <typename scalar_t, typename T>
void nearest_rows(const scalar_t* in, scalar_t* out, const ResampleGeometry& g,
                  const std::array<AxisPlan<T>, 3>& plans) {
  const int64_t C = g.channels;
  const int64_t Di = g.in[0], Hi = g.in[1];
  const int64_t Do = g.out[0], Ho = g.out[1], Wo = g.out[2];
  const int64_t in_row = g.in[2] * C, out_row = Wo * C;
  const int64_t* sd = plans[0].start.data();
  const int64_t* sh = plans[1].start.data();
  const int64_t* sw = plans[2].start.data();
  const bool w_identity = plans[2].is_identity();
  bool every_other = Wo > 1;  // W reads inputs sw[0], sw[0] + 2, sw[0] + 4, ...
  for (int64_t ow = 1; ow < Wo && every_other; ++ow) {
    every_other = sw[ow] == sw[0] + 2 * ow;
  }
  const int64_t grain = parallel_grain(out_row);
  parallel_for(0, g.batch * Do * Ho, grain, [&](int64_t begin, int64_t end) {
    RowCursor cur(begin, Do, Ho);
    const scalar_t* previous = nullptr;  // the source of this thread's previous output row
    for (int64_t r = begin; r < end; ++r, cur.next()) {
      const scalar_t* src = in + ((cur.b * Di + sd[cur.od]) * Hi + sh[cur.oh]) * in_row;
      scalar_t* dst = out + r * out_row;
      if (src == previous) {
        // The same input row as the row above (upsampling along H or D): one contiguous copy of that output
        // row instead of a gather.
        std::memcpy(dst, dst - out_row, out_row * sizeof(scalar_t));
        continue;
      }
      previous = src;
      if (w_identity) {
        std::memcpy(dst, src, out_row * sizeof(scalar_t));
      } else if (C == 1 && every_other) {
        // A constant stride the compiler vectorises (x0.5), where an index per element keeps it scalar.
        const scalar_t* first = src + sw[0];
        for (int64_t ow = 0; ow < Wo; ++ow) {
          dst[ow] = first[2 * ow];
        }
      } else if (C == 1) {
        for (int64_t ow = 0; ow < Wo; ++ow) {
          dst[ow] = src[sw[ow]];
        }
      } else {
        for (int64_t ow = 0; ow < Wo; ++ow) {
          std::memcpy(dst + ow * C, src + sw[ow] * C, C * sizeof(scalar_t));
        }
      }
    }
  });
}

// The entry points the dispatcher calls (row_engine_dispatch.h), for every dtype the ops take.
#define TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(scalar_t)                                                           \
  template void resample_rows<scalar_t, acc_type<scalar_t>>(const scalar_t*, scalar_t*, const ResampleGeometry&, \
                                                            const std::array<AxisPlan<acc_type<scalar_t>>, 3>&); \
  template void nearest_rows<scalar_t, acc_type<scalar_t>>(const scalar_t*, scalar_t*, const ResampleGeometry&,  \
                                                           const std::array<AxisPlan<acc_type<scalar_t>>, 3>&);

}  // namespace TORCHRESAMPLE_ISA
}  // namespace torchresample

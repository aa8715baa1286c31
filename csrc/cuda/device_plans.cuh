// The device plans of a resample call: built on the host by the code the CPU kernels use, packed into one upload,
// and kept in a per-stream cache (Note [device plan cache]).
#pragma once

#include "../glue/resample_glue.h"
#include "device_runtime.cuh"

#include <ATen/core/Tensor.h>

#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace torchresample {

// The plans of one call on the device: the resampled axes, their tap bounds, and their tables in `storage`.
template <typename acc_t>
struct DevicePlans {
  at::Tensor storage;
  AxisMask resampled = 0;
  std::array<int64_t, 3> taps{1, 1, 1};
  std::array<PlanView<acc_t>, 3> axes;
};

// Packs the plans of the resampled axes into one staging buffer and sends it with one asynchronous copy on the
// current stream, so that kernels which follow on that stream see them and the host does not wait. The plans
// are built on the host by the code the CPU kernels use.
template <typename acc_t>
DevicePlans<acc_t> upload_plans(const std::array<AxisPlan<acc_t>, 3>& plans, const at::Device where) {
  DevicePlans<acc_t> result;
  result.resampled = resampled_axes(plans);
  auto align8 = [](size_t n) { return (n + 7) / 8 * 8; };
  std::array<size_t, 3> offset{};
  size_t bytes = 0;
  for (int a = 0; a < 3; ++a) {
    result.taps[a] = plans[a].taps;
    if (result.resampled >> a & 1) {
      offset[a] = bytes;
      bytes += 2 * plans[a].out_size * sizeof(int64_t) + align8(plans[a].weight.size() * sizeof(acc_t));
    }
  }
  if (bytes == 0) {
    return result;
  }
  const at::Tensor host = device::staging_buffer(static_cast<int64_t>(bytes));
  uint8_t* h = host.mutable_data_ptr<uint8_t>();
  for (int a = 0; a < 3; ++a) {
    if (result.resampled >> a & 1) {
      const AxisPlan<acc_t>& p = plans[a];
      const size_t n = p.out_size * sizeof(int64_t);
      std::memcpy(h + offset[a], p.start.data(), n);
      std::memcpy(h + offset[a] + n, p.count.data(), n);
      std::memcpy(h + offset[a] + 2 * n, p.weight.data(), p.weight.size() * sizeof(acc_t));
    }
  }
  const at::Tensor storage = device::upload(host, where);
  result.storage = storage;
  const uint8_t* d = storage.const_data_ptr<uint8_t>();
  for (int a = 0; a < 3; ++a) {
    if (result.resampled >> a & 1) {
      const size_t n = plans[a].out_size * sizeof(int64_t);
      result.axes[a] = {reinterpret_cast<const int64_t*>(d + offset[a]),
                        reinterpret_cast<const int64_t*>(d + offset[a] + n),
                        reinterpret_cast<const acc_t*>(d + offset[a] + 2 * n), plans[a].taps};
    }
  }
  return result;
}

// Note [device plan cache]
// For the small maps decoders resample, building plans on the host and copying them to the device costs more
// than the kernel. Device plans are therefore kept by everything that decides them (filter, flags, scales, the
// forward's extents, direction, accumulation type) and by device and stream, least recently used first out, at
// most plan_cache_entries entries (Note [cuda options]) and kMaxCachedBytes. Per stream, because a stream runs its
// kernels after its copies: an entry is ready for every launch on the stream it was uploaded on, and when an
// entry is evicted the caching allocator reuses its memory on that stream only after the kernels before. CUDA graph
// capture: a hit whose upload is known to be complete (its event was seen done) is used and pinned (never evicted,
// since the graph reads it at every replay); any other call uploads inside the capture and caches nothing (that
// copy happens only when the graph replays). Cached and fresh plans are the same bytes, so results do not depend
// on the cache.
inline constexpr int64_t kMaxCachedBytes = int64_t{64} << 20;

template <typename acc_t>
class PlanCache {
 public:
  struct Entry {
    DevicePlans<acc_t> plans;
    device::Event uploaded;
    bool complete = false;  // the upload was seen done
    bool pinned = false;    // read by a captured graph
  };
  using EntryPtr = std::shared_ptr<Entry>;

  // The entry for `key` that a launch on the current stream may read, or null.
  EntryPtr find(const PlanKey& key, bool capturing) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = index_.find(key);
    if (it == index_.end()) {
      return nullptr;
    }
    const EntryPtr& entry = it->second->second;
    if (!entry->complete && !capturing) {
      entry->complete = entry->uploaded.query();
    }
    if (capturing) {
      if (!entry->complete) {
        return nullptr;
      }
      entry->pinned = true;
    }
    order_.splice(order_.begin(), order_, it->second);
    return entry;
  }

  void insert(const PlanKey& key, EntryPtr entry, int64_t capacity) {
    const int64_t bytes = entry->plans.storage.defined() ? entry->plans.storage.nbytes() : 0;
    if (bytes > kMaxCachedBytes / 4) {
      return;
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    if (index_.count(key)) {
      return;
    }
    order_.emplace_front(key, std::move(entry));
    index_.emplace(key, order_.begin());
    bytes_ += bytes;
    // Oldest first; pinned entries stay.
    for (auto it = order_.end(); it != order_.begin() && (count() > capacity || bytes_ > kMaxCachedBytes);) {
      --it;
      if (it->second->pinned) {
        continue;
      }
      bytes_ -= it->second->plans.storage.defined() ? it->second->plans.storage.nbytes() : 0;
      index_.erase(it->first);
      it = order_.erase(it);
    }
  }

 private:
  int64_t count() const { return static_cast<int64_t>(order_.size()); }

  std::mutex mutex_;
  std::list<std::pair<PlanKey, EntryPtr>> order_;  // most recently used first
  std::unordered_map<PlanKey, typename std::list<std::pair<PlanKey, EntryPtr>>::iterator, PlanKeyHash> index_;
  int64_t bytes_ = 0;
};

// The device plans of a call: from the cache when it has them, else built, uploaded and (outside capture) cached.
// The caller holds the entry until its launches are issued, so an eviction meanwhile frees nothing it reads.
template <typename acc_t>
std::shared_ptr<const DevicePlans<acc_t>> device_plans(const ResampleCall& call, const at::Device where) {
  // Never destroyed: freeing device memory during static destruction can outlive the CUDA runtime.
  static auto& cache = *new PlanCache<acc_t>();
  const int64_t capacity = cuda_options().plan_cache_entries.load();
  const bool capturing = device::capturing();
  const PlanKey key =
      plan_key(call, sizeof(acc_t), nearest_rule(call, PlanDevice::kCuda), device::current_stream_key());
  if (capacity > 0) {
    if (auto hit = cache.find(key, capturing)) {
      return {hit, &hit->plans};
    }
  }
  auto entry = std::make_shared<typename PlanCache<acc_t>::Entry>();
  entry->plans = upload_plans(call_plans<acc_t>(call, PlanDevice::kCuda), where);
  if (capacity > 0 && !capturing) {
    entry->uploaded.record(device::current_stream());
    cache.insert(key, entry, capacity);
  }
  return {entry, &entry->plans};
}

}  // namespace torchresample

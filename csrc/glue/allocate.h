// Output allocation shared by every op: at::empty, with huge pages for large CPU outputs.
#pragma once

#include <ATen/core/Tensor.h>

namespace torchresample {

// Note [huge pages]
// A freshly allocated large CPU tensor pays a page fault per 4 KiB on first write (about 37 ms per 128 MiB on
// the project's machine, several times the write itself). With TORCHRESAMPLE_HUGEPAGES=1, outputs of 4 MiB or
// more are advised as transparent huge pages (MADV_HUGEPAGE): one fault per 2 MiB, about 7 ms per 128 MiB once
// warm. Opt-in, like torch's THP_MEM_ALLOC_ENABLE: on the project's VM the first calls of a process cost about
// 3x more (the host backs guest huge pages lazily) and some backward cases became erratic. Linux CPU only.
at::Tensor empty_output(at::IntArrayRef sizes, const at::TensorOptions& options);

}  // namespace torchresample

// The row engine for any x86-64 (or other) CPU: the portable build (Note [cpu isa]).
#define TORCHRESAMPLE_ISA baseline
#include "row_engine.h"

#include <c10/util/BFloat16.h>  // the dtypes this copy is instantiated for
#include <c10/util/Half.h>

namespace torchresample {
namespace baseline {
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(float)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(double)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(c10::Half)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(c10::BFloat16)
TORCHRESAMPLE_INSTANTIATE_ROW_ENGINE(uint8_t)
}  // namespace baseline
}  // namespace torchresample

// The torchresample._C module stub and every op schema (kernels register per device in cpu/ and cuda/).
#include <Python.h>
#include <torch/library.h>

extern "C" {
// Importing torchresample._C loads this library, which runs the registrations below; no Python bindings.
PyObject* PyInit__C(void) {
  static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_C", nullptr, -1, nullptr};
  return PyModule_Create(&module_def);
}
}

TORCH_LIBRARY(torchresample, m) {
  // `filter`: nearest | nearest-exact | linear | cubic | area | lanczos. `scales`: empty, or one per spatial
  // axis, the caller's scale factor (<= 0: none), used by the kernels as torch's upsample ops use theirs.
  m.def(
      "resample(Tensor input, SymInt[] output_size, str filter, bool align_corners=False, float[] scales=[], "
      "bool antialias=False) -> Tensor");
  // Gradient of `resample` with respect to its input, whose full shape is `input_size`.
  m.def(
      "resample_backward(Tensor grad_output, SymInt[] input_size, str filter, bool align_corners=False, "
      "float[] scales=[], bool antialias=False) -> Tensor");
}

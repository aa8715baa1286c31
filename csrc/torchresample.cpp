// The torchresample._C module stub and the op library (schemas in schemas.h; kernels register per device in cpu/ and
// cuda/).
#include <Python.h>
#include "schemas.h"

extern "C" {
// Importing torchresample._C loads this library, which runs the registrations below; no Python bindings.
PyObject* PyInit__C(void) {
  static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_C", nullptr, -1, nullptr};
  return PyModule_Create(&module_def);
}
}

TORCH_LIBRARY(torchresample, m) {
  torchresample::define_ops(m);
}

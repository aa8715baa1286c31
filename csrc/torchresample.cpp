// The torchresample._C module and the op library (schemas in schemas.h; kernels register per device in cpu/ and
// cuda/). The module's one function is the filter table; it uses Python's limited API only.
#include <Python.h>

#include "common/filters.h"
#include "schemas.h"

namespace {

// filter_table() -> ((name, kind, negative_lobes, ((param, default), ...)), ...): the filters of Note [filter table],
// for the Python API (modes, parameter names and defaults, documentation).
PyObject* filter_table(PyObject* /*module*/, PyObject* /*unused*/) {
  using namespace torchresample;
  PyObject* table = PyTuple_New(kFilterCount);
  for (int i = 0; table != nullptr && i < kFilterCount; ++i) {
    PyObject* row = with_filter(static_cast<Filter>(i), [&](auto F) -> PyObject* {
      using Row = decltype(F);
      PyObject* params = PyTuple_New(static_cast<Py_ssize_t>(Row::params.size()));
      for (size_t k = 0; params != nullptr && k < Row::params.size(); ++k) {
        PyObject* param = Py_BuildValue("(sd)", Row::params[k].name, Row::params[k].default_value);
        if (param == nullptr || PyTuple_SetItem(params, static_cast<Py_ssize_t>(k), param) != 0) {
          Py_CLEAR(params);
        }
      }
      return params == nullptr ? nullptr
                               : Py_BuildValue("(ssNN)", Row::name, kind_name(Row::kind),
                                               PyBool_FromLong(Row::negative_lobes), params);
    });
    if (row == nullptr || PyTuple_SetItem(table, i, row) != 0) {
      Py_CLEAR(table);
    }
  }
  return table;
}

PyMethodDef kMethods[] = {
    {"filter_table", &filter_table, METH_NOARGS,
     "the filter table: ((name, kind, negative_lobes, ((param, default), ...)), ...)"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

extern "C" {
// Importing torchresample._C loads this library, which runs the registrations below.
PyObject* PyInit__C(void) {
  static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_C", nullptr, -1, kMethods};
  return PyModule_Create(&module_def);
}
}

TORCH_LIBRARY(torchresample, m) { torchresample::define_ops(m); }

// csrc/common/*.cpp built again for the emulated device's module, as one file of its own: setuptools keeps the
// objects of every extension in one folder by source path, so compiling the same sources for both modules made
// each build recompile the other's objects.
#include "../common/allocate.cpp"
#include "../common/max_unpool_glue.cpp"
#include "../common/pixel_shuffle_glue.cpp"
#include "../common/resample_glue.cpp"

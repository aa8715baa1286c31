// csrc/glue/*.cpp built again for the emulated device's module, as one file of its own: setuptools keeps the
// objects of every extension in one folder by source path, so compiling the same sources for both modules made
// each build recompile the other's objects.
#include "../glue/allocate.cpp"
#include "../glue/max_unpool_glue.cpp"
#include "../glue/pixel_shuffle_glue.cpp"
#include "../glue/resample_glue.cpp"
#include "../glue/sampled_glue.cpp"

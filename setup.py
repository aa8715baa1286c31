# Builds torchresample._C: the CPU kernels always, the CUDA kernels when a CUDA build is possible and wanted.
import glob
import os

import torch
from setuptools import setup
from torch.utils.cpp_extension import CUDA_HOME, BuildExtension, CppExtension, CUDAExtension

ROOT = os.path.dirname(os.path.abspath(__file__))


def want_cuda() -> bool:
    """FORCE_CUDA=0 never, FORCE_CUDA=1 whenever a toolkit and a CUDA torch exist, else only with a visible GPU."""
    force = os.environ.get("FORCE_CUDA", "")
    if force == "0" or CUDA_HOME is None or torch.version.cuda is None:
        if force == "1":
            print("torchresample: FORCE_CUDA=1 but no CUDA toolkit or no CUDA build of torch; building CPU only")
        return False
    return force == "1" or torch.cuda.is_available()


# Without a visible GPU: Turing, Ampere (8.x runs sm_80 code), Hopper, Blackwell (data centre and consumer), and
# PTX of the newest for the GPUs after them, which the driver compiles at first use.
DEFAULT_CUDA_ARCHS = "7.5;8.0;9.0;10.0;12.0+PTX"


def cuda_arch_list() -> str:
    """TORCH_CUDA_ARCH_LIST as given; else the visible GPUs' architectures (torch's choice); else the default."""
    given = os.environ.get("TORCH_CUDA_ARCH_LIST")
    if given:
        return given
    if torch.cuda.is_available():
        archs = sorted({"%d.%d" % torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())})
        return ";".join(archs[:-1] + [archs[-1] + "+PTX"])
    return DEFAULT_CUDA_ARCHS


# A switch over an enum must name every value (Note [filter table]: a filter missing from a switch does not build).
WARNINGS = ["-Werror=switch"]


def sources(*patterns: str) -> list:
    return sorted(f for p in patterns for f in glob.glob(p))


def extension():
    cxx = ["-O3", "-fopenmp", *WARNINGS]
    args = dict(
        name="torchresample._C",
        sources=sources("csrc/*.cpp", "csrc/autograd/*.cpp", "csrc/common/*.cpp", "csrc/cpu/*.cpp"),
        include_dirs=[os.path.join(ROOT, "csrc")],
        extra_compile_args={"cxx": cxx},
        extra_link_args=["-fopenmp"],
        py_limited_api=True,
    )
    if not want_cuda():
        return CppExtension(**args)
    archs = cuda_arch_list()
    os.environ["TORCH_CUDA_ARCH_LIST"] = archs
    args["sources"] += sources("csrc/cuda/*.cu")
    args["extra_compile_args"]["nvcc"] = [
        "-O3",
        "--expt-relaxed-constexpr",
        "-lineinfo",
        *("-Xcompiler=" + w for w in WARNINGS),
    ]
    args["define_macros"] = [("TORCHRESAMPLE_WITH_CUDA", "1"), ("TORCHRESAMPLE_CUDA_ARCHS", '"%s"' % archs)]
    return CUDAExtension(**args)


def emulated_extension():
    """torchresample._C_emulated, the CUDA sources built as host code (Note [emulated device]): for the tests, built
    when TORCHRESAMPLE_CUDA_EMULATION=1 (python3 dev.py test sets it)."""
    return CppExtension(
        name="torchresample._C_emulated",
        sources=sources("csrc/emulation/*.cpp"),  # common_glue_emulated.cpp includes csrc/common/*.cpp
        include_dirs=[os.path.join(ROOT, "csrc")],
        define_macros=[("TORCHRESAMPLE_CUDA_EMULATION", "1")],
        extra_compile_args={"cxx": ["-O2", "-Wno-unknown-pragmas", *WARNINGS]},
        py_limited_api=True,
    )


def eager_extension():
    """torchresample._eager, interpolate's and pixel_(un)shuffle's eager entry points (Note [eager calls]): Python's
    full C API and libtorch_python, so built for one Python version, unlike _C. The package works without it."""
    return CppExtension(
        name="torchresample._eager",
        sources=sources("csrc/python/*.cpp"),
        extra_compile_args={"cxx": ["-O2", *WARNINGS]},
    )


EXTENSIONS = [extension(), eager_extension()]
if os.environ.get("TORCHRESAMPLE_CUDA_EMULATION") == "1":
    EXTENSIONS.append(emulated_extension())


# The package's metadata is in pyproject.toml; setup.py adds the compiled extensions.
setup(
    ext_modules=EXTENSIONS,
    cmdclass={"build_ext": BuildExtension.with_options(no_python_abi_suffix=True)},
)

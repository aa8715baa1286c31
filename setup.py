# Builds torchresample._C: the CPU kernels always, the CUDA kernels when a CUDA build is possible and wanted.
import glob
import os
import platform
import subprocess
import sys
import tempfile

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


# Note [cpu isa] (csrc/cpu/row_engine_dispatch.h): the files of the row engine's instruction-set copies, each built
# alone with its own flags and linked after every other object. x86-64 only; elsewhere they are left out.
AVX2_FLAGS = ["-mavx2", "-mfma"]
AVX512_FLAGS = AVX2_FLAGS + ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vbmi", "-mavx512vnni"]
CPU_ISA_FLAGS = {"csrc/cpu/row_engine_avx2.cpp": AVX2_FLAGS, "csrc/cpu/row_engine_avx512.cpp": AVX512_FLAGS}
X86_64 = platform.machine().lower() in ("x86_64", "amd64")

OPENMP_PROBE = "#include <omp.h>\nint main() { return omp_get_max_threads() > 0 ? 0 : 1; }\n"


def openmp_flags(compiler: str) -> tuple:
    """(compile flags, link flags) that give `compiler` OpenMP: -fopenmp (gcc; clang with libomp, e.g. Debian's
    libomp-dev); on macOS, Apple clang's -Xpreprocessor -fopenmp with the libomp that torch's wheel ships, or
    Homebrew's. None works: no flags, and the CPU kernels run on one thread."""
    candidates = [(["-fopenmp"], ["-fopenmp"])]
    if sys.platform == "darwin":
        torch_dir = os.path.dirname(torch.__file__)
        brew = "/opt/homebrew/opt/libomp"
        for include, lib in ((f"{torch_dir}/include", f"{torch_dir}/lib"), (f"{brew}/include", f"{brew}/lib")):
            candidates.append(
                (["-Xpreprocessor", "-fopenmp", f"-I{include}"], [f"-L{lib}", "-lomp", f"-Wl,-rpath,{lib}"])
            )
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.cpp")
        with open(src, "w") as f:
            f.write(OPENMP_PROBE)
        for cflags, lflags in candidates:
            cmd = [compiler, "-x", "c++", src, *cflags, "-o", os.path.join(tmp, "probe"), *lflags]
            if subprocess.run(cmd, capture_output=True).returncode == 0:
                return cflags, lflags
    print(
        f"torchresample: {compiler} builds no OpenMP program (clang on Linux needs libomp-dev; on macOS, torch's "
        "libomp or `brew install libomp`): building without OpenMP, so the CPU kernels run on one thread"
    )
    return [], []


class BuildExtensions(BuildExtension):
    """torch's BuildExtension, with the OpenMP flags of the compiler in use and the instruction-set files of
    CPU_ISA_FLAGS built alone with their flags."""

    def build_extensions(self):
        cflags, lflags = openmp_flags(self.compiler.compiler_so[0])
        for ext in self.extensions:
            if ext.name == "torchresample._C":
                ext.extra_compile_args["cxx"] += cflags
                ext.extra_link_args += lflags
        super().build_extensions()

    def build_extension(self, ext):
        isa = [s for s in ext.sources if os.path.relpath(os.path.abspath(s), ROOT) in CPU_ISA_FLAGS]
        ext.sources = [s for s in ext.sources if s not in isa]
        if isa and X86_64:
            args = ext.extra_compile_args
            cxx = args["cxx"] if isinstance(args, dict) else list(args)
            macros = ext.define_macros[:] + [(name,) for name in ext.undef_macros]
            for source in isa:
                flags = CPU_ISA_FLAGS[os.path.relpath(os.path.abspath(source), ROOT)]
                # Appended after the objects of ext.sources in the link: Note [cpu isa].
                ext.extra_objects += self.compiler.compile(
                    [source],
                    output_dir=self.build_temp,
                    macros=macros,
                    include_dirs=ext.include_dirs,
                    debug=self.debug,
                    extra_postargs={"cxx": cxx + flags},
                    depends=ext.depends,
                )
        super().build_extension(ext)


def extension():
    cxx = ["-O3", *WARNINGS]
    args = dict(
        name="torchresample._C",
        sources=sources("csrc/*.cpp", "csrc/autograd/*.cpp", "csrc/glue/*.cpp", "csrc/cpu/*.cpp"),
        include_dirs=[os.path.join(ROOT, "csrc")],
        extra_compile_args={"cxx": cxx},
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
    args["define_macros"] = [("TORCHRESAMPLE_CUDA_ARCHS", '"%s"' % archs)]
    return CUDAExtension(**args)


def emulated_extension():
    """torchresample._C_emulated, the CUDA sources built as host code (Note [emulated device]): for the tests, built
    when TORCHRESAMPLE_CUDA_EMULATION=1 (python3 dev.py test sets it)."""
    return CppExtension(
        name="torchresample._C_emulated",
        sources=sources("csrc/emulation/*.cpp"),  # glue_emulated.cpp includes csrc/glue/*.cpp
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
    cmdclass={"build_ext": BuildExtensions.with_options(no_python_abi_suffix=True)},
)

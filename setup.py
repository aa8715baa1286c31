# Builds torchresample._C: the CPU kernels always, the CUDA kernels when a CUDA build is possible and wanted.
import glob
import os

import torch
from setuptools import find_packages, setup
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


def extension():
    sources = sorted(glob.glob("csrc/*.cpp") + glob.glob("csrc/*/*.cpp"))
    cxx = ["-O3", "-fopenmp"]
    args = dict(
        name="torchresample._C",
        sources=sources,
        include_dirs=[os.path.join(ROOT, "csrc")],
        extra_compile_args={"cxx": cxx},
        extra_link_args=["-fopenmp"],
        py_limited_api=True,
    )
    if not want_cuda():
        return CppExtension(**args)
    # sm_80 and sm_90 unless the builder says otherwise.
    os.environ.setdefault("TORCH_CUDA_ARCH_LIST", "8.0;9.0")
    args["sources"] += sorted(glob.glob("csrc/cuda/*.cu"))
    args["extra_compile_args"]["nvcc"] = ["-O3", "--expt-relaxed-constexpr", "-lineinfo"]
    args["define_macros"] = [("TORCHRESAMPLE_WITH_CUDA", "1")]
    return CUDAExtension(**args)


setup(
    name="torchresample",
    version="0.1.0",
    description="Resampling for PyTorch: every interpolate mode and the upsampling layers, CPU and CUDA kernels",
    long_description=open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    if os.path.exists(os.path.join(ROOT, "README.md"))
    else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    install_requires=["torch>=2.6"],
    extras_require={"test": ["pytest", "numpy", "pillow"], "image": ["pillow", "tqdm"]},
    packages=find_packages(include=["torchresample", "torchresample.*"]),
    ext_modules=[extension()],
    cmdclass={"build_ext": BuildExtension.with_options(no_python_abi_suffix=True)},
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
    entry_points={"console_scripts": ["torchresample=torchresample.__main__:main"]},
)

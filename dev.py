#!/usr/bin/env python3
"""One entry point from a fresh clone: creates .venv, installs torch, builds the extension, then runs a job.

    python3 dev.py demo     # resample a generated test image with every mode, compare with torch
    python3 dev.py test     # the test suite
    python3 dev.py bench    # the benchmarks (extra arguments are passed on, e.g. --quick)

Environment: TORCH_SPEC (default "torch>=2.6") picks the torch to install; FORCE_CUDA=1 with CUDA_HOME
builds the CUDA kernels without a visible GPU; FORCE_CUDA=0 builds CPU only.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
DEPS = ["pytest", "numpy", "pillow", "tqdm", "expecttest"]


def run(cmd: list[str], **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def ensure_env() -> None:
    if not PYTHON.exists():
        run([sys.executable, "-m", "venv", VENV])
    spec = os.environ.get("TORCH_SPEC", "torch>=2.6")
    wanted = hashlib.sha1(" ".join([spec, *DEPS]).encode()).hexdigest()
    stamp = VENV / ".torchresample-deps"
    if not stamp.exists() or stamp.read_text() != wanted:
        run([PYTHON, "-m", "pip", "install", "-q", spec, *DEPS])
        stamp.write_text(wanted)


def build() -> None:
    env = dict(os.environ)
    if "CUDA_HOME" not in env and Path("/usr/local/cuda").is_dir():
        # torch otherwise guesses the toolkit from nvcc on PATH, which can be wrong.
        env["CUDA_HOME"] = "/usr/local/cuda"
    env.setdefault("MAX_JOBS", str(os.cpu_count() or 2))
    # The emulated CUDA device (torchresample._C_emulated), which the tests run the CUDA kernels on.
    env.setdefault("TORCHRESAMPLE_CUDA_EMULATION", "1")
    run([PYTHON, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "-e", ROOT], env=env)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "bench", "build"):
        print(__doc__)
        return 2
    job, rest = argv[0], argv[1:]
    ensure_env()
    build()
    if job == "demo":
        return subprocess.call([str(PYTHON), "-m", "torchresample", "demo", *rest], cwd=ROOT)
    if job == "bench":
        return subprocess.call([str(PYTHON), "-m", "torchresample", "bench", *rest], cwd=ROOT)
    if job == "test":
        return subprocess.call([str(PYTHON), "-m", "pytest", "tests", "-q", *rest], cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

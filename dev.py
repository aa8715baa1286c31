#!/usr/bin/env python3
"""One entry point from a fresh clone: creates .venv, installs torch, builds the extension, then runs a job.

    python3 dev.py demo     # resample a generated test image with every mode, compare with torch
    python3 dev.py test     # the test suite
    python3 dev.py bench    # the benchmarks (extra arguments are passed on, e.g. --quick)
    python3 dev.py gpu-check [--emulated] [--out DIR]   # the prepared first run on a GPU (see gpu_check)
    python3 dev.py lint     # ruff check, ruff format --check, clang-format --dry-run -Werror (what CI runs)
    python3 dev.py format   # ruff format and clang-format -i over the tree
    python3 dev.py portability  # oldest torch + clang in a fresh venv (whole suite); CPU sources for aarch64

.venv gets the exact versions of requirements-dev.txt (torch and every test, benchmark and lint dependency).
Environment: TORCH_SPEC (default: the pinned torch) picks another torch, e.g. TORCH_SPEC="torch==2.9.1", or
TORCH_SPEC=none keeps the torch already in .venv (the extension builds against the installed torch).
FORCE_CUDA=1 with CUDA_HOME builds the CUDA kernels without a visible GPU; FORCE_CUDA=0 builds CPU only. Every
build includes the emulated CUDA device the tests run the CUDA kernels on (TORCHRESAMPLE_CUDA_EMULATION=0 leaves it
out); a build whose sources and settings have not changed since the last one is skipped.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ROOT / "requirements-dev.txt"


# The test files of the device matrix (the `device` and `dev` fixtures, tests/conftest.py) and the emulated device's.
DEVICE_TESTS = [
    "tests/test_devices.py",
    "tests/test_cuda.py",
    "tests/test_cuda_layers.py",
    "tests/test_filters.py",
    "tests/test_func_transforms.py",
    "tests/test_gradients.py",
    "tests/test_layouts.py",
    "tests/test_max_unpool.py",
    "tests/test_ops.py",
    "tests/test_pixel_shuffle.py",
    "tests/test_sampling.py",
    "tests/test_emulation.py",
]


def pinned() -> tuple[str, list[str]]:
    """(the torch line, every other line) of requirements-dev.txt."""
    lines = [l.split("#")[0].strip() for l in REQUIREMENTS.read_text().splitlines()]
    lines = [l for l in lines if l]
    torch_line = next(l for l in lines if l.startswith("torch=="))
    return torch_line, [l for l in lines if l != torch_line]


def run(cmd: list[str], **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def ensure_env() -> None:
    if not PYTHON.exists():
        run([sys.executable, "-m", "venv", VENV])
    torch_line, deps = pinned()
    spec = os.environ.get("TORCH_SPEC", torch_line)
    torch_spec = [] if spec == "none" else [spec]
    wanted = hashlib.sha1(" ".join([*torch_spec, *deps]).encode()).hexdigest()
    stamp = VENV / ".torchresample-deps"
    if not stamp.exists() or stamp.read_text() != wanted:
        run([PYTHON, "-m", "pip", "install", "-q", *torch_spec, *deps])
        install_torchvision()
        stamp.write_text(wanted)


def install_torchvision() -> None:
    """The torchvision release of the installed torch (0.N+15.P for 2.N.P), for the ONNX test that exports one of
    its segmentation models; where there is none, that test skips."""
    version = subprocess.run(
        [str(PYTHON), "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    major, minor, patch = (int(v) for v in version.split("+")[0].split(".")[:3])
    spec = f"torchvision=={major - 2}.{minor + 15}.{patch}"
    if subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "--no-deps", spec]).returncode != 0:
        print(f"+ {spec} is not available: the torchvision test will skip", flush=True)


BUILD_SETTINGS = ("FORCE_CUDA", "CUDA_HOME", "TORCH_CUDA_ARCH_LIST", "TORCHRESAMPLE_CUDA_EMULATION")


def build_env() -> dict:
    env = dict(os.environ)
    if "CUDA_HOME" not in env and Path("/usr/local/cuda").is_dir():
        # torch otherwise guesses the toolkit from nvcc on PATH, which can be wrong.
        env["CUDA_HOME"] = "/usr/local/cuda"
    env.setdefault("MAX_JOBS", str(os.cpu_count() or 2))
    # The emulated CUDA device (torchresample._C_emulated), which the tests run the CUDA kernels on.
    env.setdefault("TORCHRESAMPLE_CUDA_EMULATION", "1")
    return env


def build(python: Path = PYTHON, env: dict | None = None) -> None:
    """Builds the extension in place, unless its sources, settings and interpreter are those of the last build."""
    env = env or build_env()
    digest = hashlib.sha1(str(python).encode())
    for path in sorted([ROOT / "setup.py", *ROOT.glob("csrc/**/*")]):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    for key in BUILD_SETTINGS:
        digest.update(f"{key}={env.get(key)}".encode())
    stamp = ROOT / "build" / ".torchresample-build"
    built = list((ROOT / "torchresample").glob("_C*.so"))
    if built and stamp.exists() and stamp.read_text() == digest.hexdigest():
        print("+ build is up to date", flush=True)
        return
    run([python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "-e", ROOT], env=env)
    stamp.parent.mkdir(exist_ok=True)
    stamp.write_text(digest.hexdigest())


def test_env() -> dict:
    env = dict(os.environ)
    if env.get("TORCHRESAMPLE_CUDA_EMULATION", "1") == "1":
        env.setdefault("TORCHRESAMPLE_REQUIRE_EMULATION", "1")  # the emulated CUDA tests may not skip
    return env


# ---------------------------------------------------------------------------------------------------------------
# gpu-check


DEVICE_INFO = """
import json, subprocess, torch, torchresample
info = {"torch": torch.__version__, "torch_cuda": torch.version.cuda, "python": __import__("sys").version.split()[0],
        "cuda_built": torchresample.cuda_built(), "emulated": not torch.cuda.is_available()}
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    info.update(gpu=p.name, capability="%d.%d" % (p.major, p.minor), memory_gib=round(p.total_memory / 2**30, 1),
                multiprocessors=p.multi_processor_count, gpus=torch.cuda.device_count())
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=60).stdout.split()
        info["driver"] = smi[0] if smi else "unknown"
    except (OSError, subprocess.SubprocessError):
        info["driver"] = "unknown"
print(json.dumps(info))
"""


def check_python() -> Path:
    """The interpreter of a GPU machine (torch preinstalled, no network), else the project's .venv."""
    has_torch = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0
    if has_torch:
        return Path(sys.executable)
    ensure_env()
    return PYTHON


def gpu_check(argv: list[str]) -> int:
    """The first minutes on a real GPU, in one command: build for the visible GPU (with the emulated device too),
    run the CUDA test matrix (a skipped CUDA test fails it), compute-sanitizer memcheck and racecheck on a small
    sample of every op (when the tool exists), the CUDA benchmarks against torch (forward, backward, and torch's
    backward under use_deterministic_algorithms(True)), and write it all under benchmarks/results/<date>-<gpu>/
    with the device, driver, torch and CUDA versions. --emulated runs the same steps on the emulated device (no
    GPU: the sanitizer step runs its calls without the tool, the benchmark step a short CPU run), into
    build/gpu-check-emulated/ unless --out says otherwise; CI runs it so that this script stays tested."""
    parser = argparse.ArgumentParser(prog="dev.py gpu-check", description=gpu_check.__doc__)
    parser.add_argument("--emulated", action="store_true", help="no GPU: run every step on the emulated device")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    args = parser.parse_args(argv)
    started = time.monotonic()
    python = check_python()
    env = dict(build_env(), TORCHRESAMPLE_CUDA_EMULATION="1")
    if not args.emulated:
        env["FORCE_CUDA"] = "1"  # fail loudly rather than build CPU only; the arch list follows the visible GPU
    steps: list[tuple[str, int, float]] = []

    def step(name: str, cmd: list, log: Path, timeout: float = 300, **kw) -> int:
        """Runs one step, its output to the console and to `log`; a step past `timeout` seconds is killed."""
        t0 = time.monotonic()
        print(f"+ [{name}]", " ".join(str(c) for c in cmd), flush=True)
        with open(log, "a") as f:
            f.write(f"$ {' '.join(str(c) for c in cmd)}\n")
            f.flush()
            proc = subprocess.Popen(
                [str(c) for c in cmd], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw
            )
            watchdog = threading.Timer(timeout, proc.kill)
            watchdog.start()
            for line in proc.stdout:
                sys.stdout.write(line)
                f.write(line)
            rc = proc.wait()
            watchdog.cancel()
            if time.monotonic() - t0 >= timeout:
                f.write(f"killed after {timeout:.0f} s\n")
        steps.append((name, rc, time.monotonic() - t0))
        return rc

    t0 = time.monotonic()
    try:
        build(python, env)
        steps.append(("build", 0, time.monotonic() - t0))
    except subprocess.CalledProcessError as error:
        steps.append(("build", error.returncode or 1, time.monotonic() - t0))
        print("gpu-check: the build failed", flush=True)
        return 1
    info = json.loads(
        subprocess.run([str(python), "-c", DEVICE_INFO], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    )
    if not args.emulated and info["emulated"]:
        print("gpu-check: no CUDA GPU is visible (use --emulated to run the steps without one)", flush=True)
        return 2
    name = "emulated" if args.emulated else re.sub(r"[^a-z0-9]+", "-", info["gpu"].lower()).strip("-")
    default_out = ROOT / (
        "build/gpu-check-emulated"
        if args.emulated
        else f"benchmarks/results/{datetime.date.today().isoformat()}-{name}"
    )
    out = (args.out or default_out).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "device.json").write_text(json.dumps(info, indent=1) + "\n")

    tenv = dict(os.environ, TORCHRESAMPLE_REQUIRE_EMULATION="1", PYTHONUNBUFFERED="1")
    if not args.emulated:
        tenv["TORCHRESAMPLE_REQUIRE_CUDA"] = "1"
    step(
        "tests",
        [
            python,
            "-m",
            "pytest",
            *DEVICE_TESTS,
            "-k",
            "cuda or emulation",  # the matrix's cuda and cuda-emulated devices, the CUDA-only and emulation tests
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
        ],
        out / "tests.log",
        env=tenv,
    )
    sanitizer = shutil.which("compute-sanitizer") or shutil.which(
        "compute-sanitizer", path=str(Path(env.get("CUDA_HOME", "")) / "bin")
    )
    script = [python, "tests/cuda_sanitizer_run.py"]
    if args.emulated:
        step("sanitizer sample (emulated, no tool)", script + ["--emulated"], out / "sanitizer.log", env=tenv)
    elif sanitizer:
        for tool in ("memcheck", "racecheck"):
            step(
                f"compute-sanitizer {tool}",
                [sanitizer, "--tool", tool, "--error-exitcode", "1", *script],
                out / "sanitizer.log",
                timeout=150,
                env=tenv,
            )
    else:
        (out / "sanitizer.log").write_text("compute-sanitizer not found: skipped\n")
    bench = [python, "benchmarks/bench.py", "--out", out]
    if args.emulated:
        bench += ["--quick", "--repeats", "1", "--sample-ms", "0.1", "--heap", "default", "--filter", "bilinear x2"]
    else:
        bench += ["--device", "cuda", "--matrix", "large,small"]
    step("benchmarks", bench, out / "bench.log", env=tenv)

    total = time.monotonic() - started
    failed = [s for s in steps if s[1] != 0]
    lines = [
        f"# gpu-check: {info.get('gpu', 'emulated device (no GPU)')}, {datetime.date.today().isoformat()}",
        "",
        "```",
        json.dumps(info, indent=1),
        "```",
        "",
        "| step | result | seconds |",
        "|---|---|---:|",
    ]
    lines += [f"| {n} | {'ok' if rc == 0 else f'FAILED ({rc})'} | {sec:.0f} |" for n, rc, sec in steps]
    lines += [
        "",
        f"Total {total:.0f} s (budget 480 s on an H100/H200). Logs: tests.log, sanitizer.log, bench.log; "
        "benchmark tables: results.md, results.json.",
    ]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-len(steps) - 4 :]), flush=True)
    print(f"gpu-check: wrote {out}", flush=True)
    return 1 if failed else 0


# ---------------------------------------------------------------------------------------------------------------
# lint


def cpp_sources() -> list[str]:
    """The C++ and CUDA files clang-format keeps (.clang-format at the root)."""
    out = subprocess.run(
        ["git", "ls-files", "csrc", "tests/cpp"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [f for f in out if f.endswith((".h", ".cpp", ".cu", ".cuh"))]


def lint(fix: bool) -> int:
    """ruff (configured in pyproject.toml) and clang-format (.clang-format) over the tree: check, or fix."""
    tools = VENV / "bin"
    steps = (
        [
            [tools / "ruff", "check", "--fix", "."],
            [tools / "ruff", "format", "."],
            [tools / "clang-format", "-i", *cpp_sources()],
        ]
        if fix
        else [
            [tools / "ruff", "check", "."],
            [tools / "ruff", "format", "--check", "."],
            [tools / "clang-format", "--dry-run", "-Werror", *cpp_sources()],
        ]
    )
    failed = 0
    for cmd in steps:
        print("+", " ".join(str(c) for c in cmd[:4]), "..." if len(cmd) > 4 else "", flush=True)
        failed |= subprocess.call([str(c) for c in cmd], cwd=ROOT) != 0
    return int(failed)


# ---------------------------------------------------------------------------------------------------------------
# portability

# The compilers of the portability job (Debian: apt-get install clang libomp-dev g++-aarch64-linux-gnu).
CLANG = ("clang", "clang++")
AARCH64_CXX = "aarch64-linux-gnu-g++"


def cpu_sources() -> list[str]:
    """The sources of torchresample._C that every platform builds (the CUDA files aside)."""
    return sorted(
        str(p.relative_to(ROOT))
        for folder in ("csrc", "csrc/autograd", "csrc/glue", "csrc/cpu")
        for p in (ROOT / folder).glob("*.cpp")
    )


def oldest_torch() -> str:
    """The oldest torch the package supports: the floor of its torch requirement in pyproject.toml."""
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return next(d.split(">=")[1].strip() for d in deps if d.replace(" ", "").startswith("torch>="))


def portability() -> int:
    """What users on other machines build, checked here. (1) The oldest supported torch (oldest_torch()) in a fresh
    venv, the package installed by the README's line (`pip install --no-build-isolation .`, compiled with clang
    and the emulated device) and the whole test suite run against the installed package. (2) Every CPU source
    compiled (not linked) for aarch64 with the cross compiler against .venv's torch headers. The instruction-set
    files refuse to build without their flags (Note [cpu isa]), so a broken ISA setup fails here and in the main
    build. Everything lives under build/portability/."""
    missing = [c for c in (*CLANG, AARCH64_CXX) if shutil.which(c) is None]
    if missing:
        print(
            f"portability: {', '.join(missing)} not found (Debian: apt-get install clang libomp-dev "
            "g++-aarch64-linux-gnu)",
            flush=True,
        )
        return 2
    work = ROOT / "build" / "portability"
    if work.exists():
        shutil.rmtree(work)
    src = work / "src"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, src / f)
    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    _, others = pinned()
    deps = [line for line in others if not line.startswith(("ruff==", "clang-format=="))]
    run([python, "-m", "pip", "install", "-q", f"torch=={oldest_torch()}", *deps])
    env = dict(os.environ, CC=CLANG[0], CXX=CLANG[1], FORCE_CUDA="0", TORCHRESAMPLE_CUDA_EMULATION="1")
    env.setdefault("MAX_JOBS", str(os.cpu_count() or 2))
    run([python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", src], env=env)
    shutil.rmtree(src / "torchresample")  # the tests import the installed package
    env["TORCHRESAMPLE_REQUIRE_EMULATION"] = "1"
    # A temporary folder of its own, so inductor's caches are too: its precompiled headers (kept under the temporary
    # folder whatever TORCHINDUCTOR_CACHE_DIR says) are keyed by path, and this venv's headers are new files at the
    # same paths on every run ("has been modified since the precompiled header was built").
    (work / "tmp").mkdir()
    env["TMPDIR"] = str(work / "tmp")
    run([python, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", "-W", "ignore"], cwd=src, env=env)

    includes = subprocess.run(
        [
            PYTHON,
            "-c",
            "import sysconfig, torch.utils.cpp_extension as c; "
            "print('\\n'.join(c.include_paths() + [sysconfig.get_paths()['include']]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    out = work / "aarch64"
    out.mkdir(parents=True)
    flags = [
        "-std=c++20",
        "-O1",
        "-fPIC",
        "-fopenmp",
        "-Werror=switch",
        "-DTORCH_EXTENSION_NAME=_C",
        "-DTORCH_API_INCLUDE_EXTENSION_H",
        "-DPy_LIMITED_API=0x030A0000",
        f"-I{ROOT / 'csrc'}",
        *(f"-I{i}" for i in includes),
    ]

    def cross_compile(source: str) -> bool:
        obj = out / (source.replace("/", "_") + ".o")
        return subprocess.run([AARCH64_CXX, *flags, "-c", str(ROOT / source), "-o", str(obj)]).returncode == 0

    with concurrent.futures.ThreadPoolExecutor(int(env["MAX_JOBS"])) as pool:
        failed = [s for s, ok in zip(cpu_sources(), pool.map(cross_compile, cpu_sources())) if not ok]
    if failed:
        print(f"portability: {', '.join(failed)} do not compile for aarch64", flush=True)
        return 1
    print(
        f"portability: torch {oldest_torch()} + clang: installed and tested; "
        f"{len(cpu_sources())} CPU sources compile for aarch64",
        flush=True,
    )
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "bench", "build", "gpu-check", "lint", "format", "portability"):
        print(__doc__)
        return 2
    job, rest = argv[0], argv[1:]
    if job == "gpu-check":
        return gpu_check(rest)
    ensure_env()
    if job in ("lint", "format"):
        return lint(fix=job == "format")
    if job == "portability":
        return portability()
    build()
    if job == "demo":
        return subprocess.call([str(PYTHON), "-m", "torchresample", "demo", *rest], cwd=ROOT)
    if job == "bench":
        return subprocess.call([str(PYTHON), "benchmarks/bench.py", *rest], cwd=ROOT)
    if job == "test":
        return subprocess.call([str(PYTHON), "-m", "pytest", "tests", "-q", *rest], cwd=ROOT, env=test_env())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

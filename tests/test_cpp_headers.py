"""The headers of csrc/common/ (filters, plans, geometry, the element-moving ops' index math; standard C++ only, no
ATen or c10) and csrc/cuda/pass_planner.h built alone by a plain C++ compiler; the CPU engine (csrc/cpu/ headers)
likewise, each instruction-set copy with its flags, run against a float64 evaluation of its plans; Note [filter
table]'s promise (a filter added to the enum without its case in the table's switch does not build); and Note [cpu
isa]'s (an instruction-set file built without its flags stops at once)."""

from __future__ import annotations

import ast
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CXX = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
pytestmark = pytest.mark.skipif(CXX is None, reason="needs a C++ compiler")


def compile_test(include: Path, out: Path, source: str = "plan_test.cpp", flags=()) -> subprocess.CompletedProcess:
    # No torch include path: the headers need the standard library only.
    cmd = [
        CXX,
        "-std=c++17",
        "-O1",
        "-Wall",
        "-Werror",
        "-Werror=switch",
        *flags,
        f"-I{include}",
        str(ROOT / "tests" / "cpp" / source),
        "-o",
        str(out),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def setup_flags(name: str) -> list:
    """A list of compiler flags as setup.py defines it (AVX2_FLAGS, AVX512_FLAGS): the one place they are written."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
            if target.endswith("_FLAGS") and isinstance(node.value, (ast.List, ast.BinOp)):
                values[target] = eval(compile(ast.Expression(node.value), "setup.py", "eval"), {}, dict(values))
    return values[name]


def cpu_flags() -> set:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return set(line.split(":", 1)[-1].split())


X86_64 = platform.machine().lower() in ("x86_64", "amd64")
# (namespace, the macros its file defines, setup.py's flags, the CPU features it runs on)
ENGINE_COPIES = [
    ("baseline", [], None, set()),
    ("avx2", ["TORCHRESAMPLE_ISA_AVX2"], "AVX2_FLAGS", {"avx2", "fma"}),
    (
        "avx512",
        ["TORCHRESAMPLE_ISA_AVX2", "TORCHRESAMPLE_ISA_AVX512"],
        "AVX512_FLAGS",
        {"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512vbmi", "avx512_vnni"},
    ),
]


@pytest.mark.parametrize("isa,macros,flags,features", ENGINE_COPIES, ids=[c[0] for c in ENGINE_COPIES])
def test_cpu_engine_builds_and_holds_without_torch(tmp_path, isa, macros, flags, features):
    """Note [parallel seam]: the engine's headers include no ATen; each copy, built with its flags, matches a float64
    evaluation of the same plans (forward, backward by the adjoint identity, uint8 within 1)."""
    if flags is not None and not X86_64:
        pytest.skip("x86-64 instruction-set copy")
    args = [f"-DTORCHRESAMPLE_ISA={isa}", *(f"-D{m}=1" for m in macros)]
    if flags is not None:
        args += setup_flags(flags)
    built = compile_test(ROOT / "csrc", tmp_path / "engine_test", "engine_test.cpp", args)
    assert built.returncode == 0, built.stderr
    if not features <= cpu_flags():
        pytest.skip(f"this CPU lacks {sorted(features - cpu_flags())}: built, not run")
    run = subprocess.run([str(tmp_path / "engine_test")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.startswith("ok"), run.stdout


def test_plan_headers_build_and_hold_without_torch(tmp_path):
    built = compile_test(ROOT / "csrc", tmp_path / "plan_test")
    assert built.returncode == 0, built.stderr
    run = subprocess.run([str(tmp_path / "plan_test")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.startswith("ok"), run.stdout


def test_a_filter_missing_from_the_switch_does_not_build(tmp_path):
    for folder in ("common", "cuda"):
        shutil.copytree(ROOT / "csrc" / folder, tmp_path / folder)
    header = tmp_path / "common" / "filters.h"
    text = header.read_text()
    old = "Mitchell, CatmullRom };"
    assert old in text
    text = text.replace(old, "Mitchell, CatmullRom, Sinc };").replace(
        "static_cast<int>(Filter::CatmullRom) + 1", "static_cast<int>(Filter::Sinc) + 1"
    )
    header.write_text(text)
    built = compile_test(tmp_path, tmp_path / "plan_test")
    assert built.returncode != 0
    assert "Sinc" in built.stderr and "not handled in switch" in built.stderr, built.stderr


@pytest.mark.skipif(not X86_64, reason="x86-64 instruction-set files")
@pytest.mark.parametrize("name", ["row_engine_avx2.cpp", "row_engine_avx512.cpp"])
def test_an_isa_file_refuses_to_build_without_its_flags(name):
    """Note [cpu isa]: built without the flags setup.py gives it, an instruction-set file stops at once."""
    src = ROOT / "csrc" / "cpu" / name
    built = subprocess.run([CXX, "-std=c++17", "-fsyntax-only", str(src)], capture_output=True, text=True, timeout=300)
    assert built.returncode != 0
    assert f"{name} must be built with" in built.stderr, built.stderr

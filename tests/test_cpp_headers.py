"""The headers of csrc/common/ (filters, plans, geometry, the element-moving ops' index math; standard C++ only, no
ATen or c10) and csrc/cuda/pass_planner.h built alone by a plain C++ compiler; Note [filter table]'s promise (a
filter added to the enum without its case in the table's switch does not build); and Note [cpu isa]'s (an
instruction-set file built without its flags stops at once)."""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CXX = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
pytestmark = pytest.mark.skipif(CXX is None, reason="needs a C++ compiler")


def compile_test(include: Path, out: Path) -> subprocess.CompletedProcess:
    # No torch include path: the headers need the standard library only.
    cmd = [
        CXX,
        "-std=c++17",
        "-O1",
        "-Wall",
        "-Werror",
        "-Werror=switch",
        f"-I{include}",
        str(ROOT / "tests" / "cpp" / "plan_test.cpp"),
        "-o",
        str(out),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


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


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86-64 instruction-set files")
@pytest.mark.parametrize("name", ["row_engine_avx2.cpp", "row_engine_avx512.cpp"])
def test_an_isa_file_refuses_to_build_without_its_flags(name):
    """Note [cpu isa]: built without the flags setup.py gives it, an instruction-set file stops at once."""
    src = ROOT / "csrc" / "cpu" / name
    built = subprocess.run([CXX, "-std=c++17", "-fsyntax-only", str(src)], capture_output=True, text=True, timeout=300)
    assert built.returncode != 0
    assert f"{name} must be built with" in built.stderr, built.stderr

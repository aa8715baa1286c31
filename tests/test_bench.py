"""benchmarks/bench.py as a contributor runs it (subprocesses, one repeat): it runs every matrix, writes its tables,
and times every case by the same procedure. Behaviour only: no timing is asserted."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "res"
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench.py"),
            "--repeats",
            "1",
            "--sample-ms",
            "0.1",
            "--out",
            str(out),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert (out / "results.md").exists()
    return json.loads((out / "results.json").read_text())


def test_small_and_large_matrices_under_both_heaps(tmp_path: Path):
    results = bench(tmp_path, "--quick", "--matrix", "small,large", "--filter", "bilinear")
    cases = results["cases"]
    assert {c["matrix"] for c in cases} == {"small", "large"}
    for c in cases:
        assert set(c["results"]) == {"default", "warm"}  # the warm heap ran in a child process
        for timings in c["results"].values():
            assert {"ours", "torch", "copy"} <= set(timings)
            # a backward case also times each side's backward kernel alone (the recorded op, no engine)
            assert ({"ours_op", "torch_op"} <= set(timings)) == c["backward"]
    md = (tmp_path / "res" / "results.md").read_text()
    assert "speed-up (default)" in md and "speed-up (warm)" in md and "Cases under 1.0x" in md
    assert "small" in {key.split()[0] for key in results["summary"]["default"] if key.endswith("backward-op")}


def test_compiled_matrix_has_the_inductor_peer(tmp_path: Path):
    results = bench(
        tmp_path,
        "--quick",
        "--matrix",
        "compiled",
        "--heap",
        "default",
        "--filter",
        "bilinear x2 float32 contiguous forward",
    )
    (case,) = results["cases"]
    assert set(case["results"]["default"]) == {"ours", "inductor", "ours_compiled"}


def test_image_cases_time_pillow_and_opencv(tmp_path: Path):
    results = bench(tmp_path, "--matrix", "large", "--heap", "default", "--filter", "bilinear-aa 1080p->224 uint8")
    has_cv2 = importlib.util.find_spec("cv2") is not None
    for c in results["cases"]:
        timings = c["results"]["default"]
        assert "pillow" in timings and ("opencv" in timings) == has_cv2
        assert "torch_det" not in timings  # deterministic backwards: CUDA backward cases only


def test_the_package_keeps_no_benchmark_code():
    assert importlib.util.find_spec("torchresample.bench") is None

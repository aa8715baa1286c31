"""The emulated CUDA device's launcher (Note [emulated device]): every block and thread runs once, in a shuffled and
reproducible order, and launches a GPU refuses are refused; plus the CUDA options' Python API, and that gpu-check runs
every test file of the device matrix."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import torchresample
from torchresample import emulation

pytestmark = pytest.mark.skipif(not emulation.available(), reason="built without the emulated device")


def probe(grid, block):
    return emulation.ops()._launch_probe(list(grid), list(block))


@pytest.mark.parametrize("grid,block", [((1, 1, 1), (1, 1, 1)), ((5, 3, 2), (32, 4, 2)), ((1, 70, 1), (256, 1, 1))])
def test_every_block_and_thread_runs_once(grid, block):
    order = probe(grid, block)
    total = order.numel()
    assert order.shape == (grid[0] * grid[1] * grid[2], block[0] * block[1] * block[2])
    assert torch.equal(order.flatten().sort().values, torch.arange(total))


def test_blocks_and_threads_run_in_a_shuffled_order():
    order = probe((7, 3, 1), (64, 2, 1))
    steps = order.flatten()
    assert not torch.equal(steps, torch.arange(steps.numel())), "canonical order"
    assert not torch.equal(steps, torch.arange(steps.numel()).flip(0)), "reversed order"
    block_order = order.min(dim=1).values.argsort()
    assert not torch.equal(block_order, torch.arange(order.shape[0])), "blocks in canonical order"
    first_block = order[block_order[0]] - order[block_order[0]].min()
    assert not torch.equal(first_block, torch.arange(order.shape[1])), "threads in canonical order"
    assert not torch.equal(probe((7, 3, 1), (64, 2, 1)), order), "every launch draws its own order"


SEEDED = (
    "import torchresample.emulation as e; e.available(); print(e.ops()._launch_probe([6, 2, 1], [8, 1, 1]).tolist())"
)


def test_the_order_is_reproducible_from_the_seed():
    def run(seed):
        env = dict(os.environ, TORCHRESAMPLE_EMULATION_SEED=str(seed))
        return subprocess.run(
            [sys.executable, "-c", SEEDED], env=env, capture_output=True, text=True, check=True
        ).stdout

    assert run(7) == run(7)
    assert run(7) != run(8)


@pytest.mark.parametrize(
    "grid,block,what",
    [
        ((0, 1, 1), (32, 1, 1), "a grid extent is 0"),
        ((2**31, 1, 1), (32, 1, 1), "gridDim.x = 2147483648 exceeds 2^31 - 1"),
        ((1, 65536, 1), (32, 1, 1), "gridDim.y = 65536 exceeds 65535"),
        ((1, 1, 65536), (32, 1, 1), "gridDim.z = 65536 exceeds 65535"),
        ((1, 1, 1), (0, 1, 1), "a block extent is 0"),
        ((1, 1, 1), (1025, 1, 1), "blockDim.x or blockDim.y exceeds 1024"),
        ((1, 1, 1), (1, 1, 65), "blockDim.z = 65 exceeds 64"),
        ((1, 1, 1), (64, 32, 1), "more than 1024 threads per block"),
    ],
)
def test_launches_a_gpu_refuses_are_refused(grid, block, what):
    with pytest.raises(RuntimeError, match="invalid configuration argument") as error:
        probe(grid, block)
    assert what in str(error.value)


def test_the_largest_launches_a_gpu_takes_run():
    assert probe((1, 65535, 1), (1, 1, 1)).numel() == 65535
    assert probe((1, 1, 1), (1024, 1, 1)).numel() == 1024
    assert probe((1, 1, 1), (16, 1, 64)).numel() == 1024


def test_cuda_options_api():
    if not torchresample.cuda_built():
        with pytest.raises(RuntimeError, match="without its CUDA kernels"):
            torchresample.cuda.set_plan_cache_entries(8)
        return
    previous = torchresample.cuda.set_plan_cache_entries(8)
    try:
        assert torchresample.cuda.set_plan_cache_entries(previous) == 8
        assert torchresample.cuda.set_sync_index_checks(True) is False
        assert torchresample.cuda.set_sync_index_checks(False) is True
    finally:
        torchresample.cuda.set_plan_cache_entries(previous)
    with pytest.raises(ValueError):
        torchresample.cuda.set_plan_cache_entries(-1)
    with pytest.raises(ValueError, match="unknown CUDA option"):
        torch.ops.torchresample._cuda_option("no_such_option", 1)


def test_gpu_check_runs_every_file_of_the_device_matrix():
    """A test file with a test on the `device` or `dev` fixture is one that `dev.py gpu-check` runs on the GPU."""
    tests = Path(__file__).resolve().parent
    tree = ast.parse((tests.parent / "dev.py").read_text())
    listed = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DEVICE_TESTS" for t in node.targets)
    )
    on_devices = {
        f"tests/{path.name}"
        for path in tests.glob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef)
        and node.name.startswith("test_")
        and {"device", "dev"} & {a.arg for a in node.args.args}
    }
    assert on_devices <= set(listed), sorted(on_devices - set(listed))

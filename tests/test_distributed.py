"""DTensor and FSDP2 on a 2-process gloo mesh on the CPU: every op sharded on the batch, the channels and a spatial
dimension, forward and backward, equal to the single-process result (torchresample/_distributed.py)."""

from __future__ import annotations

import os
import tempfile

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

import torchresample as tr

pytestmark = pytest.mark.skipif(
    not dist.is_available() or not dist.is_gloo_available(), reason="torch built without torch.distributed / gloo"
)
WORLD = 2


def op_cases():
    """name -> (op on a tensor, input shape, placements that must run with no communication[, indices: then the op
    takes them, laid out as the input, as its second argument])."""
    from torch.distributed.tensor import Shard

    _, indices = F.max_pool2d(torch.randn(4, 4, 6, 4), 2, return_indices=True)
    return {
        "bilinear": (lambda x: tr.interpolate(x, size=(7, 3), mode="bilinear"), (4, 4, 5, 6), [Shard(0), Shard(1)]),
        "bicubic-antialias": (
            lambda x: tr.interpolate(x, scale_factor=0.5, mode="bicubic", antialias=True),
            (4, 4, 8, 6),
            [Shard(0), Shard(1)],
        ),
        "nearest-3d": (
            lambda x: tr.interpolate(x, size=(3, 4, 2), mode="nearest"),
            (4, 2, 4, 3, 3),
            [Shard(0), Shard(1)],
        ),
        "area-1d": (lambda x: tr.interpolate(x, size=3, mode="area"), (4, 2, 7), [Shard(0), Shard(1)]),
        "lanczos": (lambda x: tr.interpolate(x, size=(4, 9), mode="lanczos"), (2, 4, 6, 6), [Shard(0), Shard(1)]),
        # 8 channels hold whole blocks of r**2 = 4 per rank: the channel shard stays local.
        "pixel_shuffle": (lambda x: tr.functional.pixel_shuffle(x, 2), (2, 8, 4, 3), [Shard(0), Shard(1), Shard(2)]),
        "pixel_unshuffle": (
            lambda x: tr.functional.pixel_unshuffle(x, 2),
            (2, 2, 4, 6),
            [Shard(0), Shard(1), Shard(2)],
        ),
        "max_unpool2d": (lambda x, i: tr.functional.max_unpool2d(x, i, 2), (4, 4, 3, 2), [Shard(0), Shard(1)], indices),
    }


def _dtensor_worker(rank: int, init_file: str) -> None:
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import Shard, distribute_tensor
    from torch.distributed.tensor.debug import CommDebugMode

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    try:
        mesh = init_device_mesh("cpu", (WORLD,))
        torch.manual_seed(0)  # the same global tensors on every rank
        for name, (op, shape, local, *indices) in op_cases().items():
            x = torch.randn(shape, dtype=torch.float64)
            expected = op(x, *indices)
            weight = torch.randn_like(expected)
            xr = x.clone().requires_grad_(True)
            (op(xr, *indices) * weight).sum().backward()
            for placement in [Shard(0), Shard(1), Shard(2)]:
                dx = distribute_tensor(x, mesh, [placement]).requires_grad_(True)
                # max_unpool's indices are laid out as the input, before the op runs.
                local_indices = [distribute_tensor(i, mesh, [placement]) for i in indices]
                with CommDebugMode() as comm:
                    y = op(dx, *local_indices)
                if placement in local:
                    assert comm.get_total_counts() == 0, (name, placement, comm.get_comm_counts())
                    assert y.placements == (placement,), (name, placement, y.placements)
                torch.testing.assert_close(y.full_tensor(), expected, rtol=1e-12, atol=1e-12, msg=f"{name} {placement}")
                (y * distribute_tensor(weight, mesh, y.placements)).sum().backward()
                torch.testing.assert_close(
                    dx.grad.full_tensor(), xr.grad, rtol=1e-12, atol=1e-12, msg=f"{name} {placement} backward"
                )
        dist.barrier()  # no rank tears its group down while the other still talks to it (gloo aborts then)
    finally:
        dist.destroy_process_group()


def _decoder(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        tr.Upsample(scale_factor=2, mode="bilinear"),
        torch.nn.Conv2d(8, 4, 3, padding=1),
        tr.PixelUnshuffle(2),
        torch.nn.Conv2d(16, 3, 3, padding=1),
    )


def _train(model, batch, steps=2):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (model(batch) - batch.flip(-1)).square().mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _fsdp_worker(rank: int, init_file: str) -> None:
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    try:
        mesh = init_device_mesh("cpu", (WORLD,))
        torch.manual_seed(1)
        batch = torch.randn(2, 3, 8, 8)
        expected = _train(_decoder(0), batch)
        model = _decoder(0)
        for layer in model:
            if isinstance(layer, torch.nn.Conv2d):
                fully_shard(layer, mesh=mesh)
        fully_shard(model, mesh=mesh)
        # Every rank trains on the same batch, so the averaged gradient is the single-process one.
        losses = _train(model, batch)
        torch.testing.assert_close(torch.tensor(losses), torch.tensor(expected), rtol=1e-5, atol=1e-6)
        dist.barrier()  # no rank tears its group down while the other still talks to it (gloo aborts then)
    finally:
        dist.destroy_process_group()


def _spawn(worker) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(worker, args=(os.path.join(tmp, "init"),), nprocs=WORLD, join=True)


def test_dtensor_shards_run_locally_and_match_single_process():
    _spawn(_dtensor_worker)


def test_fsdp2_trains_like_the_unsharded_model():
    _spawn(_fsdp_worker)

"""Inputs and references shared by the tests of the layer ops (max_unpool, pixel_shuffle) on every device."""

import torch
import torch.nn.functional as TF

import torchresample.functional as RF

POOL = {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}
TORCH_UNPOOL = {1: TF.max_unpool1d, 2: TF.max_unpool2d, 3: TF.max_unpool3d}
OURS_UNPOOL = {1: RF.max_unpool1d, 2: RF.max_unpool2d, 3: RF.max_unpool3d}
CHANNELS_LAST = {2: torch.channels_last, 3: torch.channels_last_3d}

# Every element width the data-moving kernels handle (1, 2, 4, 8 and 16 bytes).
ALL_DTYPES = [
    torch.bool,
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
    torch.complex64,
    torch.complex128,
]


def last_writer_reference(values, indices, out_plane):
    """Serial scatter in input order over each (n, c) plane: the later of two equal indices wins."""
    n, c = values.shape[:2]
    flat_v, flat_i = values.reshape(n * c, -1), indices.reshape(n * c, -1)
    out = torch.zeros(n * c, out_plane, dtype=values.dtype)
    for plane in range(n * c):
        for pos in range(flat_v.shape[1]):
            out[plane, flat_i[plane, pos]] = flat_v[plane, pos]
    return out


def shuffle_reference(x, r, k):
    """Shuffle over the last k axes by reshape and permute (independent of the kernels)."""
    batch, c, spatial = x.shape[: -k - 1], x.shape[-k - 1], x.shape[-k:]
    nb = len(batch)
    v = x.reshape(*batch, c // r**k, *([r] * k), *spatial)
    # (batch, c, q_1..q_k, s_1..s_k) -> (batch, c, s_1, q_1, ..., s_k, q_k)
    order = list(range(nb + 1)) + [i for j in range(k) for i in (nb + 1 + k + j, nb + 1 + j)]
    return v.permute(order).reshape(*batch, c // r**k, *[s * r for s in spatial])


def unshuffle_reference(x, r, k):
    batch, c, spatial = x.shape[: -k - 1], x.shape[-k - 1], x.shape[-k:]
    nb = len(batch)
    v = x.reshape(*batch, c, *[d for s in spatial for d in (s // r, r)])
    # (batch, c, s_1, q_1, ..., s_k, q_k) -> (batch, c, q_1..q_k, s_1..s_k)
    order = list(range(nb + 1)) + [nb + 2 + 2 * j for j in range(k)] + [nb + 1 + 2 * j for j in range(k)]
    return v.permute(order).reshape(*batch, c * r**k, *[s // r for s in spatial])


def random(shape, dtype=torch.float32, seed=0):
    """A CPU tensor of distinct-ish values of any dtype (move it with device.put)."""
    gen = torch.Generator().manual_seed(seed)
    if dtype == torch.bool:
        return torch.randint(0, 2, shape, generator=gen).bool()
    if dtype.is_complex:
        return torch.randn(shape, generator=gen, dtype=dtype)
    if not dtype.is_floating_point:
        low = 0 if dtype == torch.uint8 else -100
        return torch.randint(low, 100, shape, generator=gen).to(dtype)
    return torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)


def same(actual, expected, msg=""):
    """Equal values (NaN-free inputs), dtype, shape and strides, wherever the two tensors are."""
    assert actual.dtype == expected.dtype and actual.shape == expected.shape, (msg, actual.shape, expected.shape)
    assert actual.stride() == expected.stride(), (msg, actual.stride(), expected.stride())
    assert torch.equal(actual.cpu(), expected.cpu()), msg


def pooled(dim, shape, kernel, stride=None, padding=0, dtype=torch.float32, seed=0):
    """Random input max-pooled by torch on the CPU: (values, indices) as max_unpool receives them, on the CPU (move
    them with device.put)."""
    values, indices = POOL[dim](random(shape, torch.float64, seed), kernel, stride, padding, return_indices=True)
    return values.to(dtype), indices


INVALID_INDICES = [
    (2, 16, "Found an invalid max index: 16 (output volumes are of size 4x4)"),
    (2, -1, "Found an invalid max index: -1 (output volumes are of size 4x4)"),
    (2, 2**32 + 3, f"Found an invalid max index: {2**32 + 3} (output volumes are of size 4x4)"),
    (2, 2**40, f"Found an invalid max index: {2**40} (output volumes are of size 4x4)"),
    (2, 2**63 - 1, f"Found an invalid max index: {2**63 - 1} (output volumes are of size 4x4)"),
    (3, 64, "Found an invalid max index: 64 (output volumes are of size 4x4x4)"),
    (1, -(2**62), f"Found an invalid max index: {-(2**62)} (output volumes are of size 4)"),
]

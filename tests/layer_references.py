"""References shared by the CPU and CUDA tests of the layer ops (max_unpool, pixel_shuffle)."""

import torch

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

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

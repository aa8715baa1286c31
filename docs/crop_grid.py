#!/usr/bin/env python3
"""docs/crop_grid.jpg, the README's picture of crop_and_resize: 9 random resized crops (torchvision's draws) of a
real photo (scikit-image's ``coffee``), resampled in one call, beside the photo with the boxes drawn.

    pip install scikit-image==0.26.0 && python docs/crop_grid.py
"""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image, ImageDraw
from skimage import data

import torchresample as tr

TILE = 128
GRID = 3


def main() -> None:
    photo = torch.from_numpy(data.coffee()).permute(2, 0, 1)[None]  # (1, 3, 400, 600) uint8, an HWC view
    torch.manual_seed(0)
    crops = [tr.transforms.RandomResizedCrop.get_params(photo, (0.04, 0.3), (3 / 4, 4 / 3)) for _ in range(GRID * GRID)]
    boxes = torch.tensor([[j, i, j + w, i + h] for i, j, h, w in crops], dtype=torch.float64)  # (x1, y1, x2, y2)
    tiles = tr.crop_and_resize(photo, boxes, TILE, mode="bicubic", antialias=True)  # (9, 3, 128, 128) uint8

    left = Image.fromarray(photo[0].permute(1, 2, 0).numpy())
    draw = ImageDraw.Draw(left)
    for k, (x1, y1, x2, y2) in enumerate(boxes.tolist()):
        colour = ((k * 97) % 256, (k * 53 + 90) % 256, (k * 29 + 180) % 256)
        draw.rectangle([x1, y1, x2 - 1, y2 - 1], outline=colour, width=2)
        draw.text((x1 + 3, y1 + 1), str(k), fill=colour)
    grid = Image.new("RGB", (GRID * TILE, GRID * TILE), (255, 255, 255))
    for k, tile in enumerate(tiles):
        grid.paste(Image.fromarray(tile.permute(1, 2, 0).numpy()), ((k % GRID) * TILE, (k // GRID) * TILE))
        ImageDraw.Draw(grid).text(((k % GRID) * TILE + 3, (k // GRID) * TILE + 1), str(k), fill=(255, 255, 255))
    sheet = Image.new("RGB", (left.width + 8 + grid.width, max(left.height, grid.height)), (255, 255, 255))
    sheet.paste(left, (0, 0))
    sheet.paste(grid, (left.width + 8, 0))
    out = Path(__file__).with_name("crop_grid.jpg")
    sheet.save(out, quality=85)
    print(out)


if __name__ == "__main__":
    main()

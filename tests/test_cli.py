"""The command line as a user drives it (subprocesses): resize, demo, and the examples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "torchresample", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (45, 60, 3), dtype=np.uint8)).save(folder / "rgb.png")
    Image.fromarray(rng.integers(0, 256, (45, 60, 4), dtype=np.uint8)).save(folder / "rgba.png")
    Image.fromarray(rng.integers(0, 256, (45, 60), dtype=np.uint8)).save(folder / "grey.png")
    Image.fromarray(rng.integers(0, 256, (45, 60, 3), dtype=np.uint8)).save(folder / "photo.jpg", quality=95)
    Image.fromarray(rng.integers(0, 65536, (45, 60), dtype=np.uint16)).save(folder / "deep.png")
    return folder


MODES = ["nearest", "nearest-exact", "bilinear", "bicubic", "area", "lanczos"]


@pytest.mark.parametrize("mode", MODES)
def test_resize_rgb_matches_interpolate(images: Path, tmp_path: Path, mode: str):
    out = tmp_path / "out.png"
    extra = ["--antialias"] if mode in ("bilinear", "bicubic", "lanczos") else []
    r = cli("resize", str(images / "rgb.png"), str(out), "--size", "20x31", "--mode", mode, *extra, "--quiet")
    assert r.returncode == 0, r.stderr
    got = np.asarray(Image.open(out))
    assert got.shape == (20, 31, 3) and got.dtype == np.uint8
    # Reference: torch on the same pixels; its uint8 path where it has one (torch's own uint8 Lanczos can sit
    # 2 from the exact result), its float path rounded for area, which torch lacks in uint8.
    x = torch.from_numpy(np.array(Image.open(images / "rgb.png"))).permute(2, 0, 1)[None]
    kw = dict(mode=mode, antialias=bool(extra))
    if mode == "area":
        ref = F.interpolate(x.double(), size=(20, 31), **kw).round()
    else:
        ref = F.interpolate(x, size=(20, 31), **kw)
    ref = ref[0].permute(1, 2, 0).numpy().astype(np.float64)
    assert np.abs(got.astype(np.float64) - ref).max() <= (2 if mode == "lanczos" else 1)


def test_resize_every_kind_and_dtype(images: Path, tmp_path: Path):
    for name, mode, shape in [
        ("rgba.png", "RGBA", (90, 120, 4)),
        ("grey.png", "L", (90, 120)),
        ("deep.png", "I;16", (90, 120)),
        ("photo.jpg", "RGB", (90, 120, 3)),
    ]:
        out = tmp_path / name
        r = cli("resize", str(images / name), str(out), "--scale", "2", "--mode", "bicubic", "--quiet")
        assert r.returncode == 0, r.stderr
        im = Image.open(out)
        assert im.mode == mode and np.asarray(im).shape == shape
    # 16-bit stays 16-bit: values spread over the full range, not squeezed to 8 bits.
    deep = np.asarray(Image.open(tmp_path / "deep.png"))
    assert deep.max() > 255


def test_resize_directory_with_a_corrupt_file(images: Path, tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("rgb.png", "grey.png"):
        (folder / name).write_bytes((images / name).read_bytes())
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    r = cli("resize", str(folder), str(tmp_path / "out"), "--size", "10x10", "--mode", "area")
    assert r.returncode == 1
    assert "broken.png" in r.stderr and "1 file(s) failed" in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["grey.png", "rgb.png"]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--size", "0x4"], "positive"),
        (["--size", "abc"], "HxW"),
        (["--scale", "-1"], "positive"),
        ([], "exactly one"),
        (["--size", "4x4", "--scale", "2"], "exactly one"),
        (["--size", "4x4", "--mode", "nearest", "--antialias"], "antialias"),
    ],
)
def test_resize_bad_arguments(images: Path, tmp_path: Path, args, needle):
    r = cli("resize", str(images / "rgb.png"), str(tmp_path / "o.png"), *args)
    assert r.returncode != 0 and needle in r.stderr and "Traceback" not in r.stderr


def test_resize_missing_and_unreadable(tmp_path: Path):
    r = cli("resize", str(tmp_path / "missing.png"), str(tmp_path / "o.png"), "--scale", "2")
    assert r.returncode == 1 and "no such file" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "bad.png"
    bad.write_text("hello")
    r = cli("resize", str(bad), str(tmp_path / "o.png"), "--scale", "2")
    assert r.returncode == 1 and "not a readable image" in r.stderr and "Traceback" not in r.stderr
    r = cli("resize", str(bad), str(tmp_path / "o.png"), "--scale", "2", "--mode", "fancy")
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_demo_writes_a_labelled_contact_sheet(tmp_path: Path):
    from torchresample.demo import SHEET_ROWS

    out = tmp_path / "sheet.png"
    r = cli("demo", "--size", "128", "--repeats", "1", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert str(out) in r.stdout
    for label in ("nearest", "bicubic antialias", "lanczos", "area"):
        assert label in r.stdout
    im = Image.open(out)
    assert im.mode == "RGB"
    # One row per mode (label column + 4 panels); rows are as tall as the x4 crop (4 * 128/4).
    assert im.size[1] >= len(SHEET_ROWS) * 128
    # Every mode torch has is within rounding of torch in the printed table.
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) > 3 and "e-" in line and "torch lacks" not in line:
            diffs = [float(p) for p in parts if "e-" in p or p == "0.00e+00"]
            assert diffs and diffs[0] < 1e-5, line


def test_laplacian_blend_example():
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "laplacian_blend.py"), "--size", "64", "--levels", "3"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(":", 1) for line in r.stdout.splitlines())
    assert float(lines["pyramid round trip max error"]) < 1e-5


def test_super_resolution_example_learns():
    """Trained for 200 steps the network beats bicubic upsampling on held-out patches by more than 1 dB (1.9 dB on
    this VM); untrained (0 steps: bicubic plus a random correction) it is below bicubic."""

    def run(steps: int) -> dict:
        r = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "super_resolution.py"), "--steps", str(steps)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, r.stderr
        return {k: float(v.split()[0]) for k, v in (line.split(":", 1) for line in r.stdout.splitlines())}

    untrained, trained = run(0), run(200)
    assert untrained["PSNR bicubic"] == trained["PSNR bicubic"]  # the same held-out patches
    assert untrained["PSNR model"] < untrained["PSNR bicubic"]
    assert trained["PSNR model"] > trained["PSNR bicubic"] + 1.0


def test_unpool_autoencoder_example_matches_torch():
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "unpool_autoencoder.py"), "--steps", "20"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(":", 1) for line in r.stdout.splitlines())
    assert float(lines["max |output difference| vs torch.nn.MaxUnpool2d"]) == 0.0
    assert float(lines["max |gradient difference| vs torch.nn.MaxUnpool2d"]) < 1e-6
    first, last = (float(v) for v in lines["reconstruction loss"].split("->"))
    assert last < first


def test_resize_refuses_to_replace_its_input_without_overwrite(images: Path, tmp_path: Path):
    target = tmp_path / "astro.png"
    target.write_bytes((images / "rgb.png").read_bytes())
    before = target.read_bytes()
    r = cli("resize", str(target), str(target), "--scale", "0.5", "--quiet")
    assert r.returncode == 1 and "pass --overwrite" in r.stderr
    assert target.read_bytes() == before
    r = cli("resize", str(target), str(target), "--scale", "0.5", "--quiet", "--overwrite")
    assert r.returncode == 0, r.stderr
    assert np.asarray(Image.open(target)).shape == (22, 30, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["astro.png"]  # no temporary file left behind


def test_a_save_that_fails_midway_leaves_the_input_intact(images: Path, tmp_path: Path, monkeypatch):
    from torchresample import resize_files

    target = tmp_path / "astro.png"
    target.write_bytes((images / "rgb.png").read_bytes())
    before = target.read_bytes()

    def broken_save(self, fp, *args, **kwargs):
        Path(fp).write_bytes(b"\x89PNG half an image")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(resize_files.ResizeError, match="disk full"):
        resize_files.resize_path(
            target, target, "bilinear", None, 0.5, False, False, "cpu", progress=False, overwrite=True
        )
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["astro.png"]


def test_resize_refuses_a_huge_output_before_allocating(images: Path, tmp_path: Path):
    r = cli("resize", str(images / "rgb.png"), str(tmp_path / "big.png"), "--scale", "1000", "--quiet")
    assert r.returncode == 1
    assert "45000x60000 pixels x 3 channels, 8,100,000,000 bytes, over the limit of 4,294,967,296 bytes" in r.stderr
    assert "alloc" not in r.stderr
    r = cli("resize", str(images / "rgb.png"), str(tmp_path / "small.png"), "--scale", "0.01", "--quiet")
    assert r.returncode == 1 and "the output would be 0x0 pixels" in r.stderr

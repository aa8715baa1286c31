"""torchresample.patch(): torch's functionals and layers routed through torchresample, and restored afterwards."""

import sys
import types
import warnings

import pytest
import torch
import torch.nn.functional as TF
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

import torchresample
import torchresample.functional as RF

FUNCTIONS = [
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "pixel_shuffle",
    "pixel_unshuffle",
]
LAYERS = [nn.Upsample, nn.MaxUnpool1d, nn.MaxUnpool2d, nn.MaxUnpool3d, nn.PixelShuffle, nn.PixelUnshuffle]
TORCH_FUNCTIONS = {name: getattr(TF, name) for name in FUNCTIONS}
TORCH_FORWARDS = {cls: cls.__dict__["forward"] for cls in LAYERS}


@pytest.fixture(autouse=True)
def always_unpatched():
    yield
    torchresample.unpatch_torch()
    assert_torch_restored()


def assert_torch_restored():
    assert not torchresample.is_patched()
    for name, fn in TORCH_FUNCTIONS.items():
        assert getattr(TF, name) is fn, name
    for cls, forward in TORCH_FORWARDS.items():
        assert cls.__dict__["forward"] is forward, cls


def is_routed(fn, name: str) -> bool:
    """Whether `fn` is torchresample's function of that name as patching binds it (a copy with its code)."""
    ours = getattr(RF, name)
    return fn is not TORCH_FUNCTIONS[name] and fn.__code__ is ours.__code__ and fn.__defaults__ == ours.__defaults__


class OpRecorder(TorchDispatchMode):
    """Records the namespaces of the ops that reach the dispatcher."""

    def __init__(self):
        super().__init__()
        self.namespaces = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.namespaces.add(func.namespace)
        return func(*args, **(kwargs or {}))


def random(shape, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def pooled(dim, shape):
    pool = {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}[dim]
    return pool(random(shape), 2, return_indices=True)


# Layer instances made before patching, with their inputs.
INSTANCES = [
    (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), lambda: (random((1, 2, 3, 4)),)),
    (lambda: nn.UpsamplingNearest2d(scale_factor=2), lambda: (random((1, 2, 3, 4)),)),
    (lambda: nn.UpsamplingBilinear2d(size=(5, 6)), lambda: (random((1, 2, 3, 4)),)),
    (lambda: nn.MaxUnpool1d(2), lambda: pooled(1, (2, 3, 8))),
    (lambda: nn.MaxUnpool2d(2), lambda: pooled(2, (2, 3, 4, 6))),
    (lambda: nn.MaxUnpool3d(2), lambda: pooled(3, (1, 2, 4, 4, 2))),
    (lambda: nn.PixelShuffle(2), lambda: (random((2, 8, 3, 3)),)),
    (lambda: nn.PixelUnshuffle(2), lambda: (random((2, 2, 4, 6)),)),
]


@pytest.mark.parametrize("make,inputs", INSTANCES)
def test_existing_layer_instances_are_routed(make, inputs):
    layer, args = make(), inputs()
    expected = layer(*args)
    with torchresample.patch():
        with OpRecorder() as recorder:
            actual = layer(*args)
    assert "torchresample" in recorder.namespaces
    torch.testing.assert_close(actual, expected)
    with OpRecorder() as recorder:
        layer(*args)
    assert "torchresample" not in recorder.namespaces


def test_functionals_are_replaced_and_restored():
    with torchresample.patch():
        assert torchresample.is_patched()
        for name in FUNCTIONS:
            assert is_routed(getattr(TF, name), name), name
        for cls in LAYERS:
            assert cls.forward is not TORCH_FORWARDS[cls]
    assert_torch_restored()


def test_patched_functionals_match_torch():
    x = random((1, 2, 4, 6))
    packed = random((1, 8, 2, 3))
    values, indices = pooled(2, (2, 3, 4, 6))
    calls = [
        lambda: TF.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=True),
        lambda: TF.max_unpool2d(values, indices, 2),
        lambda: TF.pixel_shuffle(packed, 2),
        lambda: TF.pixel_unshuffle(x, 2),
    ]
    expected = [call() for call in calls]
    with torchresample.patch():
        with OpRecorder() as recorder:
            actual = [call() for call in calls]
    assert recorder.namespaces == {"torchresample"}
    for a, e in zip(actual, expected):
        torch.testing.assert_close(a, e)


def test_patched_upsample_warns_like_torch():
    x = random((1, 1, 2, 2))
    with torchresample.patch(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TF.upsample_bilinear(x, scale_factor=2)
    assert [str(w.message) for w in caught] == [
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead."
    ]
    assert caught[0].filename == __file__


def test_torch_layers_gain_torchresample_modes():
    # torch has no bicubic for 3-D input; torchresample does.
    layer = nn.Upsample(scale_factor=2, mode="bicubic")
    x = random((1, 1, 4))
    with pytest.raises(NotImplementedError):
        layer(x)
    with torchresample.patch():
        assert layer(x).shape == (1, 1, 8)


def test_restored_when_the_body_raises():
    with pytest.raises(KeyError):
        with torchresample.patch():
            raise KeyError("boom")
    assert_torch_restored()


def test_restored_when_a_routed_call_fails():
    values, indices = pooled(2, (1, 1, 4, 4))
    with pytest.raises(RuntimeError, match="Found an invalid max index"):
        with torchresample.patch():
            nn.MaxUnpool2d(2)(values, indices + 100)
    assert_torch_restored()
    assert torch.equal(TF.max_unpool2d(values, indices, 2), RF.max_unpool2d(values, indices, 2))


def test_nested_patch_restores_only_at_the_outermost_exit():
    with torchresample.patch():
        with torchresample.patch():
            assert torchresample.is_patched()
        assert torchresample.is_patched()
        assert is_routed(TF.interpolate, "interpolate")
    assert_torch_restored()


def test_on_off_pair():
    torchresample.patch_torch()
    torchresample.patch_torch()
    assert torchresample.is_patched() and is_routed(TF.pixel_shuffle, "pixel_shuffle")
    with torchresample.patch():
        pass
    assert torchresample.is_patched()
    torchresample.unpatch_torch()
    assert_torch_restored()
    torchresample.unpatch_torch()
    assert_torch_restored()


def test_torchresample_layers_are_unaffected():
    ours = torchresample.Upsample(scale_factor=0.5, mode="bilinear", antialias=True)
    x = random((1, 1, 8, 8))
    expected = ours(x)
    with torchresample.patch():
        assert torch.equal(ours(x), expected)


# --------------------------------------------------------------------------------------------------------------
# Module-level bindings (Note [patching module bindings]): names libraries bound to torch's functions at import.


def make_module(name: str, source: str):
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(source, module.__dict__)
    return module


@pytest.fixture
def modules():
    made = []
    yield lambda name, source: made.append(make_module(name, source)) or made[-1]
    for module in made:
        sys.modules.pop(module.__name__, None)


def test_names_bound_before_patching_are_routed_and_restored(modules):
    lib = modules(
        "_bound_lib",
        "from torch.nn.functional import interpolate, pixel_shuffle as shuffle\nimport torch.nn.functional as F\n",
    )
    x = random((1, 2, 5, 7))
    with torchresample.patch():
        assert is_routed(lib.interpolate, "interpolate") and is_routed(lib.shuffle, "pixel_shuffle")
        assert lib.F is TF
        with OpRecorder() as recorder:
            lib.interpolate(x, scale_factor=2, mode="bilinear")
        assert recorder.namespaces == {"torchresample"}
    assert lib.interpolate is TORCH_FUNCTIONS["interpolate"] and lib.shuffle is TORCH_FUNCTIONS["pixel_shuffle"]


def test_names_bound_while_patched_are_restored(modules):
    with torchresample.patch():
        lib = modules("_late_lib", "from torch.nn.functional import interpolate\n")
        assert is_routed(lib.interpolate, "interpolate")
    assert lib.interpolate is TORCH_FUNCTIONS["interpolate"]


def test_names_bound_to_torchresample_are_left_alone(modules):
    lib = modules("_user_lib", "from torchresample import interpolate\n")
    with torchresample.patch():
        assert lib.interpolate is RF.interpolate
    assert lib.interpolate is RF.interpolate


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")
def test_routed_functions_script_and_compile_like_ours():
    with torchresample.patch():
        fn = TF.interpolate

        def resize(x):
            return fn(x, scale_factor=2.0, mode="bilinear")

        x = random((1, 1, 4, 5))
        eager = resize(x)
        assert torch.equal(torch.compile(resize, backend="eager", fullgraph=True)(x), eager)
        scripted = torch.jit.script(nn.Upsample(scale_factor=2.0, mode="bilinear"))
        assert torch.equal(scripted(x), eager)


def photo(seed=0):
    """A uint8 CHW image as torchvision gets it from a decoder (a permuted HWC buffer)."""
    hwc = torch.randint(0, 256, (90, 120, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))
    return hwc.permute(2, 0, 1)


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize(
    "make",
    [
        lambda T: T.Resize(40, antialias=True),
        lambda T: T.Resize((33, 47), interpolation=T.InterpolationMode.BICUBIC, antialias=True),
        lambda T: T.Resize(200, interpolation=T.InterpolationMode.NEAREST),
        lambda T: T.RandomResizedCrop(32, antialias=True),
    ],
    ids=["resize-bilinear", "resize-bicubic", "resize-nearest", "random-resized-crop"],
)
def test_torchvision_transforms_are_routed(api, make):
    pytest.importorskip("torchvision")
    from torchvision import transforms as v1
    from torchvision.transforms import v2

    T = v1 if api == "v1" else v2
    transform = make(T)
    for image in (photo(), photo().float()):
        torch.manual_seed(3)
        expected = transform(image)
        torch.manual_seed(3)
        with torchresample.patch():
            with OpRecorder() as recorder:
                actual = transform(image)
        assert "torchresample" in recorder.namespaces, (api, image.dtype)
        assert actual.shape == expected.shape and actual.dtype == expected.dtype
        if image.dtype == torch.uint8:
            assert (actual.int() - expected.int()).abs().max() <= 1
        else:
            torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-3)
        with OpRecorder() as recorder:
            transform(image)
        assert "torchresample" not in recorder.namespaces

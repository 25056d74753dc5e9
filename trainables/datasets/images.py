"""Image datasets: scikit-learn's 8x8 digits (embedded), MNIST and CIFAR-10 (torchvision), a folder.

Every dataset is held in memory as uint8 tensors (N, C, H, W) at the model's resolution, with a fixed
train/test split; ``sample`` draws a minibatch of training images by index from the global torch RNG
(so a resumed trial replays the same batches) and returns floats in [-1, 1], as DCGAN's tanh does.

- ``digits``: sklearn's bundled copy of the UCI optical digits (1,797 images of 8x8, values 0..16),
  upscaled bilinearly to 16x16 by default: 16 = 4*2^2 is the smallest side the DCGAN/ResNet
  builders double up to from their 4x4 seed while keeping two up-sampling stages, and it costs a
  quarter of 32x32 on a CPU. Split: a fixed permutation (seed 0), 80 % train / 20 % test.
- ``mnist``, ``cifar10``: torchvision's on-disk formats under ``data_root`` (``MNIST/raw/*-ubyte``;
  ``cifar-10-batches-py/{data,test}_batch*``), official train/test splits; MNIST is resized 28 -> 32.
  Local files are trusted (torchvision verifies checksums when it downloads, not here), so a
  user's own copy, or a test's small file in the same format, loads.
- ``folder``: every image under ``data_root`` (recursively), centre-cropped to a square, resized,
  RGB. Images in class subfolders (``root/<class>/*.png``, torchvision's ImageFolder convention)
  carry labels, which the ``classifier`` feature extractor needs. Split: fixed permutation, 90/10.

Missing files raise :class:`DataNotFoundError` (a ``FileNotFoundError``) whose one-line message
names the path and what to do; :func:`check_available` makes the same check without loading.
"""
from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

Tensor = torch.Tensor

DATA_ENV = "GANSTUDY_DATA"
DEFAULT_RESOLUTION = {"digits": 16, "mnist": 32, "cifar10": 32, "folder": 32}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")


class DataNotFoundError(FileNotFoundError):
    """A dataset's files are missing; the message says which path and how to provide it."""


@dataclass(eq=False)
class ImageDataset:
    """Train and test splits as uint8 (N, C, H, W); labels may be None (an unlabelled folder)."""

    name: str
    train: Tensor
    test: Tensor
    train_labels: Tensor | None = None
    test_labels: Tensor | None = None
    source: str = ""
    _hash: dict[str, str] = field(default_factory=dict, repr=False)

    kind = "images"

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.train.shape[1:])

    @property
    def resolution(self) -> int:
        return int(self.train.shape[-1])

    @property
    def labelled(self) -> bool:
        return self.train_labels is not None and self.test_labels is not None

    def split(self, name: str) -> tuple[Tensor, Tensor | None]:
        if name == "train":
            return self.train, self.train_labels
        if name == "test":
            return self.test, self.test_labels
        raise ValueError(f"eval_split: unknown split {name!r}; use train or test")

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        idx = torch.randint(len(self.train), (n,), generator=generator)
        return to_float(self.train[idx])

    def content_hash(self, split: str = "train") -> str:
        """sha256 of a split's pixels and labels: names cached classifiers and reference statistics."""
        if split not in self._hash:
            images, labels = self.split(split)
            h = hashlib.sha256(str(tuple(images.shape)).encode())
            h.update(images.contiguous().numpy().tobytes())
            if labels is not None:
                h.update(labels.to(torch.int64).numpy().tobytes())
            self._hash[split] = h.hexdigest()
        return self._hash[split]


def to_float(images: Tensor) -> Tensor:
    """uint8 [0, 255] -> float [-1, 1], in torch's default dtype (float32 unless a test asks for float64)."""
    return images.to(torch.get_default_dtype()).div_(127.5).sub_(1.0)


def to_uint8(images: Tensor) -> Tensor:
    """float [-1, 1] -> uint8 [0, 255] (as torch-fidelity expects from a generator)."""
    return (images.clamp(-1, 1).add(1).mul(127.5)).round().to(torch.uint8)


def resize(images: Tensor, side: int) -> Tensor:
    """uint8 (N, C, h, w) -> uint8 (N, C, side, side), bilinear with antialiasing when shrinking."""
    if images.shape[-2:] == (side, side):
        return images.contiguous()
    out = F.interpolate(images.float(), size=(side, side), mode="bilinear", align_corners=False,
                        antialias=True)
    return out.round().clamp(0, 255).to(torch.uint8)


def data_root(value: str | None) -> Path:
    """The config's ``data_root``, else ``$GANSTUDY_DATA``, else ``~/.cache/ganstudy/data``."""
    raw = value or os.environ.get(DATA_ENV) or "~/.cache/ganstudy/data"
    return Path(raw).expanduser().resolve()


def _fixed_split(n: int, train_fraction: float) -> tuple[Tensor, Tensor]:
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    cut = int(round(n * train_fraction))
    return perm[:cut], perm[cut:]


# ---- digits -------------------------------------------------------------------------------------

def _load_digits(side: int) -> ImageDataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.from_numpy(np.round(bunch.images * (255.0 / 16.0))).to(torch.uint8).unsqueeze(1)
    labels = torch.from_numpy(bunch.target).to(torch.int64)
    images = resize(images, side)
    tr, te = _fixed_split(len(images), 0.8)
    return ImageDataset("digits", images[tr], images[te], labels[tr], labels[te], "sklearn.datasets.load_digits")


# ---- MNIST and CIFAR-10 through torchvision ----------------------------------------------------

def _missing(name: str, where: Path, files: tuple[str, ...], how: str) -> DataNotFoundError | None:
    absent = [f for f in files if not (where / f).is_file()]
    if not absent:
        return None
    return DataNotFoundError(
        f"dataset {name}: {where / absent[0]} not found ({len(absent)} of {len(files)} files missing); "
        f"{how}, or point data_root (or ${DATA_ENV}) at a folder that holds them, or set data_download: true "
        f"on a machine that is online")


def _mnist_missing(root: Path) -> DataNotFoundError | None:
    return _missing("mnist", root / "MNIST" / "raw", MNIST_FILES,
                    f"put the four uncompressed MNIST idx files in {root / 'MNIST' / 'raw'} (torchvision's layout)")


def _cifar10_missing(root: Path) -> DataNotFoundError | None:
    return _missing("cifar10", root / "cifar-10-batches-py", CIFAR10_FILES,
                    f"unpack cifar-10-python.tar.gz in {root} (torchvision's layout)")


def _download(name: str, root: Path, fetch: Callable[[], object]) -> None:
    """torchvision's download, one process at a time (concurrent trials share the data root)."""
    from filelock import FileLock

    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / f".{name}.download.lock")):
        try:
            fetch()
        except Exception as e:  # offline: urllib/HTTP errors; say what to do instead
            why = f"{type(e).__name__}: {str(e).splitlines()[0]}" if str(e) else type(e).__name__
            raise DataNotFoundError(
                f"dataset {name}: download into {root} failed ({why}); copy the files there by hand or "
                f"point data_root (or ${DATA_ENV}) at an existing copy") from None


def _load_mnist(root: Path, side: int, download: bool) -> ImageDataset:
    from torchvision.datasets import MNIST

    if download and _mnist_missing(root):
        def fetch() -> None:
            for train in (True, False):
                MNIST(str(root), train=train, download=True)
        _download("mnist", root, fetch)
    error = _mnist_missing(root)
    if error:
        raise error
    train, test = MNIST(str(root), train=True), MNIST(str(root), train=False)
    return ImageDataset("mnist", resize(train.data.unsqueeze(1), side), resize(test.data.unsqueeze(1), side),
                        train.targets.to(torch.int64), test.targets.to(torch.int64), str(root / "MNIST"))


def _trusting(cls):
    """torchvision's CIFAR class without the md5 check on local files (it still checks downloads)."""
    return type(cls.__name__, (cls,), {
        "train_list": [[f, None] for f, _ in cls.train_list],
        "test_list": [[f, None] for f, _ in cls.test_list],
        "meta": {**cls.meta, "md5": None},
    })


def _load_cifar10(root: Path, side: int, download: bool) -> ImageDataset:
    from torchvision.datasets import CIFAR10

    if download and _cifar10_missing(root):
        _download("cifar10", root, lambda: CIFAR10(str(root), train=True, download=True))
    error = _cifar10_missing(root)
    if error:
        raise error
    local = _trusting(CIFAR10)
    train, test = local(str(root), train=True), local(str(root), train=False)
    to_tensor = lambda d: torch.from_numpy(d.data).permute(0, 3, 1, 2).contiguous()  # noqa: E731 (NHWC)
    return ImageDataset("cifar10", resize(to_tensor(train), side), resize(to_tensor(test), side),
                        torch.tensor(train.targets, dtype=torch.int64), torch.tensor(test.targets, dtype=torch.int64),
                        str(root / "cifar-10-batches-py"))


# ---- a folder of images ------------------------------------------------------------------------

def _image_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _folder_missing(root: Path) -> DataNotFoundError | None:
    if root.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in root.rglob("*")):
        return None
    return DataNotFoundError(
        f"dataset folder: no images ({', '.join(IMAGE_SUFFIXES[:3])}, ...) under {root}; set data_root to "
        f"your image folder (class subfolders give labels)")


def _load_folder(root: Path, side: int) -> ImageDataset:
    from PIL import Image

    error = _folder_missing(root)
    if error:
        raise error
    files = _image_files(root)
    arrays = []
    for path in files:
        with Image.open(path) as img:
            img = img.convert("RGB")
            s = min(img.size)
            left, top = (img.width - s) // 2, (img.height - s) // 2
            img = img.crop((left, top, left + s, top + s)).resize((side, side), Image.BICUBIC)
            arrays.append(np.asarray(img, dtype=np.uint8))
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    classes = sorted({p.parent.relative_to(root).parts[0] for p in files if p.parent != root})
    labelled = len(classes) >= 2 and all(p.parent != root for p in files)
    labels = None
    if labelled:
        index = {c: i for i, c in enumerate(classes)}
        labels = torch.tensor([index[p.relative_to(root).parts[0]] for p in files], dtype=torch.int64)
    tr, te = _fixed_split(len(images), 0.9)
    pick = lambda t, i: None if t is None else t[i]  # noqa: E731
    return ImageDataset("folder", images[tr], images[te], pick(labels, tr), pick(labels, te), str(root))


# ---- registry entry points ---------------------------------------------------------------------

def _side(name: str, resolution: int | None) -> int:
    return int(resolution) if resolution else DEFAULT_RESOLUTION[name]


@functools.lru_cache(maxsize=4)
def load(name: str, root: str | None = None, resolution: int | None = None,
         download: bool = False) -> ImageDataset:
    """Load (once per process) an image dataset at ``resolution`` (None: its default)."""
    side = _side(name, resolution)
    if name == "digits":
        return _load_digits(side)
    path = data_root(root)
    if name == "mnist":
        return _load_mnist(path, side, download)
    if name == "cifar10":
        return _load_cifar10(path, side, download)
    if name == "folder":
        return _load_folder(path, side)
    raise ValueError(f"dataset: unknown image dataset {name!r}")


def check_available(name: str, root: str | None = None, download: bool = False) -> None:
    """Raise :class:`DataNotFoundError` if a dataset's files are missing (and will not be downloaded)."""
    path = data_root(root)
    check = {"mnist": _mnist_missing, "cifar10": _cifar10_missing, "folder": _folder_missing}.get(name)
    if check is None or (download and name != "folder"):
        return
    error = check(path)
    if error:
        raise error


def _builder(name: str):
    def build(*, data_root: str | None = None, resolution: int | None = None,
              data_download: bool = False, **_: object) -> ImageDataset:
        return load(name, data_root, resolution, data_download)
    build.__name__ = name
    return build


digits = _builder("digits")
mnist = _builder("mnist")
cifar10 = _builder("cifar10")
folder = _builder("folder")

"""Digits MLPs for ``wattprint compare``: train once, then measure inference variants.

``python digits.py train`` trains, on scikit-learn's bundled digits data (no
download), a teacher MLP 64-512-256-10, a small MLP 64-64-10 on the hard
labels and the same small MLP distilled from the teacher's soft labels, and
saves their state dicts and the test set in a temporary folder (``WATTPRINT_EXAMPLE_CACHE``
or ``<tmp>/wattprint-compare-digits``); it does nothing when they are there.

``python digits.py infer --model teacher --precision int8 --passes 3000``
classifies the held-out test set ``passes`` times (fixed work, so variants
compare on the same work) and prints ``accuracy=0.9722``; under ``wattprint
compare`` or ``wattprint run`` it also logs the accuracy with
``wattprint.log_metric``. ``int8`` is PyTorch dynamic quantisation of the
``nn.Linear`` layers (``torch.ao.quantization.quantize_dynamic``). One
thread, so the measurement is not spread over a varying number of cores.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

SEED = 0
#: Hidden layer sizes of each model.
SHAPES = {"teacher": (512, 256), "small": (64,), "distilled": (64,)}
#: Softmax temperature of distillation (Hinton et al. 2015 use 1-20; 4 is common).
TEMPERATURE = 4.0


def cache_dir() -> Path:
    """Where the trained state dicts are kept."""
    default = Path(tempfile.gettempdir()) / "wattprint-compare-digits"
    return Path(os.environ.get("WATTPRINT_EXAMPLE_CACHE", default))


def data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Digits split 80/20 (stratified, fixed seed), pixels scaled to [0, 1]."""
    # Imported here: scikit-learn takes longer to import than torch, and the
    # measured inference runs only need the test set saved by `train`.
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, digits.target, test_size=0.2,
                                              random_state=SEED, stratify=digits.target)
    return (torch.from_numpy(x_tr), torch.from_numpy(y_tr).long(),
            torch.from_numpy(x_te), torch.from_numpy(y_te).long())


def mlp(hidden: tuple[int, ...]) -> nn.Sequential:
    """An MLP 64 → hidden... → 10 with ReLUs."""
    layers: list[nn.Module] = []
    width = 64
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, epochs: int,
        soft: torch.Tensor | None = None) -> None:
    """Adam, mini-batches of 64; with ``soft`` logits, distil (KL at TEMPERATURE + hard CE)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(64):
            logits = model(x[idx])
            loss = F.cross_entropy(logits, y[idx])
            if soft is not None:
                t = TEMPERATURE
                kl = F.kl_div(F.log_softmax(logits / t, dim=1), F.softmax(soft[idx] / t, dim=1),
                              reduction="batchmean")
                loss = 0.3 * loss + 0.7 * kl * t * t
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()


def train() -> None:
    """Train the three models unless their state dicts are already cached."""
    folder = cache_dir()
    if all((folder / f"{name}.pt").is_file() for name in [*SHAPES, "test"]):
        print(f"models already trained in {folder}")
        return
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    x_tr, y_tr, x_te, y_te = data()
    teacher = mlp(SHAPES["teacher"])
    fit(teacher, x_tr, y_tr, epochs=80)
    with torch.no_grad():
        soft = teacher(x_tr)
    small, distilled = mlp(SHAPES["small"]), mlp(SHAPES["distilled"])
    fit(small, x_tr, y_tr, epochs=80)
    fit(distilled, x_tr, y_tr, epochs=80, soft=soft)
    for name, model in (("teacher", teacher), ("small", small), ("distilled", distilled)):
        torch.save(model.state_dict(), folder / f"{name}.pt")
        print(f"{name}: test accuracy {accuracy(model, x_te, y_te):.4f}")
    torch.save({"x": x_te, "y": y_te}, folder / "test.pt")
    print(f"saved to {folder}")


def load(name: str, precision: str) -> nn.Module:
    """A trained model, as float32 or with dynamically quantised int8 Linear layers."""
    path = cache_dir() / f"{name}.pt"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run `python digits.py train` first")
    model = mlp(SHAPES[name])
    model.load_state_dict(torch.load(path, weights_only=True))
    model.eval()
    if precision == "int8":
        with warnings.catch_warnings():
            # torch 2.13 marks torch.ao.quantization deprecated in favour of
            # torchao; it still works, and this example is about its effect.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            from torch.ao.quantization import quantize_dynamic

            model = quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    return model


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Share of ``x`` classified as ``y``."""
    with torch.inference_mode():
        return float((model(x).argmax(dim=1) == y).float().mean())


def infer(name: str, precision: str, passes: int) -> float:
    """Classify the test set ``passes`` times; returns the test accuracy."""
    model = load(name, precision)
    test = torch.load(cache_dir() / "test.pt", weights_only=True)
    x_te, y_te = test["x"], test["y"]
    with torch.inference_mode():
        for _ in range(passes):
            predicted = model(x_te).argmax(dim=1)
    return float((predicted == y_te).float().mean())


def main() -> None:
    """Command line: ``train`` or ``infer``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("train", help="train and cache the models")
    run = sub.add_parser("infer", help="classify the test set repeatedly")
    run.add_argument("--model", choices=sorted(SHAPES), default="teacher")
    run.add_argument("--precision", choices=["fp32", "int8"], default="fp32")
    run.add_argument("--passes", type=int, default=3000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.action == "train":
        train()
        return
    acc = infer(args.model, args.precision, args.passes)
    print(f"model={args.model} precision={args.precision} passes={args.passes} "
          f"accuracy={acc:.4f}")
    if os.environ.get("WATTPRINT_METRICS_FILE"):  # set by wattprint compare / wattprint run
        import wattprint

        wattprint.log_metric("accuracy", acc)


if __name__ == "__main__":
    main()

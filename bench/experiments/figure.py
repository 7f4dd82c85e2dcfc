"""``derain-bench figure``: several runs' restorations of the same test images side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from derainbench.contracts import ATTENTION
from derainbench.datasets.build import dataset_label
from derainbench.errors import DerainBenchError
from derainbench.evaluation.restore import generator_mode, restore
from derainbench.experiments.run_set import run_labels, shared_test_spec
from derainbench.registries import PROTOCOLS
from derainbench.reporting.comparison_figure import (
    AttentionRow,
    FigureRow,
    draw_attention_strip,
    draw_comparison,
)
from derainbench.training.components import build_test_set
from derainbench.training.trained import load_run_generator, read_run


def _spread(count: int, available: int) -> list[int]:
    """``count`` image indices spread evenly over the test set (the first when it is one)."""
    if count < 1:
        raise DerainBenchError(f"--images must be at least 1 (got {count})")
    count = min(count, available)
    if count == 1:
        return [0]
    return sorted({round(i * (available - 1) / (count - 1)) for i in range(count)})


def _png(out: Path | str) -> Path:
    out = Path(out)
    if out.suffix.lower() != ".png":
        raise DerainBenchError(f"--out {out}: the figure is written as a .png file")
    return out


def comparison_figure(
    runs: Sequence[Path | str],
    out: Path | str,
    *,
    images: int = 3,
    checkpoint: str = "last",
    test_data: str | dict[str, Any] | None = None,
    device: str = "auto",
) -> Path:
    """Draw ``images`` test images restored by every run (rainy | each run | clean), each panel
    with its PSNR under the first run's protocol and the same region zoomed; the PNG written.

    The test images are ``test_data``'s, or the runs' own test data, which must then be the same
    for every run (a figure across different test sets compares nothing)."""
    if not runs:
        raise DerainBenchError("figure needs at least one run folder")
    out = _png(out)
    trained = [read_run(run, checkpoint) for run in runs]
    spec = shared_test_spec(trained, test_data)
    test_set = build_test_set(trained[0].config, spec)
    protocol = PROTOCOLS.create(trained[0].config.eval.protocol)
    indices = _spread(images, len(test_set))
    pairs = [test_set.load_pair(i) for i in indices]
    names = [test_set.pair_names()[i] for i in indices]

    restored: list[list[torch.Tensor]] = []
    for run in trained:
        generator = load_run_generator(run, device)
        target = next(generator.parameters()).device
        with generator_mode(generator, run.config.eval.generator_mode):
            restored.append([restore(generator, r[None].to(target)).image[0].cpu()
                             for r, _ in pairs])  # fmt: skip

    def psnr(image: torch.Tensor, clean: torch.Tensor) -> float:
        return float(protocol.evaluate(image[None], clean[None])["psnr"][0])

    rows = []
    for number, ((rainy, clean), name) in enumerate(zip(pairs, names, strict=True)):
        outputs = [per_run[number] for per_run in restored]
        scores = [psnr(rainy, clean), *(psnr(o, clean) for o in outputs)]
        # The rainy input competes: where doing nothing scores best, the figure says so.
        best = max(range(len(scores)), key=lambda k: scores[k])
        rows.append(FigureRow(
            name=name, panels=[rainy, *outputs, clean],
            captions=[*(f"{s:.2f} dB" for s in scores), "ground truth"], best=best,
        ))  # fmt: skip
    columns = ["rainy input", *run_labels(trained), "clean"]
    title = (
        f"{dataset_label(spec.name, spec.options)} · {protocol.name} PSNR · "
        f"{checkpoint} weights · best per image (the rainy input included) in bold"
    )
    return draw_comparison(rows, columns, out, title)


def attention_strip(
    run: Path | str,
    out: Path | str,
    *,
    images: int = 3,
    checkpoint: str = "last",
    test_data: str | dict[str, Any] | None = None,
    device: str = "auto",
) -> Path:
    """Draw, for ``images`` test images, what an attentive run attends to: rainy | the rain mask
    (the dataset's, or derived from the pair by the dataset's rule) | the attention map of each
    recurrent step | restored | clean; the PNG written."""
    out = _png(out)
    trained = read_run(run, checkpoint)
    generator = load_run_generator(trained, device)
    if ATTENTION not in generator.provides:
        raise DerainBenchError(
            f"--attention: generator '{trained.config.generator.name}' of {trained.run.root} "
            f"produces no attention maps"
        )
    spec = shared_test_spec([trained], test_data)
    test_set = build_test_set(trained.config, spec)
    protocol = PROTOCOLS.create(trained.config.eval.protocol)
    target = next(generator.parameters()).device
    rows = []
    with generator_mode(generator, trained.config.eval.generator_mode):
        for index in _spread(images, len(test_set)):
            rainy, clean = test_set.load_pair(index)
            result = restore(generator, rainy[None].to(target))
            restored = result.image[0].cpu()
            score = float(protocol.evaluate(restored[None], clean[None])["psnr"][0])
            rows.append(AttentionRow(
                name=test_set.pair_names()[index], rainy=rainy,
                mask=test_set.load_mask(index, rainy, clean),
                maps=[a[0].cpu() for a in result.attention or []], restored=restored,
                clean=clean, caption=f"{score:.2f} dB",
            ))  # fmt: skip
    title = (f"{trained.run.run_id} · {checkpoint} weights · "
             f"{dataset_label(spec.name, spec.options)}")  # fmt: skip
    return draw_attention_strip(rows, out, title)

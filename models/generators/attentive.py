"""The Attentive GAN generator (Qian et al., CVPR 2018), as rui1996/DeRaindrop defines it.

Faithful at the defaults: 6,244,362 parameters, and the original's outputs for the original's
weights once the ``deraindrop`` importer has converted them. The original works on BGR in [0, 1];
this module works on RGB in [0, 1], and the importer permutes the image channels of the first
convs and the output channels of the three output convs once, so that no run-time flip is needed.

Ablation knobs: ``recurrent_steps`` (0 = the contextual autoencoder alone, fed the image only),
``recurrence`` ("convlstm" as published, or "conv": a plain convolutional recurrence),
``attention`` ("raw" as published, or "sigmoid": maps squashed into [0, 1] before they are fed
back and used), and ``width`` (a channel multiplier for tiny test models).

Training knobs, not in the paper and off at the defaults: ``learn_residual`` (the image is a
correction added to the input), ``residual_side_outputs`` (with it, the 1/4 and 1/2 side outputs
too) and ``init`` ("pytorch", as the authors' code leaves it, or "he").
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from derainbench.contracts import ATTENTION, PYRAMID, Generator, Restoration
from derainbench.errors import DerainBenchError
from derainbench.models.generators.attentive_blocks import (
    AttentiveRecurrentNetwork,
    ContextualAutoencoder,
)
from derainbench.models.layers import require_sizes
from derainbench.models.original_weights import ImportedGenerator, register_importer
from derainbench.registries import GENERATORS

#: How the weights start: PyTorch's defaults (the authors' code) or He-normal.
INITS = ("pytorch", "he")


class AttentiveGenerator(Generator):
    """Attentive-recurrent network → attention maps; contextual autoencoder → the image."""

    multiple_of = 4  # two stride-2 convs, undone by two transposed convs
    supports_activation_checkpointing = True

    def __init__(
        self,
        recurrent_steps: int = 4,
        recurrence: str = "convlstm",
        attention: str = "raw",
        width: float = 1.0,
        learn_residual: bool = False,
        init: str = "pytorch",
        residual_side_outputs: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(recurrent_steps, int) or recurrent_steps < 0:
            raise DerainBenchError(
                f"attentive: recurrent_steps must be an integer >= 0 (got {recurrent_steps})"
            )
        if width <= 0:
            raise DerainBenchError(f"attentive: width must be positive (got {width})")
        self.arn = (
            AttentiveRecurrentNetwork(recurrent_steps, recurrence, attention, width)
            if recurrent_steps > 0
            else None
        )
        # Without the recurrent network the autoencoder sees the image alone (3 channels).
        self.autoencoder = ContextualAutoencoder(4 if self.arn else 3, width)
        if residual_side_outputs and not learn_residual:
            raise DerainBenchError("attentive: residual_side_outputs needs learn_residual=true")
        self.learn_residual = learn_residual
        self.residual_side_outputs = residual_side_outputs
        self._checkpointing = False
        self.provides = frozenset({ATTENTION, PYRAMID} if self.arn else {PYRAMID})
        if init not in INITS:
            raise DerainBenchError(f"attentive: unknown init '{init}'; choose {' or '.join(INITS)}")
        if init == "he":
            self._he_init()

    def _he_init(self) -> None:
        # Neither network is normalised: with PyTorch's default init the signal's variance
        # shrinks about six-fold per ReLU conv, and at a small width whole layers of ReLUs die
        # early in training. He-normal weights keep the signal's scale through the ReLUs.
        for module in self.modules():
            if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
                # A transposed conv's weight is (in, out, k, k): its input side is "fan_out".
                mode = "fan_out" if isinstance(module, nn.ConvTranspose2d) else "fan_in"
                nn.init.kaiming_normal_(module.weight, mode=mode, nonlinearity="relu")
                nn.init.zeros_(module.bias)
        # Zero corrections: the untrained generator returns its input where it adds it.
        residual_convs = [self.autoencoder.output] if self.learn_residual else []
        if self.residual_side_outputs:
            residual_convs += [self.autoencoder.side_quarter, self.autoencoder.side_half]
        for conv in residual_convs:
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)

    def forward(self, rainy: Tensor) -> Restoration:
        height, width = rainy.shape[-2:]
        if height % 4 or width % 4:
            # Caught here: the skips would otherwise fail deep inside with a shape mismatch.
            raise DerainBenchError(
                f"attentive takes sides that are multiples of 4, got {height}×{width}; choose "
                f"such a training crop (evaluation pads and crops back by itself)"
            )
        autoencoder = self.autoencoder
        if self.checkpointing and torch.is_grad_enabled():
            autoencoder = functools.partial(checkpoint, self.autoencoder, use_reentrant=False)
        # Not in the paper: with learn_residual the output conv predicts a correction to the
        # input; with residual_side_outputs the side convs too, to the input at their scale
        # (their ReLU comes after the sum). Otherwise the side outputs are whole images.
        sides = rainy if self.residual_side_outputs else None
        if self.arn is None:
            quarter, half, image = autoencoder(rainy, sides)
            return Restoration(image=self._image(rainy, image), pyramid=[quarter, half])
        maps = self.arn(rainy)
        quarter, half, image = autoencoder(torch.cat([rainy, maps[-1]], dim=1), sides)
        return Restoration(image=self._image(rainy, image), attention=maps, pyramid=[quarter, half])

    def _image(self, rainy: Tensor, output: Tensor) -> Tensor:
        return rainy + output if self.learn_residual else output

    @property
    def checkpointing(self) -> bool:
        return self._checkpointing

    def set_activation_checkpointing(self, enabled: bool) -> None:
        """Keep only each recurrent step's and the autoencoder's inputs during the forward pass
        and recompute the rest in the backward pass: less memory, about one more forward."""
        self._checkpointing = enabled
        if self.arn is not None:
            self.arn.checkpointing = enabled


@GENERATORS.register(
    "attentive",
    paper="Qian et al., Attentive Generative Adversarial Network for Raindrop Removal from a "
    "Single Image, CVPR 2018",
    family="attentive-gan",
    native_range="[0, 1]",
    channel_order="RGB (the original's BGR weights are converted by the deraindrop importer)",
    multiple_of=4,
    outputs=("image", "attention: one B×1×H×W map per recurrent step", "pyramid: 1/4, 1/2"),
    provides=(ATTENTION, PYRAMID),
    description="Attentive GAN generator: attentive-recurrent network + contextual autoencoder",
    test_kwargs={"width": 0.125, "recurrent_steps": 2},
)
def attentive(
    recurrent_steps: int = 4,
    recurrence: str = "convlstm",
    attention: str = "raw",
    width: float = 1.0,
    learn_residual: bool = False,
    init: str = "pytorch",
    residual_side_outputs: bool = False,
) -> AttentiveGenerator:
    """Attentive GAN generator (6,244,362 parameters at the defaults); PyTorch's default init.

    Not in the paper, off at the defaults: ``learn_residual`` adds the input to the full-size
    output, so that the network learns a correction; ``residual_side_outputs`` (with it) adds
    the input, averaged down, to the 1/4 and 1/2 side outputs as well; ``init="he"`` starts
    every conv He-normal with zero biases, and the convs whose output is added to the input at
    zero, so that the untrained generator returns its input there."""
    require_sizes("attentive", minimum=1 / 64, width=width)
    return AttentiveGenerator(
        recurrent_steps, recurrence, attention, width, learn_residual, init, residual_side_outputs
    )


# --- the authors' released weights (DeRaindrop weights/gen.pkl) ------------------------------

#: The original's module prefixes → ours (each is a conv with ``.weight`` and ``.bias``).
ORIGINAL_PREFIXES: dict[str, str] = {
    "det_conv0.0": "arn.stem",
    **{f"det_conv{k}.0": f"arn.blocks.{k - 1}.conv1" for k in range(1, 6)},
    **{f"det_conv{k}.2": f"arn.blocks.{k - 1}.conv2" for k in range(1, 6)},
    "conv_i.0": "arn.cell.input_gate",
    "conv_f.0": "arn.cell.forget_gate",
    "conv_g.0": "arn.cell.candidate",
    "conv_o.0": "arn.cell.output_gate",
    "det_conv_mask.0": "arn.to_map",
    **{f"conv{k}.0": f"autoencoder.conv{k}" for k in range(1, 11)},
    **{f"diconv{k}.0": f"autoencoder.dilated.{k - 1}" for k in range(1, 5)},
    "deconv1.0": "autoencoder.up1.deconv",
    "deconv2.0": "autoencoder.up2.deconv",
    "outframe1.0": "autoencoder.side_quarter",
    "outframe2.0": "autoencoder.side_half",
    "output.0": "autoencoder.output",
}
# Convs whose input channels 0..2 are the image (BGR in the original), and convs that emit an
# image: their channel order is reversed once to make the model RGB.
_IMAGE_INPUT = ("det_conv0.0", "conv1.0")
_IMAGE_OUTPUT = ("outframe1.0", "outframe2.0", "output.0")
#: What the importer builds: the published configuration (4 steps is a constant of their code).
DERAINDROP_OPTIONS = {"recurrent_steps": 4, "recurrence": "convlstm", "attention": "raw"}


def convert_deraindrop_state(original: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Our state dict from DeRaindrop ``Generator`` weights (their key names, BGR), checked."""
    original = {k.removeprefix("module."): v for k, v in original.items()}
    expected = {f"{p}.{kind}" for p in ORIGINAL_PREFIXES for kind in ("weight", "bias")}
    missing, unexpected = sorted(expected - set(original)), sorted(set(original) - expected)
    if missing or unexpected:
        details = [f"missing {_listing(missing)}"] if missing else []
        details += [f"unexpected {_listing(unexpected)}"] if unexpected else []
        raise DerainBenchError(f"these are not DeRaindrop Generator weights ({'; '.join(details)})")
    target = attentive(**DERAINDROP_OPTIONS).state_dict()
    converted: dict[str, Tensor] = {}
    for old_prefix, new_prefix in ORIGINAL_PREFIXES.items():
        for kind in ("weight", "bias"):
            tensor = original[f"{old_prefix}.{kind}"].detach().clone().float()
            new_key = f"{new_prefix}.{kind}"
            if tuple(tensor.shape) != tuple(target[new_key].shape):
                raise DerainBenchError(
                    f"DeRaindrop weight '{old_prefix}.{kind}' {tuple(tensor.shape)} does not fit "
                    f"'{new_key}' {tuple(target[new_key].shape)}"
                )
            if old_prefix in _IMAGE_INPUT and kind == "weight":
                tensor[:, :3] = tensor[:, :3].flip(1)  # BGR input channels → RGB
            if old_prefix in _IMAGE_OUTPUT:
                tensor = tensor.flip(0)  # BGR output channels (weight rows and bias) → RGB
            converted[new_key] = tensor.contiguous()
    return converted


def _listing(keys: list[str]) -> str:
    return ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")


@register_importer("deraindrop")
def import_deraindrop(original: Mapping[str, Tensor]) -> ImportedGenerator:
    """DeRaindrop's released generator (``weights/gen.pkl``, BGR) → the ``attentive`` generator."""
    return ImportedGenerator(
        "attentive",
        {**DERAINDROP_OPTIONS, "width": 1.0},
        convert_deraindrop_state(original),
        "DeRaindrop Generator weights (rui1996/DeRaindrop), BGR channel order converted to RGB",
    )

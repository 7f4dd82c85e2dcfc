"""Building blocks of the Attentive GAN generator (Qian et al., CVPR 2018).

The attentive-recurrent network (residual blocks, a recurrent cell, the attention-map conv) and
the contextual autoencoder, laid out as in rui1996/DeRaindrop's ``Generator``: no normalisation,
every conv with a bias, PyTorch's default initialisation. Channel widths are the original's times
a multiplier, so that tests can build tiny models with the same structure.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from derainbench.errors import DerainBenchError

RECURRENCES = ("convlstm", "conv")
ATTENTION_FORMS = ("raw", "sigmoid")


def scaled(channels: int, width: float) -> int:
    """``channels`` times the width multiplier, at least 1."""
    return max(1, round(channels * width))


def conv3x3(in_channels: int, out_channels: int, dilation: int = 1, stride: int = 1) -> nn.Conv2d:
    """A 3×3 conv that keeps the size at stride 1 (padding = dilation)."""
    return nn.Conv2d(in_channels, out_channels, 3, stride, dilation, dilation=dilation)


class ResidualBlock(nn.Module):
    """conv–ReLU–conv–ReLU, plus the block input, then ReLU again (the original's order)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = conv3x3(channels, channels)
        self.conv2 = conv3x3(channels, channels)

    def forward(self, x: Tensor) -> Tensor:
        y = F.relu(self.conv2(F.relu(self.conv1(x))))
        return F.relu(y + x)


class ConvLSTMCell(nn.Module):
    """ConvLSTM without peepholes: four separate 3×3 convs on cat(features, h)."""

    def __init__(self, in_channels: int, hidden: int) -> None:
        super().__init__()
        self.input_gate = conv3x3(in_channels + hidden, hidden)
        self.forget_gate = conv3x3(in_channels + hidden, hidden)
        self.candidate = conv3x3(in_channels + hidden, hidden)
        self.output_gate = conv3x3(in_channels + hidden, hidden)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
        xh = torch.cat([x, h], dim=1)
        i = torch.sigmoid(self.input_gate(xh))
        f = torch.sigmoid(self.forget_gate(xh))
        g = torch.tanh(self.candidate(xh))
        o = torch.sigmoid(self.output_gate(xh))
        c = f * c + i * g
        return o * torch.tanh(c), c


class ConvRecurrentCell(nn.Module):
    """The ablation's plain recurrence: h = tanh(conv(cat(features, h))), no gates, no cell."""

    def __init__(self, in_channels: int, hidden: int) -> None:
        super().__init__()
        self.conv = conv3x3(in_channels + hidden, hidden)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
        return torch.tanh(self.conv(torch.cat([x, h], dim=1))), c


class AttentiveRecurrentNetwork(nn.Module):
    """``steps`` passes of ONE set of weights, each refining the attention map of the last."""

    def __init__(
        self, steps: int, recurrence: str = "convlstm", attention: str = "raw", width: float = 1.0
    ) -> None:
        super().__init__()
        if recurrence not in RECURRENCES:
            raise DerainBenchError(
                f"attentive: unknown recurrence '{recurrence}'; choose {' or '.join(RECURRENCES)}"
            )
        if attention not in ATTENTION_FORMS:
            raise DerainBenchError(
                f"attentive: unknown attention '{attention}'; choose {' or '.join(ATTENTION_FORMS)}"
            )
        self.steps = steps
        self.hidden = scaled(32, width)
        self.squash = attention == "sigmoid"
        self.stem = conv3x3(4, self.hidden)  # image (3) + previous attention map (1)
        self.blocks = nn.ModuleList(ResidualBlock(self.hidden) for _ in range(5))
        cell = ConvLSTMCell if recurrence == "convlstm" else ConvRecurrentCell
        self.cell = cell(self.hidden, self.hidden)
        self.to_map = conv3x3(self.hidden, 1)
        #: Recompute each step's activations in the backward pass instead of keeping them.
        self.checkpointing = False

    def step(
        self, image: Tensor, attention: Tensor, h: Tensor, c: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """One recurrent step: (new attention map, h, c)."""
        x = F.relu(self.stem(torch.cat([image, attention], dim=1)))
        for block in self.blocks:
            x = block(x)
        h, c = self.cell(x, h, c)
        attention = self.to_map(h)
        if self.squash:
            attention = torch.sigmoid(attention)
        return attention, h, c

    def forward(self, image: Tensor) -> list[Tensor]:
        batch, _, height, width = image.shape
        attention = image.new_full((batch, 1, height, width), 0.5)
        h = image.new_zeros((batch, self.hidden, height, width))
        c = torch.zeros_like(h)
        maps = []
        for _ in range(self.steps):
            if self.checkpointing and torch.is_grad_enabled():
                attention, h, c = checkpoint(self.step, image, attention, h, c, use_reentrant=False)
            else:
                attention, h, c = self.step(image, attention, h, c)
            maps.append(attention)
        return maps


class BlurredUpsample(nn.Module):
    """Transposed conv (4, stride 2), then a size-keeping 2×2 blur and ReLU.

    The original writes the blur as a reflection pad (left 1, top 1) and a stride-1 average pool:
    an anti-checkerboard trick that we reproduce exactly.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.deconv = nn.ConvTranspose2d(in_channels, out_channels, 4, 2, 1)
        self.blur = nn.Sequential(nn.ReflectionPad2d((1, 0, 1, 0)), nn.AvgPool2d(2, stride=1))

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.blur(self.deconv(x)))


class ContextualAutoencoder(nn.Module):
    """The encoder–decoder with dilated convs, additive skips and 1/4 and 1/2 side outputs."""

    def __init__(self, in_channels: int = 4, width: float = 1.0) -> None:
        super().__init__()
        c64, c128, c256, c32 = (scaled(c, width) for c in (64, 128, 256, 32))
        self.conv1 = nn.Conv2d(in_channels, c64, 5, 1, 2)
        self.conv2 = conv3x3(c64, c128, stride=2)
        self.conv3 = conv3x3(c128, c128)
        self.conv4 = conv3x3(c128, c256, stride=2)
        self.conv5 = conv3x3(c256, c256)
        self.conv6 = conv3x3(c256, c256)
        self.dilated = nn.ModuleList(conv3x3(c256, c256, dilation=d) for d in (2, 4, 8, 16))
        self.conv7 = conv3x3(c256, c256)
        self.conv8 = conv3x3(c256, c256)
        self.side_quarter = conv3x3(c256, 3)
        self.up1 = BlurredUpsample(c256, c128)
        self.conv9 = conv3x3(c128, c128)
        self.side_half = conv3x3(c128, 3)
        self.up2 = BlurredUpsample(c128, c64)
        self.conv10 = conv3x3(c64, c32)
        self.output = conv3x3(c32, 3)

    def forward(self, x: Tensor, corrected: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """(1/4-scale side output, 1/2-scale side output, full-size image).

        With ``corrected`` (an image the size of ``x``), each side conv predicts a correction to
        it, shrunk to the side output's size by averaging, instead of a whole image; the
        full-size output is left to the caller."""
        skip_full = x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        skip_half = x = F.relu(self.conv3(x))
        for conv in (self.conv4, self.conv5, self.conv6, *self.dilated, self.conv7, self.conv8):
            x = F.relu(conv(x))
        quarter = F.relu(_plus(self.side_quarter(x), corrected, 4))
        x = F.relu(self.conv9(self.up1(x) + skip_half))
        half = F.relu(_plus(self.side_half(x), corrected, 2))
        x = F.relu(self.conv10(self.up2(x) + skip_full))
        return quarter, half, self.output(x)  # the output has no activation and no clamp


def _plus(output: Tensor, corrected: Tensor | None, factor: int) -> Tensor:
    """``output`` plus ``corrected`` shrunk ``factor`` times by averaging (area), if given."""
    return output if corrected is None else output + F.avg_pool2d(corrected, factor)

"""The DeRaindrop networks in the ORIGINAL's module layout, key names and semantics, for parity.

Written for these tests from shared/reference/architectures.md and the public structure of
rui1996/DeRaindrop (``models/generator.py``, ``models/discriminator.py``): Sequentials named
``det_conv*``, ``conv_i``/``conv_f``/``conv_g``/``conv_o``, ``conv*``, ``diconv*``, ``deconv*``,
``outframe*``, ``output``; BGR images in [0, 1]; CPU tensors instead of ``.cuda()``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

STEPS = 4  # a module constant in the original (ITERATION)


def _conv_relu(a: int, b: int, k: int = 3, s: int = 1, p: int = 1, d: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(a, b, k, s, p, dilation=d), nn.ReLU())


def _deconv() -> list[nn.Module]:
    return [nn.ReflectionPad2d((1, 0, 1, 0)), nn.AvgPool2d(2, stride=1), nn.ReLU()]


class OriginalGenerator(nn.Module):
    """Returns (attention maps, frame at 1/4, frame at 1/2, output), all BGR."""

    def __init__(self) -> None:
        super().__init__()
        self.det_conv0 = _conv_relu(4, 32)
        for k in range(1, 6):
            setattr(self, f"det_conv{k}", nn.Sequential(*_conv_relu(32, 32), *_conv_relu(32, 32)))
        self.conv_i = nn.Sequential(nn.Conv2d(64, 32, 3, 1, 1), nn.Sigmoid())
        self.conv_f = nn.Sequential(nn.Conv2d(64, 32, 3, 1, 1), nn.Sigmoid())
        self.conv_g = nn.Sequential(nn.Conv2d(64, 32, 3, 1, 1), nn.Tanh())
        self.conv_o = nn.Sequential(nn.Conv2d(64, 32, 3, 1, 1), nn.Sigmoid())
        self.det_conv_mask = nn.Sequential(nn.Conv2d(32, 1, 3, 1, 1))
        self.conv1 = _conv_relu(4, 64, 5, 1, 2)
        self.conv2 = _conv_relu(64, 128, 3, 2, 1)
        self.conv3 = _conv_relu(128, 128)
        self.conv4 = _conv_relu(128, 256, 3, 2, 1)
        self.conv5 = _conv_relu(256, 256)
        self.conv6 = _conv_relu(256, 256)
        for k, d in enumerate((2, 4, 8, 16), start=1):
            setattr(self, f"diconv{k}", _conv_relu(256, 256, 3, 1, d, d))
        self.conv7 = _conv_relu(256, 256)
        self.conv8 = _conv_relu(256, 256)
        self.deconv1 = nn.Sequential(nn.ConvTranspose2d(256, 128, 4, 2, 1), *_deconv())
        self.conv9 = _conv_relu(128, 128)
        self.deconv2 = nn.Sequential(nn.ConvTranspose2d(128, 64, 4, 2, 1), *_deconv())
        self.conv10 = _conv_relu(64, 32)
        self.outframe1 = _conv_relu(256, 3)
        self.outframe2 = _conv_relu(128, 3)
        self.output = nn.Sequential(nn.Conv2d(32, 3, 3, 1, 1))

    def forward(self, x):
        b, _, rows, cols = x.shape
        mask = torch.ones(b, 1, rows, cols) / 2.0
        h = torch.zeros(b, 32, rows, cols)
        c = torch.zeros(b, 32, rows, cols)
        masks = []
        for _ in range(STEPS):
            y = self.det_conv0(torch.cat((x, mask), 1))
            for k in range(1, 6):
                y = F.relu(getattr(self, f"det_conv{k}")(y) + y)
            y = torch.cat((y, h), 1)
            i, f, g, o = self.conv_i(y), self.conv_f(y), self.conv_g(y), self.conv_o(y)
            c = f * c + i * g
            h = o * torch.tanh(c)
            mask = self.det_conv_mask(h)
            masks.append(mask)
        y = self.conv1(torch.cat((x, mask), 1))
        res1 = y
        y = self.conv3(self.conv2(y))
        res2 = y
        for name in ("conv4", "conv5", "conv6", "diconv1", "diconv2", "diconv3", "diconv4"):
            y = getattr(self, name)(y)
        y = self.conv8(self.conv7(y))
        frame1 = self.outframe1(y)
        y = self.conv9(self.deconv1(y) + res2)
        frame2 = self.outframe2(y)
        y = self.conv10(self.deconv2(y) + res1)
        return masks, frame1, frame2, self.output(y)


class OriginalDiscriminator(nn.Module):
    """Returns (attention map, sigmoid probability). ``published=True`` keeps the duplicated
    ``conv7`` call of the released code (it crashes); False is the one-line fix. The released
    fully connected layer fits 224-px inputs only; ``input_size`` sizes it for another side (the
    smallest change that lets the original run at that size, for speed comparisons)."""

    def __init__(self, published: bool = False, input_size: int = 224) -> None:
        super().__init__()
        self.published = published
        widths = (3, 8, 16, 64, 128, 128, 128)
        for k in range(1, 7):
            setattr(self, f"conv{k}", _conv_relu(widths[k - 1], widths[k], 5, 1, 2))
        self.conv_mask = nn.Sequential(nn.Conv2d(128, 1, 5, 1, 2))
        self.conv7 = _conv_relu(128, 64, 5, 4, 1)
        self.conv8 = _conv_relu(64, 32, 5, 4, 1)
        side = ((input_size + 2 - 5) // 4 + 1 + 2 - 5) // 4 + 1  # after conv7 and conv8
        self.fc = nn.Sequential(nn.Linear(32 * side * side, 1024), nn.Linear(1024, 1), nn.Sigmoid())

    def forward(self, x):
        for k in range(1, 7):
            x = getattr(self, f"conv{k}")(x)
        mask = self.conv_mask(x)
        x = self.conv7(x * mask)
        if self.published:
            x = self.conv7(x)
        x = self.conv8(x)
        return mask, self.fc(x.view(x.size(0), -1))

"""The pix2pix networks written in the ORIGINAL's module layout and semantics, for parity tests.

Written for these tests from the description in shared/reference/architectures.md and the public
structure of junyanz/pytorch-CycleGAN-and-pix2pix (``UnetSkipConnectionBlock``,
``NLayerDiscriminator``): nested ``model`` Sequentials with the original key names, in-place
activations included (they change what the U-Net's skips carry), inputs in [-1, 1].
"""

from __future__ import annotations

import torch
from torch import nn


class OriginalUnetBlock(nn.Module):
    def __init__(self, outer, inner, input_nc=None, sub=None, outermost=False, innermost=False,
                 dropout=False):  # fmt: skip
        super().__init__()
        self.outermost = outermost
        input_nc = input_nc or outer
        downconv = nn.Conv2d(input_nc, inner, 4, 2, 1, bias=False)
        if outermost:
            seq = [downconv, sub, nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1),
                   nn.Tanh()]  # fmt: skip
        elif innermost:
            upconv = nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False)
            seq = [nn.LeakyReLU(0.2, True), downconv, nn.ReLU(True), upconv, nn.BatchNorm2d(outer)]
        else:
            seq = [nn.LeakyReLU(0.2, True), downconv, nn.BatchNorm2d(inner), sub, nn.ReLU(True),
                   nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=False),
                   nn.BatchNorm2d(outer)]  # fmt: skip
            if dropout:
                seq.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)  # x was changed in place by the LeakyReLU


class OriginalUnet(nn.Module):
    def __init__(self, num_downs=8, ngf=64, dropout=True):
        super().__init__()
        block = OriginalUnetBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):
            block = OriginalUnetBlock(ngf * 8, ngf * 8, sub=block, dropout=dropout)
        block = OriginalUnetBlock(ngf * 4, ngf * 8, sub=block)
        block = OriginalUnetBlock(ngf * 2, ngf * 4, sub=block)
        block = OriginalUnetBlock(ngf, ngf * 2, sub=block)
        self.model = OriginalUnetBlock(3, ngf, input_nc=3, sub=block, outermost=True)

    def forward(self, x):
        return self.model(x)


class OriginalPatchGAN(nn.Module):
    def __init__(self, input_nc=6, ndf=64, n_layers=3):
        super().__init__()
        seq = [nn.Conv2d(input_nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2**n, 8)
            seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=False),
                    nn.BatchNorm2d(ndf * mult), nn.LeakyReLU(0.2, True)]  # fmt: skip
        prev, mult = mult, min(2**n_layers, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=False),
                nn.BatchNorm2d(ndf * mult), nn.LeakyReLU(0.2, True)]  # fmt: skip
        seq += [nn.Conv2d(ndf * mult, 1, 4, 1, 1)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)

"""One training step and one inference as each original code base takes them: the original
networks (this package's re-implementations in the authors' layout), eagerly, in float32, with
Adam at its defaults, written the way the authors' training loops are written.

pix2pix follows ``Pix2PixModel.optimize_parameters``; DeblurGAN its ``ConditionalGAN`` with five
critic updates, its one-interpolation-factor-per-batch gradient penalty and the VGG19 content
loss; the Attentive GAN authors released no training code, so its step is the paper's losses
written as plainly as their inference code (sigmoid probabilities, BGR images). Feature networks
(VGG) have random weights: the cost is that of the pretrained ones.

The measured configuration must be one the original can express (its networks at any width or
depth they take, the paper's loss terms); anything else has no original, said in one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn

from derainbench.benchmarks.originals.deblurgan import OriginalCritic, OriginalResnetGenerator
from derainbench.benchmarks.originals.deraindrop import OriginalDiscriminator, OriginalGenerator
from derainbench.benchmarks.originals.pix2pix import OriginalPatchGAN, OriginalUnet
from derainbench.config import ExperimentConfig

Work = Callable[[], object]


@dataclass
class OriginalWork:
    """The original's training step and inference at one size and batch, ready to time."""

    train_step: Work
    inference: Work
    generator: nn.Module


class NoOriginal(Exception):  # noqa: N818 - a reason, not a failure
    """The configuration is not one the original code can express (the message says why)."""


def _options(config: ExperimentConfig, section: str) -> dict:
    return dict(getattr(config, section).options)


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise NoOriginal(reason)


def _adam(module: nn.Module, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    return torch.optim.Adam(module.parameters(), lr=lr, betas=betas)  # the originals' defaults


def _inference(generator: nn.Module, x: Tensor, pick: Callable[[object], Tensor]) -> Work:
    def run() -> object:
        generator.eval()
        with torch.no_grad():
            return pick(generator(x))

    return run


def _pix2pix(config: ExperimentConfig, x: Tensor, y: Tensor) -> OriginalWork:
    g, d = _options(config, "generator"), _options(config, "discriminator")
    _require(g.get("norm") == "batch" and d.get("norm") == "batch", "pix2pix uses BatchNorm")
    terms = {t.name: t for t in config.terms}
    _require(set(terms) <= {"l1"}, "the pix2pix original has only the L1 term")
    generator = OriginalUnet(g["num_downs"], g["ngf"], g["dropout"]).to(x.device)
    inputs = 6 if d["conditional"] else 3
    discriminator = OriginalPatchGAN(inputs, d["ndf"], d["n_layers"]).to(x.device)
    lr, betas = config.optimizer.generator_lr, tuple(config.optimizer.betas)
    opt_g, opt_d = _adam(generator, lr, betas), _adam(discriminator, lr, betas)
    bce = nn.BCEWithLogitsLoss()
    real_a, real_b = x * 2 - 1, y * 2 - 1
    weight = terms["l1"].weight if "l1" in terms else 0.0

    def pair(image: Tensor) -> Tensor:
        return torch.cat((real_a, image), 1) if d["conditional"] else image

    def step() -> None:
        generator.train()
        fake_b = generator(real_a)
        for p in discriminator.parameters():
            p.requires_grad = True
        opt_d.zero_grad()
        pred_fake = discriminator(pair(fake_b).detach())
        pred_real = discriminator(pair(real_b))
        loss_d = (
            bce(pred_fake, torch.zeros_like(pred_fake)) + bce(pred_real, torch.ones_like(pred_real))
        ) * 0.5
        loss_d.backward()
        opt_d.step()
        for p in discriminator.parameters():
            p.requires_grad = False
        opt_g.zero_grad()
        pred_fake = discriminator(pair(fake_b))
        loss_g = bce(pred_fake, torch.ones_like(pred_fake)) + F.l1_loss(fake_b, real_b) * weight
        loss_g.backward()
        opt_g.step()

    return OriginalWork(step, _inference(generator, real_a, lambda out: out), generator)


def _vgg(name: str, last: int, device: torch.device) -> nn.Module:
    network = getattr(torchvision.models, name)(weights=None).features[: last + 1]
    return network.to(device).eval()


def _deblurgan(config: ExperimentConfig, x: Tensor, y: Tensor) -> OriginalWork:
    g, d = _options(config, "generator"), _options(config, "discriminator")
    _require(g.get("norm") == "instance", "DeblurGAN's generator uses InstanceNorm")
    terms = {t.name: t for t in config.terms}
    _require(set(terms) <= {"content"}, "the DeblurGAN original has only the content term")
    _require(
        [p.name for p in config.penalties] == ["gradient-penalty"],
        "DeblurGAN trains with the gradient penalty",
    )
    generator = OriginalResnetGenerator(
        g["ngf"], g["n_blocks"], g["dropout"], g["learn_residual"]
    ).to(x.device)
    critic = OriginalCritic(d["ndf"], d["n_layers"], d["padding"]).to(x.device)
    vgg = _vgg("vgg19", 14, x.device)  # conv3_3, before its ReLU, as the original
    lr, betas = config.optimizer.generator_lr, tuple(config.optimizer.betas)
    opt_g, opt_d = _adam(generator, lr, betas), _adam(critic, lr, betas)
    real_a, real_b = x * 2 - 1, y * 2 - 1
    content_weight = terms["content"].weight if "content" in terms else 0.0
    penalty_weight = config.penalties[0].weight
    critic_steps = config.train.d_steps

    def step() -> None:
        generator.train()
        fake_b = generator(real_a)
        for _ in range(critic_steps):
            opt_d.zero_grad()
            loss_d = critic(fake_b.detach()).mean() - critic(real_b).mean()
            alpha = torch.rand(1, 1, device=x.device).expand(real_b.size())
            interpolates = (alpha * real_b + (1 - alpha) * fake_b.detach()).requires_grad_(True)
            judged = critic(interpolates)
            (gradients,) = torch.autograd.grad(
                judged, interpolates, torch.ones_like(judged), create_graph=True, retain_graph=True
            )
            penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean() * penalty_weight
            (loss_d + penalty).backward(retain_graph=True)
            opt_d.step()
        opt_g.zero_grad()
        f_fake, f_real = vgg(fake_b), vgg(real_b).detach()
        loss_g = -critic(fake_b).mean() + content_weight * F.mse_loss(f_fake, f_real)
        loss_g.backward()
        opt_g.step()

    return OriginalWork(step, _inference(generator, real_a, lambda out: out), generator)


def _attentive(config: ExperimentConfig, x: Tensor, y: Tensor, mask: Tensor) -> OriginalWork:
    g, d = _options(config, "generator"), _options(config, "discriminator")
    _require(
        g.get("width") == 1.0 and g.get("recurrent_steps") == 4, "the original is 4 steps wide 1"
    )
    _require(g.get("recurrence") == "convlstm" and g.get("attention") == "raw", "ConvLSTM, raw")
    _require(d.get("width") == 1.0 and d.get("attention_map"), "the original's discriminator")
    terms = {t.name: t for t in config.terms}
    _require(
        set(terms) <= {"attention", "multiscale", "perceptual", "attention-map"},
        "the Attentive GAN original has the paper's four terms",
    )
    generator = OriginalGenerator().to(x.device)
    discriminator = OriginalDiscriminator(input_size=x.shape[-1]).to(x.device)
    vgg = _vgg("vgg16", 8, x.device)  # relu1_1 … relu2_2
    lr, betas = config.optimizer.generator_lr, tuple(config.optimizer.betas)
    opt_g, opt_d = _adam(generator, lr, betas), _adam(discriminator, lr, betas)
    bgr_x, bgr_y = x.flip(1), y.flip(1)
    theta = terms["attention"].options.get("theta", 0.8) if "attention" in terms else 0.8
    gamma = terms["attention-map"].weight if "attention-map" in terms else 0.0
    gan_weight = config.objective.generator_weight
    quarter, half = F.avg_pool2d(bgr_y, 4), F.avg_pool2d(bgr_y, 2)

    def perceptual(a: Tensor, b: Tensor) -> Tensor:
        loss, fa, fb = 0.0, a, b
        for index, layer in enumerate(vgg):
            fa, fb = layer(fa), layer(fb)
            if index in (1, 3, 6, 8):  # relu1_1, relu1_2, relu2_1, relu2_2
                loss = loss + F.mse_loss(fa, fb.detach()) / 4
        return loss

    def step() -> None:
        generator.train()
        masks, frame1, frame2, out = generator(bgr_x)
        opt_d.zero_grad()
        map_real, p_real = discriminator(bgr_y)
        map_fake, p_fake = discriminator(out.detach())
        loss_d = -torch.log(p_real).mean() - torch.log(1 - p_fake).mean()
        loss_d = loss_d + gamma * (
            F.mse_loss(map_fake, masks[-1].detach())
            + F.mse_loss(map_real, torch.zeros_like(map_real))
        )
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        _, p_fake = discriminator(out)
        steps = len(masks)
        loss_att = sum(theta ** (steps - 1 - t) * F.mse_loss(m, mask) for t, m in enumerate(masks))
        loss_ms = (
            0.6 * F.mse_loss(frame1, quarter) + 0.8 * F.mse_loss(frame2, half)
            + F.mse_loss(out, bgr_y)
        )  # fmt: skip
        loss_g = loss_att + loss_ms + perceptual(out, bgr_y)
        loss_g = loss_g + gan_weight * torch.log(1 - p_fake).mean()
        loss_g.backward()
        opt_g.step()

    return OriginalWork(step, _inference(generator, bgr_x, lambda out: out[-1]), generator)


def original_work(config: ExperimentConfig, x: Tensor, y: Tensor, mask: Tensor) -> OriginalWork:
    """The original code's step and inference for ``config`` on the batch (x, y, mask), or
    :class:`NoOriginal` saying why there is none."""
    key = (config.generator.name, config.discriminator.name, config.objective.name)
    if key == ("unet", "patchgan", "vanilla"):
        return _pix2pix(config, x, y)
    if key == ("resnet", "critic", "wgan"):
        return _deblurgan(config, x, y)
    if key[0] == "attentive" and key[1] in ("attentive", "attentive-faithful"):
        return _attentive(config, x, y, mask)
    raise NoOriginal(
        f"no original code trains generator '{key[0]}' with discriminator '{key[1]}' and "
        f"objective '{key[2]}'"
    )

"""One adversarial training step, for any generator × discriminator × objective × terms.

Read top to bottom: the generator restores the batch once; the discriminator then takes
``d_steps`` updates on the clean image and the (detached) restoration, with its own loss terms
and penalties; then, with the discriminator frozen, the generator learns from the adversarial
loss and its weighted loss terms. Nothing here looks at a model's name: what differs between
models is carried by their metadata (``conditional``, ``provides``) and the recipe.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from derainbench.contracts import Judgement, Restoration, discriminator_input
from derainbench.errors import DerainBenchError
from derainbench.losses.base import DISCRIMINATOR, GENERATOR, TermInputs
from derainbench.training.components import Components
from derainbench.training.precision import Precision


class NonFiniteLossError(DerainBenchError):
    """A loss became NaN or infinite; the run stops before the bad update is saved."""


class ContractError(DerainBenchError):
    """A component returned something other than what derainbench.contracts promises."""


def _name(network: nn.Module) -> str:
    """The network's class name, seen through a DistributedDataParallel wrapper."""
    return type(getattr(network, "module", network)).__name__


def restored(generator: nn.Module, rainy: Tensor) -> Restoration:
    """The generator's output, refused in one line unless it is a :class:`Restoration` of the
    input's shape (a plug-in returning a bare tensor is told what to return)."""
    out = generator(rainy)
    if not isinstance(out, Restoration):
        raise ContractError(
            f"generator {_name(generator)} returned a {type(out).__name__}, not a "
            f"derainbench.contracts.Restoration; wrap the image: Restoration(image=...)"
        )
    if out.image.shape != rainy.shape:
        raise ContractError(
            f"generator {_name(generator)} returned an image of shape "
            f"{tuple(out.image.shape)} for an input of shape {tuple(rainy.shape)}"
        )
    return out


def judged(discriminator: nn.Module, x: Tensor) -> Judgement:
    """The discriminator's output, refused in one line unless it is a :class:`Judgement`."""
    out = discriminator(x)
    if not isinstance(out, Judgement):
        raise ContractError(
            f"discriminator {_name(discriminator)} returned a {type(out).__name__}, not "
            f"a derainbench.contracts.Judgement; wrap the logits: Judgement(logits=...)"
        )
    return out


@dataclass
class Optimizers:
    """One optimizer per network (never shared: G and D have separate learning dynamics)."""

    generator: torch.optim.Optimizer
    discriminator: torch.optim.Optimizer | None


@dataclass
class StepSettings:
    """The recipe's choices for one step."""

    generator_adversarial_weight: float = 1.0
    discriminator_weight: float = 1.0
    #: Discriminator (critic) updates per generator update; DeblurGAN uses 5.
    d_steps: int = 1
    #: With several critic updates: restore the batch again before each one after the first
    #: (True), or reuse the first restoration for all of them, as DeblurGAN's original does.
    #: The batch itself is the same for every critic update either way.
    regenerate_fake: bool = False


def set_requires_grad(module: nn.Module, flag: bool) -> None:
    """Freeze or unfreeze every parameter of ``module``."""
    for parameter in module.parameters():
        parameter.requires_grad_(flag)


@contextlib.contextmanager
def batchnorm_statistics_frozen(module: nn.Module) -> Iterator[None]:
    """Run ``module`` in train mode without letting this batch update its BatchNorm statistics.

    The generator step shows the discriminator a fake-only batch; it must not shift the
    discriminator's running statistics (design note in losses.md).
    """
    # Point the layers at copies for the duration, then put the originals back: writing the old
    # values into the buffers in place would break the autograd graph that saved them.
    layers = [
        m
        for m in module.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats
    ]
    names = ("running_mean", "running_var", "num_batches_tracked")
    saved = [(m, [getattr(m, n) for n in names]) for m in layers]
    for m, tensors in saved:
        for name, tensor in zip(names, tensors, strict=True):
            setattr(m, name, tensor.clone())
    try:
        yield
    finally:
        for m, tensors in saved:
            for name, tensor in zip(names, tensors, strict=True):
                setattr(m, name, tensor)


@dataclass
class StepLosses:
    """A step's losses, kept on the device: reading them forces the host to wait for the
    device, so the loop reads them only at log, checkpoint and stop time."""

    #: What log.csv shows: the last critic update's discriminator losses, the generator's.
    logged: dict[str, Tensor] = field(default_factory=dict)
    #: Every loss the step computed (every critic update's), named, for the NaN guard.
    checked: list[tuple[str, Tensor]] = field(default_factory=list)

    def add(self, key: str, name: str, value: Tensor) -> Tensor:
        self.logged[key] = value.detach()
        self.checked.append((name, self.logged[key]))
        return value

    def as_floats(self) -> dict[str, float]:
        """The logged losses as numbers (one wait for the device)."""
        if not self.logged:
            return {}
        values = torch.stack([v.float() for v in self.logged.values()]).tolist()
        return dict(zip(self.logged, values, strict=True))


def first_non_finite(steps: list[tuple[int, StepLosses]]) -> NonFiniteLossError | None:
    """The first loss that became NaN or infinite over several steps, as the error to raise;
    None when all are finite. One wait for the device for all of them."""
    named = [(step, name, value) for step, losses in steps for name, value in losses.checked]
    if not named:
        return None
    values = torch.stack([value.float() for _, _, value in named])
    finite = torch.isfinite(values)
    if bool(finite.all()):
        return None
    index = int((~finite).nonzero()[0])
    step, name, _ = named[index]
    return NonFiniteLossError(f"loss '{name}' became {values[index].item()} at step {step}")


def _detached(restoration: Restoration) -> Restoration:
    return Restoration(
        image=restoration.image.detach(),
        attention=[a.detach() for a in restoration.attention] if restoration.attention else None,
        pyramid=[p.detach() for p in restoration.pyramid] if restoration.pyramid else None,
    )


def _split(judgement: Judgement) -> tuple[Judgement, Judgement]:
    """The real and the fake half of one judgement of cat(real, fake)."""
    logits = judgement.logits.chunk(2)
    maps = judgement.attention.chunk(2) if judgement.attention is not None else (None, None)
    return Judgement(logits[0], maps[0]), Judgement(logits[1], maps[1])


def discriminator_update(
    parts: Components,
    settings: StepSettings,
    precision: Precision,
    optimizer: torch.optim.Optimizer,
    rainy: Tensor,
    clean: Tensor,
    restoration: Restoration,
    mask: Tensor | None,
    losses: StepLosses,
) -> None:
    """One discriminator update: objective, discriminator-side terms, penalties (float32)."""
    discriminator = parts.discriminator
    assert discriminator is not None
    restoration = _detached(restoration)
    real_input = discriminator_input(discriminator, rainy, clean)
    fake_input = discriminator_input(discriminator, rainy, restoration.image)
    updating = parts.updating_discriminator  # its DDP wrapper under torchrun
    assert updating is not None
    with precision.autocast():
        if parts.judges_pairs_together:
            real, fake = _split(judged(updating, torch.cat([real_input, fake_input])))
        else:
            real = judged(updating, real_input)
            fake = judged(updating, fake_input)
        # Terms run under the same autocast (a feature network in the reduced precision); every
        # loss value is taken in float32.
        inputs = TermInputs(rainy, clean, restoration, mask, judgement=fake, real_judgement=real)
        terms = [
            (term, term.weight * term.module(inputs).float())
            for term in parts.terms
            if term.module.player == DISCRIMINATOR
        ]
    adversarial = settings.discriminator_weight * parts.objective.discriminator_loss(
        real.logits.float(), fake.logits.float()
    )
    total = losses.add("d_adv", "discriminator", adversarial)
    for term, value in terms:
        total = total + losses.add(f"d_{term.name}", term.name, value)
    for penalty in parts.penalties:  # outside autocast: gradient norms need float32
        value = penalty.weight * penalty.module(discriminator, real_input, fake_input).float()
        total = total + losses.add(f"d_{penalty.name}", penalty.name, value)
    precision.update(total, optimizer, precision.discriminator_scaler)
    losses.logged["d"] = total.detach()


def train_step(
    parts: Components,
    optimizers: Optimizers,
    settings: StepSettings,
    precision: Precision,
    rainy: Tensor,
    clean: Tensor,
    step: int,
    mask: Tensor | None = None,
    adversarial: bool = True,
) -> StepLosses:
    """``d_steps`` discriminator updates then one generator update; the losses, on the device
    (nothing here waits for the device: see :class:`StepLosses`). Without ``adversarial`` (a
    warm-up step) the discriminator neither learns nor judges: the generator learns from its
    loss terms alone."""
    generator, discriminator = parts.generator, parts.discriminator
    losses = StepLosses()
    with precision.autocast():
        # The one forward whose backward updates the generator: through its DDP wrapper under
        # torchrun; every other call below uses the plain networks (training.distributed).
        restoration = restored(parts.updating_generator, rainy)

    # Discriminator: real pairs towards "real", the detached restoration towards "fake".
    if not adversarial:
        discriminator = None
    if discriminator is not None and optimizers.discriminator is not None:
        set_requires_grad(discriminator, True)
        for update in range(settings.d_steps):
            fake = restoration
            if update > 0 and settings.regenerate_fake:
                with torch.no_grad(), precision.autocast():
                    fake = restored(generator, rainy)
            # Each update's losses are checked; the last update's are the ones logged.
            discriminator_update(
                parts, settings, precision, optimizers.discriminator, rainy, clean, fake, mask,
                losses,
            )  # fmt: skip

    # Generator: fool the frozen discriminator, plus its weighted loss terms.
    judgement = None
    loss_g = rainy.new_zeros((), dtype=torch.float32)
    with precision.autocast():
        if discriminator is not None:
            set_requires_grad(discriminator, False)
            with batchnorm_statistics_frozen(discriminator):
                judgement = judged(
                    discriminator, discriminator_input(discriminator, rainy, restoration.image)
                )
        inputs = TermInputs(rainy, clean, restoration, mask=mask, judgement=judgement)
        terms = [
            (term, term.weight * term.module(inputs).float())
            for term in parts.terms
            if term.module.player == GENERATOR
        ]
    if judgement is not None:
        adversarial = settings.generator_adversarial_weight * parts.objective.generator_loss(
            judgement.logits.float()
        )
        loss_g = loss_g + losses.add("g_adv", "adversarial", adversarial)
    for term, value in terms:
        loss_g = loss_g + losses.add(f"g_{term.name}", term.name, value)
    precision.update(loss_g, optimizers.generator, precision.generator_scaler)
    losses.logged["g"] = loss_g.detach()
    return losses

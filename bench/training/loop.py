"""The training loop: data → steps → log, samples, checkpoints; resumable to the same end."""

from __future__ import annotations

import signal
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch.utils.data import DataLoader

from derainbench.config import ExperimentConfig, from_stored, with_later_defaults
from derainbench.contracts import count_parameters
from derainbench.devices import resolve_device
from derainbench.errors import DataError, DerainBenchError
from derainbench.seeding import seed_everything
from derainbench.training.acceleration import (
    acceleration,
    make_optimizers,
    place,
)
from derainbench.training.board import Board
from derainbench.training.checkpoint import existing_state, save_checkpoint
from derainbench.training.components import (
    build_components,
    build_test_set,
    build_training_set,
    build_validation_set,
)
from derainbench.training.distributed import (
    World,
    distribute,
    join,
    leave,
    lost_contact,
    restarted_by_torchrun,
)
from derainbench.training.ema import generator_average
from derainbench.training.feeding import (
    check_files,
    loader_workers,
    preview_batch,
    to_device,
    worker_error,
)
from derainbench.training.precision import Precision
from derainbench.training.resumed_config import continued
from derainbench.training.run_state import RunState
from derainbench.training.runfolder import LossLog, RunFolder
from derainbench.training.sampler import StepSampler
from derainbench.training.samples import save_sample_grid
from derainbench.training.schedule import lr_multiplier, with_warmup_rate
from derainbench.training.step import (
    NonFiniteLossError,
    StepLosses,
    StepSettings,
    first_non_finite,
    train_step,
)
from derainbench.training.stopping import StopNow, TrainingInterruptedError, stop_on_signals
from derainbench.training.validation import Validator


@dataclass
class TrainResult:
    """What a finished (or resumed and finished) run reports."""

    run: RunFolder
    config: ExperimentConfig
    config_hash: str
    steps: int
    train_seconds: float
    generator_parameters: int
    discriminator_parameters: int
    #: Processes that trained it (torchrun); only rank 0's result evaluates and records.
    ranks: int = 1
    main: bool = True


def step_settings(config: ExperimentConfig) -> StepSettings:
    """The recipe's choices for one training step."""
    return StepSettings(
        generator_adversarial_weight=config.objective.generator_weight,
        discriminator_weight=config.objective.discriminator_weight,
        d_steps=config.train.d_steps,
        regenerate_fake=config.train.regenerate_fake,
    )


def _stopped(
    signal_number: int | None, step: int, total: int, run: RunFolder
) -> TrainingInterruptedError:
    name = signal.Signals(signal_number or signal.SIGINT).name
    then = (
        f"continue with: derain-bench train --run-dir {run.root} --resume"
        if step < total
        else f"the run is complete: derain-bench eval {run.root}"
    )
    return TrainingInterruptedError(
        f"stopped by {name} after step {step} of {total}; checkpoint saved, {then}",
        signal_number or signal.SIGINT,
    )


def train(
    config: ExperimentConfig,
    run_dir: Path,
    resume: bool = False,
    console: Console | None = None,
) -> TrainResult:
    """Train ``config`` into ``run_dir``; with ``resume``, continue its checkpoint (see
    :func:`continued` for what may change). The folder is locked while this process trains.

    Under torchrun, every process calls this: they train together (training.distributed) and
    rank 0 alone writes the folder. A process of an attempt torchrun restarted after a failure
    (``--max-restarts``) resumes from the last checkpoint.
    """
    console = console or Console(stderr=True)
    world, device = join(resolve_device(config.run.device))
    resume = resume or restarted_by_torchrun()
    try:
        run = RunFolder(run_dir)
        if not world.main:
            world.barrier()  # rank 0 has prepared, locked and cleaned the folder
            return _train(config, run, resume, Console(quiet=True), 0, world, device)
        created = run.prepare()
        try:
            with run.locked():
                removed = run.remove_orphans()  # what an earlier kill left mid-write
                world.barrier()
                return _train(config, run, resume, console, len(removed), world, device)
        except DerainBenchError:
            run.remove_if_empty(created)  # refused before anything was written: leave no trace
            raise
    except (dist.DistError, RuntimeError) as error:
        if not (world.distributed and lost_contact(error)):
            raise
        raise DerainBenchError(
            f"process {world.rank} of {world.size}: another training process stopped; the last "
            f"checkpoint is kept (torchrun --max-restarts resumes from it)"
        ) from None
    finally:
        leave(world)


def _train(
    config: ExperimentConfig,
    run: RunFolder,
    resume: bool,
    console: Console,
    orphans: int,
    world: World,
    torch_device: torch.device,
) -> TrainResult:
    state = existing_state(run)
    if state is not None and not resume:
        raise DerainBenchError(
            f"{run.root} already holds a run (step {state['step']} of {state['total_steps']}); "
            f"pass --resume to continue it, or choose another --run-dir"
        )
    if state is None and not resume and run.config_path.is_file():
        raise DerainBenchError(
            f"{run.root} already holds a run configuration but no checkpoint; pass --resume to "
            f"start it from that configuration, or choose another --run-dir"
        )
    extended = False
    if state is not None:
        stored = with_later_defaults(from_stored(state["config"]))
        config = continued(stored, config, state["step"], run)
        extended = config.train.steps != stored.train.steps
    elif resume and run.config_path.is_file():  # stopped before its first checkpoint
        config = continued(with_later_defaults(run.read_config()), config, 0, run)
    config.train.check_trainable()
    local_batch = world.shard(config.train.batch_size)
    world.barrier()  # every rank has read the folder before rank 0 writes to it
    if orphans:
        console.print(f"removed {orphans} temporary checkpoint file(s) an interrupted write left")
    digest = config.hash
    total_steps, batch_size, seed = config.train.steps, config.train.batch_size, config.train.seed

    seed_everything(seed)
    train_set = build_training_set(config)
    preview_set = build_test_set(config) if config.data.test is not None else train_set
    validation_set = build_validation_set(config)
    parts = build_components(config, train_set.provides)
    if world.main:
        validating_set = [validation_set] if validation_set is not None else []
        check_files(console, train_set, preview_set, *validating_set)
    has_masks = "mask" in train_set.provides
    descriptions = (t.module.mask_description(has_masks) for t in parts.terms)
    masks = "; ".join(dict.fromkeys(d for d in descriptions if d))  # recorded with the run
    fast = acceleration(config, torch_device)
    distribute(parts, world, torch_device, config.run.sync_batchnorm)
    place(parts, torch_device, fast)
    optimizers = make_optimizers(parts, config, fast)
    multiplier = lr_multiplier(config.optimizer.schedule, total_steps, config.optimizer.decay_start)
    warmup_rate = config.optimizer.warmup_generator_lr or config.optimizer.generator_lr
    generator_multiplier = with_warmup_rate(
        multiplier, config.train.adversarial_start, warmup_rate / config.optimizer.generator_lr
    )
    schedulers = [torch.optim.lr_scheduler.LambdaLR(optimizers.generator, generator_multiplier)]
    if optimizers.discriminator is not None:
        schedulers.append(torch.optim.lr_scheduler.LambdaLR(optimizers.discriminator, multiplier))
    settings = step_settings(config)
    precision = Precision(fast.precision, torch_device)
    # The average and the validation scores live on rank 0, which alone saves them.
    average = generator_average(parts.generator, config.train.ema_decay) if world.main else None
    validator = None
    if validation_set is not None and world.main:
        validator = Validator.create(
            validation_set, config.eval.protocol, config.run.best, run.validation_path, console
        )

    snapshot = RunState(
        config, parts, optimizers, schedulers, precision, average, validator, fast, world.size,
        masks, torch_device,
    )  # fmt: skip
    start_step, train_seconds = 0, 0.0
    if state is not None:
        start_step, train_seconds = snapshot.restore(state, run.checkpoint_path)
        console.print(f"resuming {run.run_id} at step {start_step} of {total_steps}")
        if extended and world.main:
            run.write_config(config)
            console.print(
                f"extended to {total_steps} steps: the learning-rate schedule now runs over "
                f"{total_steps} steps"
            )
    elif world.main:
        run.write_config(config)
        for stale in (run.validation_path, run.best_checkpoint_path):
            stale.unlink(missing_ok=True)  # a fresh run in a folder reused after a refusal

    def checkpoint(step: int) -> None:
        if world.main:
            save_checkpoint(snapshot.full_record(step, train_seconds), run.checkpoint_path)

    def validate(step: int) -> None:
        """Score the generator (and its average) on the validation data; keep the best."""
        assert validator is not None
        start = time.perf_counter()
        scores = validator.score(parts.generator)
        if average is not None:
            scores |= validator.score(average.module, prefix="ema_")
        improved = validator.record(step, scores, round(time.perf_counter() - start, 2))
        board.scalars(scores, step, "validation")
        if improved:
            save_checkpoint(snapshot.best_record(step, train_seconds), run.best_checkpoint_path)

    sampler = StepSampler(
        len(train_set), batch_size, seed, start_step, total_steps, world.rank, world.size
    )
    workers = loader_workers(config.run.workers, torch_device)
    # Data rendered on the fly (SynthDrop) is rendered on the GPU, in this process: a GPU renders
    # many times faster than loader workers could on the CPU.
    gpu = torch_device.type == "cuda" and config.run.workers == "auto"
    if gpu and train_set.render_on(torch_device):
        workers = 0
    loader = DataLoader(
        train_set,
        batch_size=local_batch,
        sampler=sampler,
        num_workers=workers,
        pin_memory=torch_device.type == "cuda",
        # Its own generator: creating the iterator must not draw from the global RNG, which a
        # resumed run restores from the checkpoint (dropout draws from it).
        generator=torch.Generator().manual_seed(seed),
    )
    if world.main:
        preview_rainy, preview_clean = (t.to(torch_device) for t in preview_batch(preview_set))
        log = LossLog(run.log_path, start_step)
    board = Board(run.tensorboard_dir, config.run.tensorboard and world.main, start_step)
    step = start_step
    progress = Progress(
        TextColumn("[bold]train[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[losses]}"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    every = config.run
    pending: list[tuple[int, StepLosses]] = []  # losses not yet checked for NaN (on the device)

    def verified() -> None:
        """Raise if a loss since the last check became NaN or infinite (before anything of
        those steps is saved: the last checkpoint on disk stays the last good state), on
        every rank when it happened on any."""
        error = first_non_finite(pending)
        pending.clear()
        if world.any(error is not None):
            raise error or NonFiniteLossError(
                f"a loss became NaN or infinite in another process by step {step}"
            )

    shown = ""
    with stop_on_signals() as stop:
        try:
            with progress:
                task = progress.add_task(
                    "train", total=total_steps, completed=start_step, losses=""
                )
                tick = time.perf_counter()
                for batch in loader:
                    rainy = to_device(batch["rainy"], torch_device, fast)
                    clean = to_device(batch["clean"], torch_device, fast)
                    mask = to_device(batch["mask"], torch_device, fast) if "mask" in batch else None
                    lr = optimizers.generator.param_groups[0]["lr"]  # the rate this step uses
                    losses = train_step(
                        parts, optimizers, settings, precision, rainy, clean, step + 1, mask,
                        adversarial=step >= config.train.adversarial_start,
                    )  # fmt: skip
                    pending.append((step + 1, losses))
                    with warnings.catch_warnings():
                        # The rate follows the step count: during a warm-up the waiting
                        # discriminator's schedule advances without updates, as intended.
                        warnings.filterwarnings("ignore", message="Detected call of `lr_sched")
                        for scheduler in schedulers:
                            scheduler.step()
                    step += 1
                    now = time.perf_counter()
                    train_seconds += now - tick
                    tick = now
                    last = step == total_steps
                    stopping = world.any(stop.requested)  # a signal may reach one rank only
                    saving = step % every.checkpoint_every == 0 or last or stopping
                    if average is not None:
                        average.update(parts.generator, step)
                    # Decided alike on every rank (rank 0 alone validates; all agree on NaNs).
                    validation_due = validation_set is not None and (
                        step % every.validate_every == 0 or last
                    )
                    validating = validator is not None and validation_due
                    if step % every.log_every == 0 or last or saving or validation_due:
                        verified()  # the one wait for the device, every log_every steps
                        values = losses.as_floats()
                        shown = "  ".join(f"{k} {v:.3f}" for k, v in values.items())
                        if (step % every.log_every == 0 or last) and world.main:
                            log.append({"step": step, "lr": lr, **values, "seconds": train_seconds})
                            board.scalars({**values, "lr": lr}, step, "train")
                    if validating:
                        validate(step)
                    progress.update(task, completed=step, losses=shown)
                    if not console.is_terminal and step % max(1, total_steps // 20) == 0:
                        # No live bar in a log file: a plain line every 5 % instead.
                        console.print(f"step {step}/{total_steps}  {shown}", highlight=False)
                    if (step % every.sample_every == 0 or last) and world.main:
                        grid = save_sample_grid(
                            parts.generator, preview_rainy, preview_clean, run.sample_path(step),
                            step,
                        )  # fmt: skip
                        board.image("samples", grid, step)
                    if saving:
                        checkpoint(step)
                    if stopping:
                        raise _stopped(stop.signal_number, step, total_steps, run)
                    tick = time.perf_counter()  # samples and checkpoints not counted
        except DataError as error:
            raise worker_error(error) from None
        except StopNow:
            raise TrainingInterruptedError(
                f"stopped at once during step {step + 1} of {total_steps}; the last checkpoint "
                f"is kept, continue with: derain-bench train --run-dir {run.root} --resume"
            ) from None
        except KeyboardInterrupt:  # raised outside a signal handler: the step had not begun
            if world.distributed:  # the other ranks are elsewhere: keep the last checkpoint
                raise
            verified()
            checkpoint(step)
            raise TrainingInterruptedError(
                f"interrupted at step {step} of {total_steps}; checkpoint saved, "
                f"continue with: derain-bench train --run-dir {run.root} --resume"
            ) from None
    board.close()
    if state is not None and start_step >= total_steps:
        console.print(f"{run.run_id} had already finished its {total_steps} steps")
    return TrainResult(
        run,
        config,
        digest,
        step,
        train_seconds,
        count_parameters(parts.generator),
        count_parameters(parts.discriminator),
        world.size,
        world.main,
    )

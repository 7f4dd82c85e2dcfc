"""Training on several processes with torch.distributed, as started by ``torchrun``.

torchrun sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK`` in every process it starts; with more
than one process, each trains a shard of every global batch and DistributedDataParallel
averages the gradients, so N ranks at global batch B take the same steps as one process at
batch B (exactly so for networks without BatchNorm, whose statistics are per rank unless
``run.sync_batchnorm``). Rank 0 alone writes the run folder and the leaderboard.

Two rules keep a GAN under DDP from hanging or failing:

- Only the forward whose backward updates a network goes through its DDP wrapper: the
  generator's restoration, the discriminator's judgement in its own update. The frozen
  discriminator in the generator update, a regenerated fake under ``no_grad``, penalties,
  validation and sample grids use the plain module, so DDP never waits for gradients that a
  frozen network does not produce.
- Every rank decides the same things at the same step: whether to stop (a signal reached one
  rank) and whether a loss became non-finite (on any rank) are agreed on with one collective.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from derainbench.errors import ConfigError
from derainbench.training.components import Components

#: torchrun sets this in the processes of a restarted attempt (``--max-restarts``).
RESTART_VARIABLE = "TORCHELASTIC_RESTART_COUNT"


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (one process: rank 0 of 1)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    #: A CPU (gloo) group for the per-step agreements, so that they never wait for a GPU.
    agreement_group: object | None = None

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        """Whether this process writes the run folder, logs and leaderboard rows."""
        return self.rank == 0

    def shard(self, global_batch: int) -> int:
        """This rank's share of a global batch (the same for every rank)."""
        if global_batch % self.size:
            raise ConfigError(
                f"train.batch_size={global_batch} cannot be split evenly over {self.size} "
                f"processes: choose a multiple of {self.size}"
            )
        return global_batch // self.size

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` holds on any rank (every rank gets the same answer)."""
        if not self.distributed:
            return flag
        value = torch.tensor([int(flag)], dtype=torch.int32)
        dist.all_reduce(value, op=dist.ReduceOp.MAX, group=self.agreement_group)
        return bool(value.item())

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier(group=self.agreement_group)


def environment_world_size() -> int:
    """The number of processes torchrun started (1 outside torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def restarted_by_torchrun() -> bool:
    """Whether this process belongs to an attempt torchrun restarted after a failure."""
    return int(os.environ.get(RESTART_VARIABLE, "0")) > 0


def join(device: torch.device) -> tuple[World, torch.device]:
    """Join the process group torchrun describes in the environment (a no-op outside torchrun),
    and the device this rank trains on: its own GPU (``LOCAL_RANK``) on CUDA, NCCL between
    GPUs, gloo between CPU processes."""
    size = environment_world_size()
    if size <= 1:
        return World(), device
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        timeout = dt.timedelta(minutes=30)
        store = _attempt_store(size, timeout)
        if store is None:
            dist.init_process_group(backend, timeout=timeout)
        else:
            dist.init_process_group(
                backend, store=store, rank=rank, world_size=size, timeout=timeout
            )
    group = dist.new_group(backend="gloo") if dist.get_backend() != "gloo" else None
    return World(rank, dist.get_world_size(), local_rank, group), device


def _attempt_store(size: int, timeout: dt.timedelta) -> dist.Store | None:
    """The key-value store of a restarted attempt, under keys of its own (None otherwise).

    torchrun's agent keeps one store for all attempts, and the processes of a failed attempt
    leave their addresses in it under the same keys a new attempt uses: a new process that read
    them would dial a process that is gone (gloo: "Connection refused") and the restart would
    fail. A prefix naming the attempt keeps the attempts apart."""
    restart = int(os.environ.get(RESTART_VARIABLE, "0"))
    if restart == 0 or os.environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True":
        return None
    store = dist.TCPStore(
        os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), size, is_master=False,
        timeout=timeout,
    )  # fmt: skip
    return dist.PrefixStore(f"derainbench-attempt-{restart}", store)


def lost_contact(error: BaseException) -> bool:
    """Whether ``error`` says that another process of the group went away (it was killed, or
    failed): a collective's peer closed its connection or timed out."""
    if isinstance(error, dist.DistError):
        return True
    text = str(error)
    return any(sign in text for sign in ("Connection reset", "Connection closed", "gloo", "NCCL"))


def leave(world: World) -> None:
    """Leave the process group (after the last collective of the run)."""
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()


def with_synced_batchnorm(network: nn.Module, world: World, device: torch.device) -> nn.Module:
    """``network`` with its BatchNorm layers computing statistics over the global batch."""
    if not world.distributed:
        return network
    if device.type != "cuda":
        raise ConfigError("run.sync_batchnorm needs CUDA GPUs (torch's SyncBatchNorm)")
    return nn.SyncBatchNorm.convert_sync_batchnorm(network)


def data_parallel(
    network: nn.Module, world: World, device: torch.device, needed: frozenset[str]
) -> nn.Module:
    """The module whose forward, once per update, lets DDP average that update's gradients;
    the network itself outside torchrun.

    ``needed``: the auxiliary outputs the run's loss terms read. When the network provides one
    that no term reads (the attentive generator's side outputs with the multi-scale term
    dropped), the layers behind it get no gradient, which plain DDP would wait for forever:
    DDP is then told to look for unused parameters (one more walk of the graph per update).
    """
    if not world.distributed:
        return network
    ids = [device.index] if device.type == "cuda" else None
    unused = bool(frozenset(getattr(network, "provides", ())) - needed)
    return DistributedDataParallel(network, device_ids=ids, find_unused_parameters=unused)


def distribute(parts: Components, world: World, device: torch.device, sync_bn: bool) -> None:
    """Under torchrun: BatchNorm over the global batch when asked, and DDP wrappers for the
    forward passes of the updates (the networks themselves stay the plain modules)."""
    if not world.distributed:
        return
    if sync_bn:
        parts.generator = with_synced_batchnorm(parts.generator, world, device)
        if parts.discriminator is not None:
            parts.discriminator = with_synced_batchnorm(parts.discriminator, world, device)
    needed = frozenset().union(*(term.module.needs for term in parts.terms))
    parts.generator_update = data_parallel(parts.generator, world, device, needed)
    if parts.discriminator is not None:
        parts.discriminator_update = data_parallel(parts.discriminator, world, device, needed)

"""Process-group setup for single-process and `torchrun` training.

A run is distributed when torchrun's environment says WORLD_SIZE > 1 (RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT
set). The backend is NCCL when the training device is CUDA and gloo otherwise. With CUDA each process takes the
GPU LOCAL_RANK (modulo the GPUs present). Losses are computed per rank on the local batch; DDP averages gradients.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    """rank / world_size / local_rank of this process; ``initialized_here`` when we created the process group."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    initialized_here: bool = False

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {text!r}") from None


def resolve_device(choice: str, local_rank: int = 0) -> torch.device:
    """'auto' -> CUDA (GPU local_rank) when present, else CPU; 'cuda' fails clearly when no GPU is present."""
    if choice not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {choice!r}")
    if choice == "cpu" or (choice == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError("device cuda was asked for but no CUDA GPU is available (use --device auto or cpu)")
    return torch.device("cuda", local_rank % torch.cuda.device_count())


def setup_distributed(device_choice: str, timeout_s: float) -> tuple[DistInfo, torch.device]:
    """Join (or create) the process group that torchrun describes; returns the info and this rank's device."""
    world = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    local_rank = _env_int("LOCAL_RANK", 0)
    device = resolve_device(device_choice, local_rank)
    if world <= 1:
        return DistInfo(), device
    if not dist.is_available():
        raise ValueError("WORLD_SIZE > 1 but this torch build has no torch.distributed support")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if dist.is_initialized():
        if dist.get_world_size() != world or dist.get_rank() != rank:
            raise ValueError("an existing process group disagrees with RANK/WORLD_SIZE in the environment")
        return DistInfo(rank, world, local_rank, False), device
    backend = "nccl" if device.type == "cuda" else "gloo"
    kwargs = {"device_id": device} if device.type == "cuda" else {}
    dist.init_process_group(backend=backend, timeout=timedelta(seconds=float(timeout_s)), **kwargs)
    return DistInfo(dist.get_rank(), dist.get_world_size(), local_rank, True), device


def teardown_distributed(info: DistInfo) -> None:
    if info.initialized_here and dist.is_initialized():
        dist.destroy_process_group()


def barrier(info: DistInfo, device: torch.device) -> None:
    if info.distributed:
        if device.type == "cuda":
            dist.barrier(device_ids=[device.index])
        else:
            dist.barrier()


def any_rank_flags(flags: list[bool], info: DistInfo, device: torch.device) -> list[bool]:
    """Element-wise OR of boolean flags over all ranks (one small all-reduce; the flags themselves alone)."""
    if not info.distributed:
        return list(flags)
    t = torch.tensor([1 if f else 0 for f in flags], dtype=torch.int32, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def broadcast_object(obj: object, info: DistInfo, device: torch.device) -> object:
    """``obj`` from rank 0 on every rank (pickled; small objects only: error messages, flags)."""
    if not info.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0, device=device if device.type == "cuda" else None)
    return box[0]

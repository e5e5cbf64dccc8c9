"""One SMILE-VLM optimisation step (Eq. 10) and what it needs: the forward DDP sees, parameter freezing, autocast.

``train_step(step_module, views, text_features, optimizer, weights, augment, generator, ...)`` for a batch of B
samples with N rendered views (uint8 (B, N, 3, S, S)): two independent augmentations va, vb and the clean views go
through the shared encoder as one batch of 3B samples (:class:`StepForward`), giving za, zb, z_views (N, B, D),
the fused z_fused (B, D) and the projected text z_text (B, D); the loss is core.losses.smile_vlm_loss
(alpha mv_bt + beta vl_align + gamma red_min). Used by pretraining (core.train.pretraining), the benchmark's fold
training (core.eval.training) and benchmarks/bench_training.py.
"""

from __future__ import annotations

import os

import torch
from torch import nn

from core.losses import LossWeights, smile_vlm_loss
from core.model.smile_vlm import SmileVLM
from core.train.augment import AugmentConfig, augment_views


class StepForward(nn.Module):
    """The one forward DDP sees per step: all three view sets through the encoder, then fusion and text.

    Host memory (CPU training): PyTorch's CPU allocator has no cache, it calls malloc/free for every tensor. glibc
    serves blocks above its mmap threshold (at most 32 MiB when left to adapt) with a fresh mmap that free() hands
    back to the kernel, and trims the heap top above 64 MiB. The 3B-sample encoder batch of a step has several
    such tensors (at 32 x 3 views of 112 px: the normalised input, 43 MiB, and the stem's activations and their
    gradients, 58 MiB each), so every step page-faulted 0.4-0.8 GiB of zeroed pages back in (110-200k minor
    faults; the step took 2.9-3.1 s of CPU time on one thread instead of 2.1 s, 3.3-3.5x a CE step instead of
    2.7x), while the CE baseline's 3x smaller tensors stayed under the threshold. :meth:`tune_host_allocator`,
    called by :func:`train_step` for CPU views, raises both thresholds once per process so that, after the first
    few steps have grown the heap, each step reuses it (benchmarks/bench_training.py prints the faults per step).
    """

    #: glibc mallopt settings of tune_host_allocator: blocks up to 1 GiB come from the heap, and freed memory at
    #: its top is kept up to 2 GiB (the process's RSS stays near the step's peak, as with CUDA's caching allocator).
    HOST_MMAP_THRESHOLD = 1 << 30
    HOST_TRIM_THRESHOLD = (1 << 31) - 1
    _host_allocator_tuned: bool | None = None

    def __init__(self, model: SmileVLM, with_text: bool) -> None:
        super().__init__()
        self.model = model
        self.with_text = with_text

    @classmethod
    def tune_host_allocator(cls) -> bool:
        """Once per process, on Linux with glibc: mallopt(M_MMAP_THRESHOLD, 1 GiB) and mallopt(M_TRIM_THRESHOLD,
        2 GiB), so that large CPU tensors freed at the end of a step are reused by the next one instead of being
        unmapped and page-faulted in again. Skipped when the user set the malloc thresholds (MALLOC_MMAP_THRESHOLD_,
        MALLOC_TRIM_THRESHOLD_ or glibc.malloc tunables in GLIBC_TUNABLES) and on other platforms/allocators.
        Numerics are unaffected (PyTorch aligns CPU tensors to 64 bytes either way). Returns whether it is in
        effect."""
        if cls._host_allocator_tuned is not None:
            return cls._host_allocator_tuned
        tuned = False
        try:
            import ctypes
            import platform
            import sys

            user_set = (
                "MALLOC_MMAP_THRESHOLD_" in os.environ
                or "MALLOC_TRIM_THRESHOLD_" in os.environ
                or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", "")
            )
            if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc" and not user_set:
                libc = ctypes.CDLL(None)
                m_trim_threshold, m_mmap_threshold = -1, -3  # glibc malloc.h
                tuned = bool(libc.mallopt(m_mmap_threshold, cls.HOST_MMAP_THRESHOLD)) and bool(
                    libc.mallopt(m_trim_threshold, cls.HOST_TRIM_THRESHOLD)
                )
        except (OSError, AttributeError, ValueError):
            tuned = False
        cls._host_allocator_tuned = tuned
        return tuned

    def forward(
        self, va: torch.Tensor, vb: torch.Tensor, clean: torch.Tensor, text: torch.Tensor | None
    ) -> tuple[torch.Tensor, ...]:
        batch = va.shape[0]
        if not self.with_text:
            z = self.model.encode_views(torch.cat([va, vb], dim=0))  # (N, 2B, D)
            za, zb = z.split(batch, dim=1)
            return za, zb
        z = self.model.encode_views(torch.cat([va, vb, clean], dim=0))  # (N, 3B, D)
        za, zb, z_views = z.split(batch, dim=1)
        z_fused, _ = self.model.fuse(z_views)
        return za, zb, z_views, z_fused, self.model.project_text(text)


def freeze_unused(forward: StepForward, n_views: int, size: int, text_dim: int, device: torch.device) -> list[str]:
    """Freeze (requires_grad False) the parameters the step's outputs do not depend on; returns their names.

    Found with one tiny forward/backward in eval mode (BatchNorm running statistics untouched, no RNG drawn).
    """
    was_training = forward.training
    forward.eval()
    views = torch.zeros(2, n_views, 3, size, size, dtype=torch.uint8, device=device)
    text = torch.zeros(2, text_dim, device=device) if forward.with_text else None
    named = [(n, p) for n, p in forward.named_parameters() if p.requires_grad]
    with torch.enable_grad():
        outputs = forward(views, views, views, text)
        total = sum(o.float().sum() for o in outputs)
        grads = torch.autograd.grad(total, [p for _, p in named], allow_unused=True)
    forward.train(was_training)
    frozen = []
    for (name, p), g in zip(named, grads):
        if g is None:
            p.requires_grad_(False)
            frozen.append(name)
    return frozen


def autocast_dtype(amp: str, device: torch.device) -> torch.dtype | None:
    if amp == "off":
        return None
    if device.type == "cuda":
        if amp == "fp16" or (amp == "auto" and not torch.cuda.is_bf16_supported()):
            return torch.float16
        return torch.bfloat16
    if amp == "fp16":
        raise ValueError("amp fp16 needs a CUDA device (use --device cuda, or amp bf16/off on the CPU)")
    return torch.bfloat16 if amp == "bf16" else None


def train_step(
    step_module: nn.Module,
    views: torch.Tensor,
    text_features: torch.Tensor | None,
    optimizer: torch.optim.Optimizer,
    weights: LossWeights,
    augment: AugmentConfig,
    generator: torch.Generator,
    amp_dtype: torch.dtype | None = None,
    scaler: torch.amp.GradScaler | None = None,
    classes: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """One SMILE-VLM optimisation step; returns the detached total loss and terms (no host sync).

    views: uint8 (B, N, 3, S, S) on the training device; text_features: (B, text_dim) frozen features of the drawn
    prompts, or None for the language-free setting; step_module: a :class:`StepForward` (or its DDP wrapper);
    generator: on the views' device, draws both augmentations. amp_dtype enables torch.autocast; scaler scales
    fp16 gradients; classes (B,): each sample's prompt class (used by the class-aware InfoNCE only).
    CPU views: the first call tunes glibc's malloc for the step's large tensors (StepForward.tune_host_allocator).
    """
    if views.device.type == "cpu":
        StepForward.tune_host_allocator()
    va = augment_views(views, generator, augment)
    vb = augment_views(views, generator, augment)
    with torch.autocast(views.device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
        outputs = step_module(va, vb, views, text_features)
    outputs = [o.float() for o in outputs]
    if text_features is None:
        loss, terms = smile_vlm_loss(outputs[0], outputs[1], None, None, None, weights)  # type: ignore[arg-type]
    else:
        loss, terms = smile_vlm_loss(*outputs, weights, classes=classes)
    backward_and_step(loss, optimizer, scaler)
    return loss.detach(), {k: v.detach() for k, v in terms.items()}


def backward_and_step(loss: torch.Tensor, optimizer: torch.optim.Optimizer,
                      scaler: torch.amp.GradScaler | None = None) -> None:
    """Zero the gradients, back-propagate ``loss`` and take one optimiser step (through ``scaler`` for fp16)."""
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()


def preload_torch_dynamo() -> None:
    """Import torch._dynamo (and with it triton's bundled LLVM) before any offscreen render.

    torch.optim imports torch._dynamo lazily when the first optimizer is built. If VTK has already created a
    Mesa (llvmpipe) EGL context in this process by then, importing triton's LLVM segfaults (seen with torch 2.14
    / triton 3.8 and Mesa's libLLVM); in the other order both work. Rendering missing views happens before the
    optimizer is built, hence this import first.
    """
    import torch._dynamo  # noqa: F401

"""SMILE-VLM checkpoints: atomic save, safe (weights_only) load, and refusal of anything that is not ours.

A checkpoint is one torch.save'd dict:
    format "smile-vlm-checkpoint", version 1, model_config (ModelConfig.to_dict()), model (state_dict),
    optimizer (state_dict or None), epoch (int), step (int), rng (dict or None), config (dict: the run's settings,
    e.g. "render", "loss", "prompts"), extra (dict).
Only tensors, dicts, lists, tuples, strings, numbers, booleans and None are stored, so torch.load(weights_only=True)
can read it; numpy arrays/scalars are converted to tensors/numbers and paths to strings on save. The frozen text
encoder is never stored (it is not part of the model).

Before torch.load sees a file (:func:`check_archive`): it must be torch's zip format with every entry stored
uncompressed (as torch.save writes them; a compressed entry could inflate a small file to gigabytes), no entry and
not all of them together larger than MAX_CHECKPOINT_BYTES, and every entry's content must match the CRC-32 the zip
stores for it (torch.save records one per entry; torch.load does not verify them, so bit rot went unnoticed). After
loading, every floating-point weight must be finite. A file that needs Python objects beyond weights_only's is
refused plainly (torch's advice to load it with weights_only=False is not passed on: that would run its code). When
``last.ckpt`` is damaged, the message names the newest epoch_NNN.ckpt beside it that loads.
"""

from __future__ import annotations

import errno
import os
import pickle
import shutil
import random
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from core.config_io import give_default_mode
from core.model.config import ModelConfig

FORMAT = "smile-vlm-checkpoint"
VERSION = 1
#: The largest checkpoint entry, and all entries together, that is read (our models are a few MB; a 1 GB one would
#: be a different kind of model).
MAX_CHECKPOINT_BYTES = 2 << 30


class CheckpointError(ValueError):
    """A file is not a readable SMILE-VLM checkpoint; the message names the file and the reason."""

    def __init__(self, path: object, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint (tensors on ``map_location``)."""

    path: str
    model_config: ModelConfig
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict | None
    epoch: int
    step: int
    rng_state: dict | None
    config: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    version: int = VERSION

    @property
    def text_dim(self) -> int:
        """Input width of the stored text projection (the text encoder's feature dimension)."""
        return int(self.model_state["text_proj.weight"].shape[1])

    def build_model(self, device: str | torch.device = "cpu"):
        """A SmileVLM with this checkpoint's weights, in eval mode on ``device``."""
        from core.model.smile_vlm import SmileVLM

        model = SmileVLM(self.model_config, self.text_dim, load_weights=False)
        try:
            model.load_state_dict(self.model_state, strict=True)
        except RuntimeError as exc:
            raise CheckpointError(self.path, f"weights do not fit its model config ({exc})") from None
        return model.to(device).eval()


def _to_safe(obj: Any, where: str) -> Any:
    """Recursively convert to weights_only-loadable values; ValueError naming ``where`` for anything else."""
    if obj is None or isinstance(obj, (bool, int, float, str, torch.Tensor, torch.dtype, torch.device, torch.Size)):
        return obj
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, dict):
        return {_to_safe(k, where): _to_safe(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        items = [_to_safe(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else tuple(items)
    raise ValueError(f"cannot store {type(obj).__name__} at {where} in a checkpoint (not weights_only-loadable)")


def capture_rng_state() -> dict[str, Any]:
    """The RNG states of Python, numpy and torch (CPU and every CUDA device) as weights_only-safe values."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    py_version, py_internal, py_gauss = random.getstate()
    state: dict[str, Any] = {
        "python": {"version": py_version, "state": list(py_internal), "gauss": py_gauss},
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = list(torch.cuda.get_rng_state_all())
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Inverse of capture_rng_state (CUDA states are restored when the same number of devices is present)."""
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"]), py["gauss"]))
    npy = state["numpy"]
    keys = np.asarray(npy["keys"].cpu().numpy() if isinstance(npy["keys"], torch.Tensor) else npy["keys"], np.uint32)
    np.random.set_state((npy["kind"], keys, npy["pos"], npy["has_gauss"], npy["cached_gaussian"]))
    torch.set_rng_state(state["torch"].cpu())
    cuda = state.get("cuda")
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    model: nn.Module,
    model_config: ModelConfig,
    optimizer: torch.optim.Optimizer | None = None,
    epoch: int,
    step: int,
    rng_state: dict | None = None,
    config: dict,
    extra: dict | None = None,
) -> Path:
    """Write a checkpoint atomically (temp file in the same folder, fsync, os.replace); returns its path."""
    path = Path(path)
    if not isinstance(model_config, ModelConfig):
        raise ValueError(f"model_config must be a ModelConfig, got {type(model_config).__name__}")
    for name, value in (("epoch", epoch), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    if not isinstance(config, dict) or (extra is not None and not isinstance(extra, dict)):
        raise ValueError("config (and extra, when given) must be dicts")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "model_config": model_config.to_dict(),
        "model": state,
        "optimizer": _to_safe(optimizer.state_dict(), "optimizer") if optimizer is not None else None,
        "epoch": epoch,
        "step": step,
        "rng": _to_safe(rng_state, "rng_state"),
        "config": _to_safe(config, "config"),
        "extra": _to_safe(extra or {}, "extra"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            give_default_mode(f.fileno())  # mkstemp's files are private (0o600); a checkpoint is not
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # the final path named, not the temporary
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except RuntimeError:  # torch's writer reports a failed write as "[enforce fail at inline_container.cc ...]"
        Path(tmp).unlink(missing_ok=True)
        full = shutil.disk_usage(path.parent).free < (64 << 20)
        code = errno.ENOSPC if full else errno.EIO
        raise OSError(code, os.strerror(code), str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def _require(payload: dict, key: str, types: type | tuple[type, ...], path: Path) -> Any:
    if key not in payload:
        raise CheckpointError(path, f"damaged SMILE-VLM checkpoint: no {key!r} entry")
    value = payload[key]
    if not isinstance(value, types) or isinstance(value, bool) and types is int:
        raise CheckpointError(path, f"damaged SMILE-VLM checkpoint: {key!r} has type {type(value).__name__}")
    return value


def load_checkpoint(path: str | os.PathLike[str], map_location: str | torch.device = "cpu") -> Checkpoint:
    """Read a checkpoint with torch.load(weights_only=True); CheckpointError for anything that is not ours."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, "checkpoint file not found")
    if not path.is_file():
        raise CheckpointError(path, "not a file")
    try:
        check_archive(path)
        try:
            payload = torch.load(path, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError:
            raise CheckpointError(path, "refused: it holds Python objects other than weights and plain values, "
                                        "which a checkpoint of ours never does (loading them could run code)") from None
        except Exception as exc:  # RuntimeError (bad zip), EOFError, OSError, ... depending on damage
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(path, f"not a readable PyTorch checkpoint (damaged or truncated?): {reason}") from None
    except CheckpointError as exc:
        raise CheckpointError(path, exc.reason + _newest_good_hint(path)) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        hint = ""
        if isinstance(payload, dict) and payload and all(isinstance(v, torch.Tensor) for v in payload.values()):
            hint = " (it looks like a plain state_dict)"
        raise CheckpointError(path, f"not a SMILE-VLM checkpoint: no '{FORMAT}' format marker{hint}")
    version = payload.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(path, f"damaged SMILE-VLM checkpoint: bad version {version!r}")
    if version > VERSION:
        raise CheckpointError(path, f"checkpoint format version {version} is newer than this program's ({VERSION})")
    try:
        model_config = ModelConfig.from_dict(_require(payload, "model_config", dict, path), source="model_config")
    except ValueError as exc:
        raise CheckpointError(path, f"bad model config: {exc}") from None
    state = _require(payload, "model", dict, path)
    if not state or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise CheckpointError(path, "damaged SMILE-VLM checkpoint: 'model' is not a state_dict of tensors")
    if "text_proj.weight" not in state or state["text_proj.weight"].ndim != 2:
        raise CheckpointError(path, "damaged SMILE-VLM checkpoint: no text projection weights")
    bad = next((k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())), None)
    if bad is not None:
        raise CheckpointError(path, f"damaged SMILE-VLM checkpoint: weight {bad!r} holds NaN or inf"
                                    + _newest_good_hint(path))
    optimizer = payload.get("optimizer")
    if optimizer is not None and not isinstance(optimizer, dict):
        raise CheckpointError(path, "damaged SMILE-VLM checkpoint: 'optimizer' is not a state_dict")
    epoch = _require(payload, "epoch", int, path)
    step = _require(payload, "step", int, path)
    rng = payload.get("rng")
    if rng is not None and not isinstance(rng, dict):
        raise CheckpointError(path, "damaged SMILE-VLM checkpoint: 'rng' is not a dict")
    config = _require(payload, "config", dict, path)
    extra = payload.get("extra") or {}
    if not isinstance(extra, dict):
        raise CheckpointError(path, "damaged SMILE-VLM checkpoint: 'extra' is not a dict")
    return Checkpoint(str(path), model_config, state, optimizer, epoch, step, rng, config, extra, version)


def check_archive(path: Path) -> None:
    """CheckpointError unless ``path`` is a zip of stored (uncompressed) entries, none and not all together larger
    than MAX_CHECKPOINT_BYTES, each matching its stored CRC-32 (see the module docstring)."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if not entries:
                raise CheckpointError(path, "not a SMILE-VLM checkpoint: an empty archive")
            for info in entries:
                if info.compress_type != zipfile.ZIP_STORED:
                    raise CheckpointError(path, f"refused: entry {info.filename!r} is compressed (torch.save stores "
                                                f"entries uncompressed; a compressed one may inflate without bound)")
                if info.file_size > MAX_CHECKPOINT_BYTES:
                    raise CheckpointError(path, f"refused: entry {info.filename!r} of {info.file_size} bytes is "
                                                f"larger than {MAX_CHECKPOINT_BYTES} bytes")
            total = sum(info.file_size for info in entries)
            if total > MAX_CHECKPOINT_BYTES:
                raise CheckpointError(path, f"refused: {total} bytes of entries, more than {MAX_CHECKPOINT_BYTES}")
            bad = archive.testzip()  # reads every entry and compares it with its CRC-32
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise CheckpointError(path, f"not a readable PyTorch checkpoint (damaged or truncated?): {exc}") from None
    if bad is not None:
        raise CheckpointError(path, f"damaged checkpoint: the content of {bad!r} does not match its checksum "
                                    f"(bit rot or an incomplete copy)")


def _newest_good_hint(path: Path) -> str:
    """For a damaged RUN_DIR/last.ckpt: '; the newest readable checkpoint beside it is epoch_NNN.ckpt (epoch E)'."""
    if path.name != "last.ckpt":
        return ""
    for candidate in sorted(path.parent.glob("epoch_*.ckpt"), reverse=True):
        try:
            ckpt = load_checkpoint(candidate)
        except CheckpointError:
            continue
        return (f"; the newest readable checkpoint beside it is {candidate.name} (epoch {ckpt.epoch}, step "
                f"{ckpt.step}): copy it over {path.name} to resume from there")
    return ""

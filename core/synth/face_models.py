"""Choosing the face model a generator builds its subjects from: ``ict`` (the default: ICT Face Model Light,
face + head and neck, 100 identity modes, expressions as action units) or ``sfm`` (Surrey Face Model, a face
mask with six expression blendshapes)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from core.synth.config import FACE_MODELS

DEFAULT_FACE_MODEL = "ict"


def load_face_model(name: str = DEFAULT_FACE_MODEL, model_dir: str | os.PathLike[str] | None = None,
                    au_table: str | os.PathLike[str] | None = None) -> Any:
    """The generator-ready model ``name``: an IctFace (ICT files found by core.synth.ict_model, the AU table
    ``au_table`` or resources/action_units.json) or an SfmModel. ``model_dir``: the folder the user named
    (--face-model-dir). ModelFileError when the files are missing or corrupt, ValueError for a bad name."""
    if name == "ict":
        from core.synth.action_units import load_table
        from core.synth.ict_face import prepare_ict
        from core.synth.ict_model import find_and_load_ict

        return prepare_ict(find_and_load_ict(model_dir), load_table(au_table))
    if name == "sfm":
        from core.synth.model import find_and_load

        return find_and_load(model_dir)
    raise ValueError(f"unknown face model {name!r} (expected one of {', '.join(FACE_MODELS)})")


def face_model_name(model: Any) -> str:
    """"ict" for an IctFace, "sfm" for an SfmModel."""
    from core.synth.ict_face import IctFace

    return "ict" if isinstance(model, IctFace) else "sfm"


def baseline_template(model: Any, generator: str, config: Any) -> "np.ndarray":
    """(V, 3) template face of the calibration baseline (core.synth.baseline) for ``generator``'s captures:
    the SFM mean face, or the ICT mean face cut to the generator's field of view (no jitter)."""
    import numpy as np

    if face_model_name(model) == "sfm":
        return np.asarray(model.mean)
    from dataclasses import replace

    from core.synth.ict_face import crop, crop_mask

    fov = replace(config.field_of_view, jitter_mm=0.0)
    kept, _ = crop(model.faces, crop_mask(model.mean, model.tip, fov, np.random.default_rng(0)))
    return np.asarray(model.mean)[kept]

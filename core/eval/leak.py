"""Subject leaks: a benchmark must not start its fold models from a checkpoint trained on any of its test subjects.

A checkpoint written by ``smile-vlm pretrain`` or ``smile-vlm build-model`` records the subjects it was trained on
(extra["subjects"]: keys of core.datasets.subjects, "<data set>/<subject>" for real data,
"<data set>/<subject>@<face model>-seed<seed>" for synthetic data). Every row a benchmark tests on (each
experiment's rows, whose subjects rotate through the test folds, and the cross-data-set targets) is compared with
that list; a checkpoint without the record is refused too, since a leak could not be ruled out.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def check_no_subject_leak(path: Path, trained_on: object, test_rows: Iterable) -> None:
    """ValueError naming ``path`` when ``trained_on`` (the checkpoint's extra["subjects"]) is missing or shares a
    subject with ``test_rows``."""
    from core.datasets.subjects import subject_keys

    if not isinstance(trained_on, (list, tuple)) or not all(isinstance(k, str) for k in trained_on):
        raise ValueError(
            f"{path}: the checkpoint does not record which subjects it was trained on (made before 2026-12-02 or "
            "not by smile-vlm pretrain/build-model), so a subject leak into the test folds cannot be ruled out; "
            "retrain it with this version to use it as --init"
        )
    shared = sorted(set(trained_on) & set(subject_keys(test_rows)))
    if shared:
        listed = ", ".join(shared[:5]) + (f" and {len(shared) - 5} more" if len(shared) > 5 else "")
        raise ValueError(
            f"{path}: subject leak: the checkpoint was trained on {len(shared)} subject(s) this benchmark tests on "
            f"({listed}); use a checkpoint trained on other subjects"
        )

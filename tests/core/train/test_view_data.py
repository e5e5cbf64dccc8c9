import numpy as np
import pytest
import torch

from core.datasets import ManifestRow
from core.train.view_data import ViewDataset, collate_views, epoch_batches, steps_per_epoch


def test_epoch_batches_pure_function_of_seed_and_epoch():
    a = epoch_batches(50, 8, seed=1, epoch=3)
    assert a == epoch_batches(50, 8, seed=1, epoch=3)
    assert a != epoch_batches(50, 8, seed=1, epoch=4)
    assert a != epoch_batches(50, 8, seed=2, epoch=3)
    assert len(a) == steps_per_epoch(50, 8, 1) == 6 and all(len(b) == 8 for b in a)
    flat = [i for b in a for i in b]
    assert len(set(flat)) == len(flat)


def test_ranks_take_disjoint_shards():
    r0 = [i for b in epoch_batches(40, 4, 0, 0, rank=0, world=2) for i in b]
    r1 = [i for b in epoch_batches(40, 4, 0, 0, rank=1, world=2) for i in b]
    assert len(r0) == len(r1) == 20 and not set(r0) & set(r1)
    assert steps_per_epoch(40, 4, 2) == 5


def _rows(tmp_path, labels):
    return [ManifestRow(tmp_path / f"{i}.obj", f"S{i}", lab, None, "3d", 1, "t", "c") for i, lab in enumerate(labels)]


def test_dataset_items_and_collate(tmp_path):
    rows = _rows(tmp_path, ["happiness", "anger", "happiness"])
    store = {r.path: np.full((3, 16, 16, 3), i, np.uint8) for i, r in enumerate(rows)}
    ds = ViewDataset(rows, store.get, {"anger": 0, "happiness": 1}, n_views=3, size=16)
    views, label, subject = ds[1]
    assert views.shape == (3, 3, 16, 16) and views.dtype == torch.uint8 and int(views[0, 0, 0, 0]) == 1
    assert (label, subject) == (0, "S1")
    v, lab, subj = collate_views([ds[0], ds[2]])
    assert v.shape == (2, 3, 3, 16, 16) and lab.tolist() == [1, 1] and subj == ["S0", "S2"]


def test_dataset_errors_name_the_file(tmp_path):
    rows = _rows(tmp_path, ["happiness"])
    with pytest.raises(ValueError, match="anger|happiness"):
        ViewDataset(rows, lambda p: None, {"anger": 0}, 3, 16)
    ds = ViewDataset(rows, lambda p: None, {"happiness": 0}, 3, 16)
    with pytest.raises(ValueError, match="0.obj.*no rendered views"):
        ds[0]
    ds = ViewDataset(rows, lambda p: np.zeros((2, 16, 16, 3), np.uint8), {"happiness": 0}, 3, 16)
    with pytest.raises(ValueError, match="0.obj.*expected uint8"):
        ds[0]

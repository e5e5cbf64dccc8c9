import numpy as np
import pytest

from core.eval.folds import subject_folds


def _data(n_subjects=12, per_subject=6, classes=("x", "y", "z")):
    subjects, labels = [], []
    for s in range(n_subjects):
        for i in range(per_subject):
            subjects.append(f"S{s:02d}")
            labels.append(classes[i % len(classes)])
    return subjects, labels


def test_folds_are_subject_disjoint_and_cover_everything():
    subjects, labels = _data()
    plan = subject_folds(subjects, labels, k=5, seed=3)
    seen = set()
    subj = np.asarray(subjects)
    for f in range(plan.k):
        test, train = plan.test_indices(f), plan.train_indices(f)
        assert len(test) > 0
        assert set(test).isdisjoint(train)
        assert len(test) + len(train) == len(subjects)
        assert set(subj[test]).isdisjoint(set(subj[train]))  # no subject on both sides
        assert set(subj[test]) == set(plan.test_subjects(f))
        seen |= set(test.tolist())
    assert seen == set(range(len(subjects)))
    # every subject is tested in exactly one fold
    assert sorted(plan.fold_of_subject) == sorted(set(subjects))
    assert sum(len(v) for v in plan.to_dict()["folds"].values()) == len(set(subjects))


def test_folds_are_deterministic_per_seed():
    subjects, labels = _data()
    a = subject_folds(subjects, labels, 4, seed=1)
    b = subject_folds(subjects, labels, 4, seed=1)
    assert a.fold_of_subject == b.fold_of_subject
    assert a.to_dict() == b.to_dict()


def test_too_few_subjects_is_a_clear_error():
    subjects, labels = _data(n_subjects=3)
    with pytest.raises(ValueError, match=r"my.csv: 3 subject\(s\), too few for 10 subject-independent folds"):
        subject_folds(subjects, labels, 10, source="my.csv")
    with pytest.raises(ValueError, match="integer >= 2"):
        subject_folds(subjects, labels, 1)
    with pytest.raises(ValueError, match="labels"):
        subject_folds(subjects, labels[:-1], 2)


def test_fold_index_out_of_range():
    subjects, labels = _data(n_subjects=4)
    plan = subject_folds(subjects, labels, 2)
    with pytest.raises(ValueError, match="out of range"):
        plan.test_indices(2)

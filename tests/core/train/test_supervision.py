import pytest
import torch

from core.datasets import ManifestRow
from core.train.supervision import PromptBank, check_prompt_labels

CLASSES = {"happiness": ("a happy face", "a smile"), "anger": ("an angry face",), "sadness": ("a sad face", "a smile")}


def encode_counter():
    seen = []

    def encode(texts):
        seen.append(list(texts))
        return torch.stack([torch.full((4,), float(len(t))) for t in texts])

    return encode, seen


def test_bank_encodes_each_distinct_prompt_once_and_draws_from_the_class():
    encode, seen = encode_counter()
    bank = PromptBank(CLASSES, ("anger", "happiness", "sadness"), encode)
    assert len(seen) == 1 and sorted(seen[0]) == sorted({"a happy face", "a smile", "an angry face", "a sad face"})
    assert bank.dim == 4 and not bank.features.requires_grad
    labels = torch.tensor([0, 1, 2] * 50)
    idx, feats = bank.draw(labels, torch.Generator().manual_seed(0))
    prompts = [bank.prompts[i] for i in idx.tolist()]
    for lab, p in zip(labels.tolist(), prompts):
        assert p in CLASSES[bank.class_names[lab]]
    assert {p for lab, p in zip(labels.tolist(), prompts) if lab == 1} == {"a happy face", "a smile"}
    assert torch.equal(feats[:, 0], torch.tensor([float(len(p)) for p in prompts]))
    idx2, _ = bank.draw(labels, torch.Generator().manual_seed(0))
    assert torch.equal(idx, idx2)


def test_missing_classes_listed(tmp_path):
    rows = [
        ManifestRow(tmp_path / f"{i}.obj", "S1", lab, None, "3d", 1, "t", "c")
        for i, lab in enumerate(["happiness", "neutral", "neutral", "fear"])
    ]
    with pytest.raises(ValueError, match=r"m\.csv: labels with no prompts .*fear \(1 samples\), neutral \(2 samples\)"):
        check_prompt_labels(rows, CLASSES, "set.json", "m.csv")
    check_prompt_labels(rows[:1], CLASSES, "set.json", "m.csv")

from pathlib import Path

import pytest

from core.datasets import index_dataset
from core.datasets.bosphorus import index

SIX = ("ANGER", "DISGUST", "FEAR", "HAPPY", "SADNESS", "SURPRISE")


@pytest.fixture
def bosphorus_root(tmp_path: Path, touch) -> Path:
    """bs000, bs001 with all six E captures (+ .png/.lm3 side files), bs002 without FEAR; N, LFAU, YR each."""
    root = tmp_path
    for subject in ("bs000", "bs001", "bs002"):
        for code in SIX:
            if subject == "bs002" and code == "FEAR":
                continue  # bs002 misses one expression
            touch(root / subject / f"{subject}_E_{code}_0.bnt")
            touch(root / subject / f"{subject}_E_{code}_0.png")
            touch(root / subject / f"{subject}_E_{code}_0.lm3")
        touch(root / subject / f"{subject}_N_N_0.bnt")
        touch(root / subject / f"{subject}_LFAU_12_0.bnt")
        touch(root / subject / f"{subject}_YR_R10_0.bnt")
    touch(root / "bs000" / "bs000_E_HAPPY_1.bnt")  # a second sample
    return root


def test_labels_codes_and_side_files(bosphorus_root: Path):
    result = index_dataset(bosphorus_root, "bosphorus")
    assert len(result.rows) == 6 + 6 + 5 + 3 * 3 + 1
    assert result.skipped == ()
    assert result.ignored == 2 * 17
    rows = {r.path.name: r for r in result.rows}
    r = rows["bs001_E_HAPPY_0.bnt"]
    assert (r.subject, r.label, r.code, r.kind, r.n_frames, r.intensity) == ("bs001", "happiness", "E_HAPPY", "3d", 1, None)
    assert rows["bs000_E_HAPPY_1.bnt"].extras == {"sample": "1"}
    assert rows["bs000_N_N_0.bnt"].label == "neutral"
    assert (rows["bs000_LFAU_12_0.bnt"].label, rows["bs000_LFAU_12_0.bnt"].code) == ("lfau_12", "LFAU_12")
    assert rows["bs002_YR_R10_0.bnt"].label == "yr_r10"


def test_six_expressions_protocol_needs_all_six(bosphorus_root: Path):
    result = index_dataset(bosphorus_root, "bosphorus", "six-expressions")
    assert result.subjects == ("bs000", "bs001")
    assert len(result.rows) == 13  # 2 x 6 + bs000's second HAPPY sample
    assert {r.code[:2] for r in result.rows} == {"E_"}
    assert result.excluded == 27 - 13


def test_flat_layout_and_bad_names(tmp_path: Path, touch):
    touch(tmp_path / "bs105_E_SURPRISE_0.bnt")
    touch(tmp_path / "bs105_E_CONTEMPT_0.bnt")
    touch(tmp_path / "bs105_E_ANGER.bnt")
    touch(tmp_path / "bs106" / "bs107_E_FEAR_0.bnt")
    touch(tmp_path / "bs106" / "bs106_E_FEAR_0.obj")
    result = index(tmp_path)
    assert [r.path.name for r in result.rows] == ["bs105_E_SURPRISE_0.bnt"]
    reasons = {p.name: why for p, why in result.skipped}
    assert "unknown emotion code 'CONTEMPT'" in reasons["bs105_E_CONTEMPT_0.bnt"]
    assert "name does not follow" in reasons["bs105_E_ANGER.bnt"]
    assert "does not match its folder bs106" in reasons["bs107_E_FEAR_0.bnt"]
    assert "not a .bnt scan" in reasons["bs106_E_FEAR_0.obj"]


def test_protocol_with_no_complete_subject_is_an_error(tmp_path: Path, touch):
    touch(tmp_path / "bs000_E_HAPPY_0.bnt")
    with pytest.raises(ValueError, match="six-expressions"):
        index_dataset(tmp_path, "bosphorus", "six-expressions")

from pathlib import Path

import pytest

from core.datasets import IndexConfig, build_manifest, format_summary, index_dataset, read_manifest


def test_unknown_format_and_misapplied_protocol(bu3dfe_root: Path):
    with pytest.raises(ValueError, match="unknown dataset format 'ply'"):
        index_dataset(bu3dfe_root, "ply")
    with pytest.raises(ValueError, match="applies to Bosphorus only.*BU-3DFE protocols: subset1, subset2"):
        index_dataset(bu3dfe_root, "bu3dfe", "six-expressions")
    with pytest.raises(ValueError, match="BU-4DFE has no protocols"):
        index_dataset(bu3dfe_root, "bu4dfe", "subset1")
    with pytest.raises(ValueError, match="unknown protocol 'subset3'"):
        IndexConfig(root=bu3dfe_root, fmt="bu3dfe", out=Path("m.csv"), protocol="subset3")


def test_build_manifest_writes_and_summary_counts(bu3dfe_root: Path, tmp_path: Path, touch):
    touch(bu3dfe_root / "F0001" / "junk.txt")
    config = IndexConfig(root=bu3dfe_root, fmt="BU3DFE", out=tmp_path / "m" / "manifest.csv", protocol="subset1")
    assert config.fmt == "bu3dfe" and config.out.is_absolute()
    result = build_manifest(config)
    assert len(read_manifest(config.out)) == 36
    text = format_summary(result)
    assert text.splitlines()[0] == "36 rows, 3 subjects"
    assert "  anger      6" in text
    assert "39 rows left out by the protocol" in text
    assert "150 files ignored" in text
    assert "1 skipped" in text and "junk.txt: name does not follow" in text


def test_build_manifest_refuses_to_overwrite_the_input_csv(tmp_path: Path, touch):
    touch(tmp_path / "a.obj")
    src = tmp_path / "in.csv"
    src.write_text("path,subject,label\na.obj,s,fear\n", encoding="utf-8")
    with pytest.raises(ValueError, match="overwrite the input CSV"):
        build_manifest(IndexConfig(root=src, fmt="csv", out=src))
    assert src.read_text(encoding="utf-8") == "path,subject,label\na.obj,s,fear\n"

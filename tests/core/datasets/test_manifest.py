import csv
from pathlib import Path

import pytest

from core.datasets import COLUMNS, ManifestRow, index_dataset, read_manifest, write_manifest


def row(path, **kw) -> ManifestRow:
    fields = dict(subject="s1", label="fear", intensity=None, kind="3d", n_frames=1, dataset="custom", code="FE")
    fields.update(kw)
    return ManifestRow(path=path, **fields)


def test_round_trip_of_an_indexed_dataset(bu3dfe_root: Path, tmp_path: Path):
    rows = index_dataset(bu3dfe_root, "bu3dfe").rows
    out = write_manifest(rows, tmp_path / "manifest.csv")
    assert read_manifest(out) == list(rows)
    with open(out, newline="", encoding="utf-8") as f:
        header, first = next(csv.reader(f)), next(csv.reader(f))
    assert tuple(header[:8]) == COLUMNS and set(header[8:]) == {"sex", "race"}
    assert first[0] == "BU3DFE/F0001/F0001_AN01WH_F3D.wrl"  # relative to the manifest's folder


def test_paths_outside_the_manifest_folder_stay_absolute(tmp_path: Path):
    inside, outside = tmp_path / "out" / "scan.obj", tmp_path / "elsewhere" / "seq"
    rows = [
        row(inside, extra={"sex": "F"}),
        row(outside, kind="4d", n_frames=12, intensity=3, extra={"race": "WH", "note": ""}),
    ]
    out = write_manifest(rows, tmp_path / "out" / "m.csv")
    text = out.read_text(encoding="utf-8").splitlines()
    assert text[0] == "path,subject,label,intensity,kind,n_frames,dataset,code,sex,race"
    assert text[1].startswith("scan.obj,")
    assert text[2].startswith(f"{outside},")
    assert read_manifest(out) == rows
    assert [p.name for p in out.parent.iterdir()] == ["m.csv"]  # no temporary file left behind


def test_extras_normalised_and_validated():
    r = row("x.obj", extra={"sex": "M", "race": "WH", "empty": ""})
    assert r.extra == (("race", "WH"), ("sex", "M")) and r.path.is_absolute()
    assert r == row("x.obj", extra=[("sex", "M"), ("race", "WH")])
    with pytest.raises(ValueError, match="clashes"):
        row("x.obj", extra={"label": "x"})
    with pytest.raises(ValueError, match="kind"):
        row("x.obj", kind="2d")
    with pytest.raises(ValueError, match="exactly 1 frame"):
        row("x.obj", n_frames=2)
    with pytest.raises(ValueError, match="subject must not be empty"):
        row("x.obj", subject=" ")


HEADER = "path,subject,label,intensity,kind,n_frames,dataset,code\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("path,subject,label,kind\n", r"line 1: missing columns: intensity, n_frames, dataset, code"),
        (HEADER + "a.obj,s,fear,,3d,1,x,FE\nb.obj,s,fear,,2d,1,x,FE\n", r"line 3: kind must be one of 3d, 4d"),
        (HEADER + "a,s,fear,,4d,ten,x,FE\n", r"line 2: n_frames is not an integer: 'ten'"),
        (HEADER + "a,s,fear,,4d,,x,FE\n", r"line 2: n_frames is empty"),
        (HEADER + "a,s,fear,high,3d,1,x,FE\n", r"line 2: intensity is not an integer"),
        (HEADER + ",s,fear,,3d,1,x,FE\n", r"line 2: path is empty"),
        (HEADER + "a,s,fear,,3d,1\n", r"line 2: 6 fields, the header has 8"),
        ("", r"empty file"),
    ],
)
def test_malformed_manifest_names_file_and_line(tmp_path: Path, body: str, message: str):
    src = tmp_path / "bad.csv"
    src.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.csv: " + message):
        read_manifest(src)


def test_read_resolves_relative_paths_and_missing_file(tmp_path: Path):
    src = tmp_path / "sub" / "m.csv"
    src.parent.mkdir()
    src.write_text(HEADER + "../scans/a.obj,s,fear,,3d,1,x,FE\n\n", encoding="utf-8")
    (r,) = read_manifest(src)
    assert r.path == tmp_path / "scans" / "a.obj"
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_manifest(tmp_path / "nope.csv")
    (tmp_path / "latin.csv").write_bytes(HEADER.encode() + "é,s,fear,,3d,1,x,FE\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin\.csv: not UTF-8"):
        read_manifest(tmp_path / "latin.csv")


def test_orientation_column_round_trip_and_only_written_when_used(tmp_path: Path):
    rows = [row(tmp_path / "a.obj", orientation="Z-Up ", extra={"sex": "F"}), row(tmp_path / "b.obj")]
    assert rows[0].orientation == "z-up" and rows[1].orientation == ""
    out = write_manifest(rows, tmp_path / "m.csv")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "path,subject,label,intensity,kind,n_frames,dataset,code,orientation,sex"
    assert lines[1] == "a.obj,s1,fear,,3d,1,custom,FE,z-up,F" and lines[2] == "b.obj,s1,fear,,3d,1,custom,FE,,"
    assert read_manifest(out) == rows
    plain = write_manifest([row(tmp_path / "b.obj")], tmp_path / "plain.csv")
    assert "orientation" not in plain.read_text(encoding="utf-8")  # manifests without it stay as they were
    with pytest.raises(ValueError, match="clashes"):
        row("x.obj", extra={"orientation": "none"})
    with pytest.raises(ValueError, match="unknown orientation 'sideways'"):
        row("x.obj", orientation="sideways")


def test_bad_orientation_names_the_file_and_line(tmp_path: Path):
    src = tmp_path / "bad.csv"
    src.write_text("path,subject,label,intensity,kind,n_frames,dataset,code,orientation\n"
                   "a.obj,s,fear,,3d,1,x,FE,none\nb.obj,s,fear,,3d,1,x,FE,\nc.obj,s,fear,,3d,1,x,FE,upside-down\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.csv: line 4: orientation: unknown orientation 'upside-down' "
                                         r"\(known: auto, y-up, y-up-back, y-down, z-up, z-up-back, none\)"):
        read_manifest(src)

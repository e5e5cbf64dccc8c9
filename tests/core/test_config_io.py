import json
from dataclasses import dataclass

import pytest

from core.config_io import dataclass_from_dict, read_json_object, write_json_atomic


def test_read_json_object_names_the_file_and_the_reason(tmp_path):
    good = tmp_path / "a.json"
    good.write_text('{"x": 1}', encoding="utf-8")
    assert read_json_object(good) == {"x": 1}
    with pytest.raises(FileNotFoundError, match="b.json: presets file not found"):
        read_json_object(tmp_path / "b.json", "presets")
    with pytest.raises(ValueError, match="is a folder"):
        read_json_object(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": ', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.json: not valid JSON \(line 1"):
        read_json_object(bad)
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="expected a JSON object at the top level, got list"):
        read_json_object(bad)


def test_write_json_atomic_round_trips_and_leaves_no_temporary(tmp_path):
    path = write_json_atomic(tmp_path / "sub" / "out.json", {"name": "émotion", "v": [1.5, 2]}, indent=1)
    assert json.loads(path.read_text(encoding="utf-8")) == {"name": "émotion", "v": [1.5, 2]}
    assert "émotion" in path.read_text(encoding="utf-8")  # UTF-8, not \\u escapes
    before = path.read_text(encoding="utf-8")
    with pytest.raises(ValueError):
        write_json_atomic(path, {"v": float("nan")})  # refused: the old file stays whole
    assert path.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.json"]


def test_dataclass_from_dict_refuses_unknown_keys():
    @dataclass(frozen=True)
    class C:
        a: int = 1

    assert dataclass_from_dict(C, {}, "src", "thing") == C()
    with pytest.raises(ValueError, match="src"):
        dataclass_from_dict(C, {"b": 2}, "src", "thing")


def test_deeply_nested_json_config_is_a_clear_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"a": ' * 100_000 + "1" + "}" * 100_000)
    with pytest.raises(ValueError, match="deep.json: JSON nested too deeply"):
        read_json_object(path)


def test_strict_json_writes_null_for_non_finite_numbers():
    from core.config_io import strict_json

    text = strict_json({"p": {"a": float("nan"), "b": 0.5}, "w": [float("inf"), -float("inf"), 1], "t": (1.0,)})
    assert json.loads(text) == {"p": {"a": None, "b": 0.5}, "w": [None, None, 1], "t": [1.0]}
    assert "NaN" not in text and "Infinity" not in text


def test_write_bytes_atomic_leaves_nothing_half_written(tmp_path, monkeypatch):
    """A failed write (a full disk) leaves neither a truncated file under the name nor a temporary; the error names
    the file (synth scans, VRML/BNT files and JSON go through it)."""
    import errno
    import os

    from core.config_io import write_bytes_atomic

    target = tmp_path / "S001" / "S001_HA01.wrl"
    write_bytes_atomic(target, b"old")

    def full(_src, _dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError) as info:
        write_bytes_atomic(target, b"new content")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert target.read_bytes() == b"old" and sorted(p.name for p in target.parent.iterdir()) == ["S001_HA01.wrl"]


def test_atomic_files_get_the_mode_open_would_give(tmp_path):
    """mkstemp makes private (0o600) files: an atomically written manifest or config must be readable like any other
    file the user writes (0o666 less the umask), e.g. by the group sharing a data set."""
    import os
    import stat

    from core.config_io import FILE_MODE, write_json_atomic

    mask = os.umask(0o022)
    os.umask(mask)
    assert FILE_MODE == 0o666 & ~mask
    path = write_json_atomic(tmp_path / "c.json", {"a": 1})
    assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE

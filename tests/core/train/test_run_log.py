import json

import pytest

from core.train.run_log import RunLog, read_log


def test_lines_are_flushed_and_readable_while_open(tmp_path):
    path = tmp_path / "run" / "log.jsonl"
    log = RunLog(path)
    log.write("start", config={"a": 1})
    log.write("step", loss=float("nan"), step=1)
    events = read_log(path)  # before close: every line is already on disk
    assert [e["event"] for e in events] == ["start", "step"]
    assert events[1]["loss"] is None and isinstance(events[0]["time"], float)
    log.close()


def test_disabled_log_writes_nothing(tmp_path):
    RunLog(tmp_path / "log.jsonl", enabled=False).write("step", loss=1.0)
    assert not (tmp_path / "log.jsonl").exists()


def test_truncated_last_line_skipped_bad_middle_line_reported(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"event": "start"}) + "\n" + '{"event": "st')
    assert [e["event"] for e in read_log(path)] == ["start"]
    path.write_text('{"event": "st\n' + json.dumps({"event": "start"}) + "\n")
    with pytest.raises(ValueError, match="log.jsonl: line 1"):
        read_log(path)


def test_a_line_nested_too_deeply_is_named(tmp_path):
    """RecursionError from the JSON parser becomes a ValueError naming the file and line (issue 14, item 3)."""
    path = tmp_path / "log.jsonl"
    path.write_text('{"event": "start"}\n' + '{"a":' * 100_000 + "1" + "}" * 100_000 + '\n{"event": "end"}\n')
    with pytest.raises(ValueError, match=r"log.jsonl: line 2: JSON nested too deeply"):
        read_log(path)

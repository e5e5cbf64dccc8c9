"""JSON nested too deeply for Python's parser (RecursionError, not a JSONDecodeError) in every JSON file the CLI
reads: one line naming the file, exit status 1, nothing written (issue 14, item 3). The render cache's own files are
rebuilt instead, as any unreadable index is."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.datasets import ManifestRow, write_manifest
from core.resources import resources_dir

DEEP = '{"a":' * 100_000 + "1" + "}" * 100_000


def _manifest(root: Path) -> Path:
    """Two rows of placeholder scans (nothing here gets as far as reading them)."""
    rows = []
    for label in ("happiness", "sadness"):
        scan = root / "scans" / f"{label}.obj"
        scan.parent.mkdir(parents=True, exist_ok=True)
        scan.write_text(f"# {label}\n")
        rows.append(ManifestRow(scan, "S1", label, None, "3d", 1, "test", label[:2]))
    return write_manifest(rows, root / "manifest.csv")


def _cases(tmp: Path, deep: Path) -> dict[str, tuple[list[str], Path, Path]]:
    """id -> (argv, the file the error must name, an output path that must not appear)."""
    manifest = str(_manifest(tmp))
    resumed = tmp / "resumed_run"
    resumed.mkdir()
    (resumed / "config.json").write_text(DEEP)
    model = resources_dir() / "models" / "default" / "model.ckpt"
    return {
        "render --config": (["render", manifest, "--out", str(tmp / "cache"), "--config", str(deep), "--no-progress"],
                            deep, tmp / "cache"),
        "synth --settings": (["synth", "bu3dfe", "--subjects", "1", "--out", str(tmp / "syn"), "--settings", str(deep),
                              "--no-progress"], deep, tmp / "syn"),
        "synth demo --settings": (["synth", "demo", "--out", str(tmp / "demo"), "--settings", str(deep),
                                   "--no-progress"], deep, tmp / "demo"),
        "pretrain --config": (["pretrain", "--config", str(deep), "--out", str(tmp / "run")], deep, tmp / "run"),
        "pretrain --prompt-set": (["pretrain", "--data", manifest, "--out", str(tmp / "run"), "--prompt-set",
                                   str(deep), "--prompts", "metadata", "--device", "cpu", "--no-progress"],
                                  deep, tmp / "run"),
        "pretrain --resume (run config)": (["pretrain", "--out", str(resumed), "--resume"], resumed / "config.json",
                                           resumed / "log.jsonl"),
        "build-model --config": (["build-model", "--config", str(deep), "--out", str(tmp / "model"), "--work",
                                  str(tmp / "work")], deep, tmp / "work"),
        "benchmark --config": (["benchmark", "--preset", "smoke", "--config", str(deep), "--out", str(tmp / "bench")],
                               deep, tmp / "bench"),
        "predict --prompts": (["predict", manifest, "--checkpoint", str(model), "--prompts", str(deep)], deep,
                              tmp / "nothing"),
    }


CASES = ["render --config", "synth --settings", "synth demo --settings", "pretrain --config",
         "pretrain --prompt-set", "pretrain --resume (run config)", "build-model --config", "benchmark --config",
         "predict --prompts"]


@pytest.mark.parametrize("case", CASES)
def test_deeply_nested_json_is_one_line_naming_the_file(tmp_path, capsys, case):
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP)
    argv, named, not_written = _cases(tmp_path, deep)[case]
    if case == "predict --prompts" and not (resources_dir() / "models" / "default" / "model.ckpt").is_file():
        pytest.skip("the shipped model is not in resources/models/default")
    assert main(argv) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"smile-vlm {argv[0]}: error: {named}: JSON nested too deeply"), lines[0]
    assert not not_written.exists()


def test_the_render_cache_rebuilds_an_index_nested_too_deeply(tmp_path, capsys):
    """The cache's own index.json and row records: unreadable, so rebuilt from what is there, not an error."""
    x, y = np.meshgrid(np.linspace(-1, 1, 12), np.linspace(-1.2, 1.2, 14))
    z = 0.5 * np.exp(-(x**2 + y**2))
    v = np.stack([x, y, z], -1).reshape(-1, 3) * 80
    lines = [f"v {a:.5f} {b:.5f} {c:.5f}" for a, b, c in v]
    lines += [f"f {k} {k + 1} {k + 13}\nf {k} {k + 13} {k + 12}" for j in range(13) for k in
              (j * 12 + i + 1 for i in range(11))]
    scan = tmp_path / "a.obj"
    scan.write_text("\n".join(lines) + "\n")
    manifest = write_manifest([ManifestRow(scan, "S1", "happiness", None, "3d", 1, "test", "HA")],
                              tmp_path / "m.csv")
    argv = ["render", str(manifest), "--out", str(tmp_path / "cache"), "--views", "0", "--size", "16",
            "--orientation", "none", "--no-progress"]
    assert main(argv) == 0
    [index] = (tmp_path / "cache").rglob("index.json")
    index.write_text(DEEP)
    for record in index.parent.rglob("*.json"):  # the row records and face files, whatever the layout
        record.write_text(DEEP)
    capsys.readouterr()
    assert main(argv) == 0
    printed = capsys.readouterr()
    assert "error" not in printed.err
    json.loads(index.read_text(encoding="utf-8"))  # rewritten, readable again

"""`smile-vlm predict`: zero-shot expression probabilities of scans and 4D sequences with a trained checkpoint."""

from __future__ import annotations

import argparse
import sys

from core.cli.canonical_args import add_canonical_args, canonical_changes
from core.config_io import strict_json
from core.inference.frames import FrameWindow


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "predict",
        help="zero-shot expression probabilities of scans / 4D sequences",
        description=(
            "Render each input with the checkpoint's render settings (canonical faces: the settings the checkpoint "
            "was trained with, bounding-box framing for checkpoints from before canonical faces; --orientation and "
            "--no-crop change them) and score it against a prompt set. An input in which no face is found gets a "
            "WARNING line (JSON: its \"face\" object has ok false). "
            "PATH: a scan file (.wrl .obj .ply .bnt .npy ...), or a 4D sequence (a folder of frames or a .npz). "
            "An input that fails is reported and the others continue; the exit status is 1 if any failed. "
            "--per-frame scores every frame of a sequence too (core.inference.frames): the dynamic image of the "
            "window of frames ending at it (--window), with the onset, apex and offset of the top class."
        ),
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="scan file, sequence folder or .npz")
    p.add_argument("--checkpoint", required=True, metavar="C", help="SMILE-VLM checkpoint (.ckpt)")
    p.add_argument(
        "--prompts",
        default=None,
        metavar="FILE",
        help="prompt-set JSON (ours or plain class -> prompts) or a shipped set's name; default: the checkpoint's",
    )
    p.add_argument("--device", choices=["cpu", "cuda"], default=None, help="default: CUDA when present, else CPU")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object per input line instead of a table")
    out.add_argument("--csv", action="store_true",
                     help="with --per-frame: CSV on stdout, one row per (input, frame): path, frame, window_start, "
                          "window_end, pooled, top, one column per class, error")
    p.add_argument("--per-frame", action="store_true",
                   help="also analyse every frame of a 4D sequence: the dynamic image of the window ending at it "
                        "(JSON: each input's object gains window, events (onset/apex/offset of the top class) and "
                        "frames, one {frame, window, pooled, top, probabilities} per frame)")
    p.add_argument("--window", default="cumulative", metavar="W",
                   help="with --per-frame: 'cumulative' (frames 0..t, the default) or K (the last K >= 2 frames)")
    add_canonical_args(p, default_from="the settings the checkpoint was trained with", manifest=False)
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    # torch is imported here, when predict runs, not when any smile-vlm command starts
    from core.inference.predict import PredictConfig, build_analyzer, predict, table_header, table_row, table_warning

    if (args.csv or args.window != "cumulative") and not args.per_frame:
        raise ValueError(f"{'--csv' if args.csv else '--window'} needs --per-frame")
    window = FrameWindow.parse(args.window)  # a bad window is refused before the model loads
    config = PredictConfig(
        paths=tuple(args.paths), checkpoint=args.checkpoint, prompts=args.prompts, device=args.device,
        **canonical_changes(args),
    )
    as_json = bool(args.json)
    analyzer = build_analyzer(config)
    if args.per_frame:
        return _run_per_frame(config, analyzer, window, "json" if args.json else "csv" if args.csv else "table")
    labels = analyzer.labels
    if not as_json:
        print(table_header(labels))
    failed = 0
    for record in predict(config, analyzer):
        failed += not record.ok
        print(strict_json(record.to_json_dict()) if as_json else table_row(record, labels), flush=True)
        warning = "" if as_json else table_warning(record)
        if warning:
            print(warning, flush=True)
    if failed and not as_json:
        print(f"{failed} of {len(config.paths)} input(s) failed", file=sys.stderr)
    return 1 if failed else 0


def _run_per_frame(config, analyzer, window: FrameWindow, form: str) -> int:
    """config: a core.inference.predict.PredictConfig; analyzer: its Analyzer."""
    from core.inference.frame_export import frames_csv
    from core.inference.frame_predict import json_record, predict_frames, table_rows
    from core.inference.predict import table_header

    labels = analyzer.labels
    if form == "table":
        print(table_header(labels))
    elif form == "csv":
        print(frames_csv([], labels), end="", flush=True)
    failed = 0
    for path, outcome in predict_frames(config.paths, analyzer, window):
        failed += isinstance(outcome, str)
        if form == "json":
            print(strict_json(json_record(path, outcome)), flush=True)
        elif form == "csv":
            print(frames_csv([(path, outcome)], labels, header=False), end="", flush=True)
        else:
            print("\n".join(table_rows(path, outcome, labels)), flush=True)
    if failed and form == "table":
        print(f"{failed} of {len(config.paths)} input(s) failed", file=sys.stderr)
    return 1 if failed else 0

"""Does the per-frame curve of the expressed class peak at the generator's apex? (issue 15, item 2)

    python benchmarks/frames_apex.py [--subjects 10] [--frames 30] [--seed 203] [--windows cumulative,8,12]
                                     [--checkpoint resources/models/default/model.ckpt] [--tolerance 2]
                                     [--smooth 3] [--data DIR] [--verbose]

Generates BU-4DFE-like ICT sequences (``smile-vlm synth bu4dfe --face-model ict``; seed 203 by default: the default
model's held-out ICT 4D subjects, never trained on) with ``--frames`` frames each, six expressions per subject; the
generator records each sequence's apex frame (the first frame at which the expression's action units all reach their
apex plateau; ``SynthResult.items[i].info``). Each sequence is analysed per frame (core.inference.frames) with every
window setting, and the script prints, per setting, how often the expressed class's curve peaks within
``--tolerance`` frames of the apex: raw (argmax of the probability over the pooled frames) and by the events rule
(core.inference.frame_events: smoothed over ``--smooth`` frames), the mean |peak - apex|, and the one-shot
accuracy (the sequence's top class). ``--data DIR`` keeps / reuses the generated set there (with ``apex.json``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.inference import Analyzer  # noqa: E402
from core.inference.frame_events import class_events  # noqa: E402
from core.inference.frames import (  # noqa: E402
    FrameWindow,
    frame_probabilities,
    load_frames,
    prepare_frames,
    render_prepared,
)


def generate_set(out: Path, subjects: int, frames: int, seed: int) -> list[dict]:
    """Generate (or reuse) the set; returns [{"path", "label", "apex"}] (also written to out/apex.json)."""
    index = out / "apex.json"
    if index.is_file():
        return json.loads(index.read_text())
    from core.synth.config import load_config
    from core.synth.face_models import load_face_model
    from core.synth.runner import RunConfig, generate

    config = load_config("bu4dfe", None, {"frames": frames}, face_model="ict")
    result = generate(RunConfig("bu4dfe", subjects, out, seed, 1, False, True), config, load_face_model("ict"))
    items = [{"path": str(out / item.path), "label": item.label, "apex": int(dict(item.info)["apex"])}
             for item in result.items]
    index.write_text(json.dumps(items, indent=1))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=10)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--seed", type=int, default=203)
    parser.add_argument("--windows", default="cumulative,8,12")
    parser.add_argument("--checkpoint", default=str(ROOT / "resources" / "models" / "default" / "model.ckpt"))
    parser.add_argument("--tolerance", type=int, default=2)
    parser.add_argument("--smooth", type=int, default=3)
    parser.add_argument("--data", default=None)
    parser.add_argument("--verbose", action="store_true", help="one line per sequence")
    args = parser.parse_args()
    windows = [FrameWindow.parse(w) for w in args.windows.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.data) if args.data else Path(tmp) / "bu4dfe"
        t0 = time.perf_counter()
        items = generate_set(out, args.subjects, args.frames, args.seed)
        print(f"{len(items)} sequences of {args.frames} frames ({args.subjects} ICT subjects, seed {args.seed}) "
              f"ready in {time.perf_counter() - t0:.0f} s")
        analyzer = Analyzer(args.checkpoint, device="cpu")
        stats = {str(w): {"raw": [], "rule": [], "dist": [], "top": [], "onset": [], "offset": []} for w in windows}
        for number, item in enumerate(items, 1):
            frames, _ = load_frames(item["path"])
            render = analyzer.render_config
            prepared = prepare_frames(frames, render, item["path"])
            images = render_prepared(prepared, render)  # every frame rendered once, pooled per window setting
            for w in windows:
                result = frame_probabilities(analyzer, images, w, item["path"], prepared.face)
                curve = result.curve(item["label"])
                counted = np.flatnonzero(result.pooled >= 2)
                raw = int(counted[np.argmax(curve[counted])])
                events = class_events(result, item["label"], args.smooth)
                s = stats[str(w)]
                s["raw"].append(abs(raw - item["apex"]) <= args.tolerance)
                s["rule"].append(abs(events.apex - item["apex"]) <= args.tolerance)
                s["dist"].append(abs(events.apex - item["apex"]))
                s["top"].append(result.sequence_top == item["label"])
                s["onset"].append(events.onset is not None)
                s["offset"].append(events.offset is not None)
            if args.verbose:
                print(f"{number:3d} {item['path']} ({item['label']}): apex {item['apex']}; |peak - apex| "
                      + ", ".join(f"{w} {stats[str(w)]['dist'][-1]}" for w in windows), flush=True)
        n = len(items)
        print(f"expressed class's curve peaking within +-{args.tolerance} frames of the generator's apex "
              f"({args.checkpoint}):")
        print(f"{'window':<12} {'raw argmax':>12} {'rule (smooth ' + str(args.smooth) + ')':>18} "
              f"{'mean |dt|':>10} {'onset found':>12} {'offset found':>13} {'one-shot top':>13}")
        for w in windows:
            s = stats[str(w)]
            print(f"{str(w):<12} {sum(s['raw']):>4}/{n} {100 * np.mean(s['raw']):4.0f}% "
                  f"{sum(s['rule']):>9}/{n} {100 * np.mean(s['rule']):4.0f}% {np.mean(s['dist']):10.1f} "
                  f"{sum(s['onset']):>8}/{n} {sum(s['offset']):>9}/{n} {100 * np.mean(s['top']):12.0f}%")
        print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

"""`smile-vlm explain`: where on the scan the model finds the evidence for a class (a PLY with a per-vertex
`saliency` property, or a PNG of the views with the map over them)."""

from __future__ import annotations

import argparse

from core.cli.canonical_args import add_canonical_args, canonical_changes


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "explain",
        help="evidence for a class on the scan's vertices (Grad-CAM carried to the mesh)",
        description=(
            "Render PATH as the checkpoint's model sees it, compute a gradient-based map (Grad-CAM, "
            "resources/explain.json) of the class's zero-shot score over each view, carry it to the vertices each "
            "view sees and combine the views with the model's fusion weights, in [0, 1]. "
            "PATH: a scan file (.wrl .obj .ply .bnt .npy ...) or a 4D sequence (a folder of frames or a .npz; the "
            "map is shown on its first frame). --out FILE.ply: the scan as read with a per-vertex float property "
            "'saliency'; --out FILE.png: the views with the map over them."
        ),
    )
    p.add_argument("path", metavar="PATH", help="scan file, sequence folder or .npz")
    p.add_argument("--out", required=True, metavar="FILE", help="output: FILE.ply or FILE.png")
    p.add_argument("--class", dest="class_name", default=None, metavar="NAME",
                   help="the class to explain (a label of the prompt set); default: the predicted class")
    p.add_argument("--checkpoint", default=None, metavar="C",
                   help="SMILE-VLM checkpoint (.ckpt); default: the shipped model, resources/models/default")
    p.add_argument("--prompts", default=None, metavar="FILE",
                   help="prompt-set JSON or a shipped set's name; default: the checkpoint's")
    p.add_argument("--device", choices=["cpu", "cuda"], default=None, help="default: CUDA when present, else CPU")
    add_canonical_args(p, default_from="the settings the checkpoint was trained with", manifest=False)
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    # torch is imported here, when explain runs, not when any smile-vlm command starts
    from core.explain.run import ExplainConfig, explain, summary_line

    config = ExplainConfig(path=args.path, out=args.out, class_name=args.class_name, checkpoint=args.checkpoint,
                           prompts=args.prompts, device=args.device, **canonical_changes(args))
    result, written = explain(config)
    print(summary_line(result, written), flush=True)
    face = result.input.face
    if face is not None and not face.ok:
        print(f"WARNING: {face.reason} — the evidence map is unreliable", flush=True)
    return 0

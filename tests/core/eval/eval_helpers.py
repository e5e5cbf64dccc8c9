"""Tiny fake data for the evaluation tests: class-dependent random views, prompts with random text features."""

import json
from pathlib import Path

import numpy as np
import torch

from core.eval.config import MethodSpec, TrainSettings
from core.eval.runner import CrossData, ExperimentData
from core.model import ModelConfig

TINY = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=16, n_views=3)
CLASSES = ("happiness", "sadness", "surprise")
TEXT_DIM = 8


def fake_views(labels, size=16, seed=0):
    """(n, 3, S, S, 3) uint8: noise plus a bright block whose row depends on the class."""
    rng = np.random.default_rng(seed)
    views = rng.integers(0, 60, (len(labels), 3, size, size, 3), dtype=np.uint8)
    for i, y in enumerate(labels):
        r = CLASSES.index(y) * (size // 3)
        views[i, :, r : r + size // 3, :, :] = 220
    return views


def prompts_and_features(seed=0):
    g = torch.Generator().manual_seed(seed)
    prompts = {c: (f"a {c} face", f"a photo of {c}") for c in CLASSES}
    feats = {p: torch.randn(TEXT_DIM, generator=g) for ps in prompts.values() for p in ps}
    return prompts, feats


def experiment_data(tmp_path: Path, n_subjects=4, per_class=2, per_view=False, cross=False) -> ExperimentData:
    labels, subjects = [], []
    for s in range(n_subjects):
        for c in CLASSES:
            for _ in range(per_class):
                labels.append(c)
                subjects.append(f"S{s}")
    path = tmp_path / "views.npy"
    np.save(path, fake_views(labels))
    prompts, _ = prompts_and_features()
    cdata = None
    if cross:
        clabels = ["happiness", "happiness", "surprise"]
        cpath = tmp_path / "cross.npy"
        np.save(cpath, fake_views(clabels, seed=5))
        cdata = CrossData("A -> B", "bp4d", cpath, tuple(clabels), ("T1", "T1", "T3"), ("T1", "T3"), "fp")
    return ExperimentData("exp", path, tuple(labels), tuple(subjects), CLASSES, prompts, ("left", "front", "right"),
                          1, "fp", per_view=per_view, cross=cdata)


SETTINGS = TrainSettings(epochs=1, batch_size=4, lr=1e-3, model=TINY, knn_k=3)
SMILE = MethodSpec("smile_vlm", "SMILE-VLM", evals=("zero_shot", "linear_probe", "knn"))
CE = MethodSpec("ce", "CE", kind="ce", evals=("classifier",))
MVBT = MethodSpec("mvbt_only", "mv-BT", prompts="none", evals=("linear_probe", "knn"))
FRONTAL = MethodSpec("frontal", "frontal", views="frontal")
UNIFORM = MethodSpec("uniform", "uniform", fusion="uniform")


# ------------------------------------------------------------------------------------------ a fake benchmark
BASIC = ("anger", "disgust", "fear", "happiness", "sadness", "surprise")
MICRO = ("positive", "negative", "surprise", "repression", "others")
TASKS = {"T1": "happiness", "T2": "sadness", "T3": "surprise", "T4": "embarrassment", "T5": "fear", "T6": "pain",
         "T7": "anger", "T8": "disgust"}


class FakeTextEncoder:
    """A deterministic stand-in for MiniLM: each prompt string -> a fixed random unit vector (dim 8)."""

    name = "minilm"
    dim = TEXT_DIM

    def encode(self, texts):
        import hashlib

        out = []
        for t in texts:
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:4], "little")
            v = torch.randn(TEXT_DIM, generator=torch.Generator().manual_seed(seed))
            out.append(v / v.norm())
        return torch.stack(out) if out else torch.zeros(0, TEXT_DIM)


def _grid(n: int = 9, half: float = 40.0) -> np.ndarray:
    g = np.linspace(-half, half, n)
    x, y = (a.ravel() for a in np.meshgrid(g, g))
    return np.stack([x, y, 25.0 * np.exp(-(x**2 + y**2) / 600.0)], axis=1)


#: A tiny "mean face" (a 9 x 9 grid around a central bump, mm) for the pca_lr tests.
GRID = _grid()
_LABELS = sorted(set(BASIC) | set(MICRO) | set(TASKS.values()))


def face_points(label: str, seed: int, neutral: bool = False) -> np.ndarray:
    """GRID with a bump whose place depends on ``label`` (none when ``neutral``), then a subject's scale, pose and
    noise drawn from ``seed`` (the same for a neutral and an expressive frame of one sequence)."""
    rng = np.random.default_rng(seed)
    p = GRID.copy()
    if not neutral:
        angle = 2 * np.pi * _LABELS.index(label) / len(_LABELS)
        cx, cy = 25 * np.cos(angle), 25 * np.sin(angle)
        p[:, 2] += 8.0 * np.exp(-((p[:, 0] - cx) ** 2 + (p[:, 1] - cy) ** 2) / 150.0)
    a = rng.normal(0, 0.05)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    return rng.uniform(0.95, 1.05) * p @ rot.T + rng.normal(0, 2, 3) + rng.normal(0, 0.2, p.shape)


def _obj(points: np.ndarray) -> str:
    return "".join(f"v {x:.4f} {y:.4f} {z:.4f}\n" for x, y, z in points)


def _write_rows(root: Path, name: str, items, shapes: bool = False):
    """items: (subject, label, intensity, kind, code) -> files under root/name, manifest root/name.csv. shapes: the
    files hold face_points (4D: a neutral and an expressive frame), else one vertex each."""
    import zlib

    from core.datasets import ManifestRow, write_manifest

    rows = []
    for i, (subject, label, intensity, kind, code) in enumerate(items):
        seed = zlib.crc32(f"{name}/{subject}/{i}".encode())
        if kind == "3d":
            path = root / name / f"{subject}_{i:03d}.obj"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_obj(face_points(label, seed)) if shapes else f"# {name} {subject} {i}\nv 0 0 {i}\n")
            n_frames = 1
        else:
            path = root / name / subject / f"seq{i:03d}"
            path.mkdir(parents=True, exist_ok=True)
            for f in range(2):
                text = _obj(face_points(label, seed, neutral=f == 0)) if shapes else \
                    f"# {name} {subject} {i} {f}\nv 0 {f} {i}\n"
                (path / f"{f:03d}.obj").write_text(text)
            n_frames = 2
        rows.append(ManifestRow(path=path, subject=subject, label=label, intensity=intensity, kind=kind,
                                n_frames=n_frames, dataset=name, code=code))
    return rows, write_manifest(rows, root / f"{name}.csv")


def fake_benchmark(root: Path, subjects: int = 3, folds: int = 2, methods_subset1=None, extra_prompts=True,
                   embed_dim: int = 16, methods=None, ablation="bu3dfe_subset1", shapes=False):
    """User manifests for the five data sets (tiny files; shapes: face_points), their views already in OUT/cache,
    and a presets file with one tiny preset "tiny" (methods: experiment -> method ids, default ["smile_vlm"] beyond
    Subset I; ablation: the preset's ablation). Returns (presets path, {data set: manifest}, out folder)."""
    from core.eval.config import read_presets_file
    from core.render import RenderCache, RenderConfig

    def subj(s):
        return f"F{s + 1:04d}"

    items = {
        "bu3dfe": [(subj(s), e, lvl, "3d", e[:2].upper())
                   for s in range(subjects) for e in BASIC for lvl in (1, 2, 3, 4)],
        "bosphorus": [(f"bs{s:03d}", e, None, "3d", f"E_{e.upper()}") for s in range(subjects) for e in BASIC],
        "bu4dfe": [(f"F{s + 1:03d}", e, None, "4d", e) for s in range(subjects) for e in BASIC],
        "bp4d": [(f"M{s + 1:03d}", TASKS[t], None, "4d", t) for s in range(subjects) for t in TASKS],
        "4dme": [(f"S{s + 1:03d}", c, None, "4d", c) for s in range(subjects) for c in MICRO],
    }
    data, all_rows = {}, []
    for name, its in items.items():
        rows, manifest = _write_rows(root / "datasets", name, its, shapes)
        data[name] = manifest
        all_rows += rows
    out = root / "out"
    render = {"size": 16, "n_frames": 2}
    cache = RenderCache(out / "cache", RenderConfig.default().replace(**render))
    cache.folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for row in all_rows:
        views = rng.integers(0, 60, (3, 16, 16, 3), dtype=np.uint8)
        views[:, (sum(map(ord, row.label)) % 4) * 4 :][:, :4] = 200
        np.save(cache.entry_path(RenderCache.content_key(row.path)), views)

    src, presets = read_presets_file()
    presets = json.loads(json.dumps(presets))
    if not extra_prompts:
        presets["experiments"]["bp4d"].pop("extra_prompts")
    subset1 = methods_subset1 or ["smile_vlm", "ce", "mvbt_only", "frontal", "uniform", "no_redmin", "no_vlalign",
                                  "no_mvbt"]
    exps = {"bu3dfe_subset1": {"folds": folds, "methods": subset1}}
    for e in ("bu3dfe_subset2", "bosphorus", "bu4dfe", "bp4d", "4dme"):
        exps[e] = {"folds": folds, "methods": (methods or {}).get(e, ["smile_vlm"])}
    presets["presets"] = {"tiny": {
        "description": "tiny fake preset for tests",
        "synth": {ds: {"subjects": 1} for ds in ("bu3dfe", "bosphorus", "bu4dfe", "bp4d", "4dme")},
        "render": render,
        "train": {"epochs": 1, "batch_size": 4, "knn_k": 3,
                  "model": {"embed_dim": embed_dim, "proj_hidden": 32, "fusion_hidden": 8}},
        "ablation": ablation,
        "workers": 1,
        "experiments": exps,
    }}
    path = root / "presets.json"
    path.write_text(json.dumps(presets))
    return path, data, out

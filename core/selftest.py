"""Self-test of an installation: load the default checkpoint, analyse one demo scan headless, report the device.

``python -m core.selftest [--checkpoint C] [--scan S] [--device cpu|cuda] [--data-dir D] [--json]``; the workstation
bundle runs it as ``smile-vlm-analyzer --self-test``. Defaults: the demo shipped in the bundle
(:func:`core.bundle.bundled_demo`), else the demo in the user's data folder (:func:`core.firstrun.data_dir`); its
checkpoint and its first scan of a non-neutral expression. The views are rendered offscreen (EGL when there is no
display), so no window opens. Exit status 0 when the analysis gave finite probabilities summing to 1, else 1 with
the reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SelfTestConfig:
    """checkpoint / scan: '' = the demo's; device: '' (CUDA when present, else CPU), 'cpu' or 'cuda';
    data_dir: the user data folder searched after the bundle ('' = default); json_output: one JSON object."""

    checkpoint: str = ""
    scan: str = ""
    device: str = ""
    data_dir: str = ""
    json_output: bool = False

    def __post_init__(self) -> None:
        if self.device not in ("", "cpu", "cuda"):
            raise ValueError(f"device must be cpu or cuda, got {self.device!r}")


@dataclass(frozen=True)
class SelfTestReport:
    """ok: passed; reason: why not ('' when ok); device: e.g. "CPU (no CUDA GPU found)"; probabilities in the prompt
    set's class order; seconds: model loading (load_s) and one analysis (analyze_s)."""

    ok: bool
    reason: str = ""
    device: str = ""
    checkpoint: str = ""
    scan: str = ""
    probabilities: dict[str, float] = field(default_factory=dict)
    top: str = ""
    load_s: float = 0.0
    analyze_s: float = 0.0

    def lines(self) -> list[str]:
        """The human-readable report."""
        out = ["SMILE-VLM Analyzer self-test"]
        for name, value in (("device", self.device), ("checkpoint", self.checkpoint), ("scan", self.scan)):
            if value:
                out.append(f"  {name + ':':<15}{value}")
        if self.probabilities:
            probs = ", ".join(f"{label} {p:.3f}" for label, p in self.probabilities.items())
            out.append(f"  {'probabilities:':<15}{probs}")
            out.append(f"  {'top:':<15}{self.top}")
            out.append(f"  {'time:':<15}model {self.load_s:.1f} s, analysis {self.analyze_s:.2f} s")
        out.append("self-test passed" if self.ok else f"self-test FAILED: {self.reason}")
        return out


def cuda_status() -> tuple[bool, str]:
    """(CUDA usable, why not): the reason is torch's warning (e.g. a driver too old) or "no CUDA GPU found"."""
    import torch

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        available = torch.cuda.is_available()
    if available:
        return True, ""
    notes = [str(w.message).splitlines()[0] for w in caught if "cuda" in str(w.message).lower()]
    return False, notes[0] if notes else "no CUDA GPU found"


def describe_device(device) -> str:
    """One line for the user: "CUDA GPU: <name>", "CPU (no CUDA GPU found)" or "CPU (chosen; ...)"."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"CUDA GPU: {torch.cuda.get_device_name(device.index or 0)}"
    available, why = cuda_status()
    return "CPU (chosen; a CUDA GPU is available)" if available else f"CPU ({why})"


def default_inputs(data_dir: str = "") -> tuple[Path, Path]:
    """(checkpoint, scan) of the demo shipped in the bundle, else of the demo in the user data folder.
    FileNotFoundError naming the places looked in when neither has one."""
    from core.bundle import bundled_demo
    from core.firstrun import DemoPaths
    from core.firstrun import data_dir as user_data_dir

    candidates = [d for d in (bundled_demo(), DemoPaths(user_data_dir(data_dir or None))) if d is not None]
    for demo in candidates:
        if demo.checkpoint.is_file() and demo.manifest.is_file():
            return demo.checkpoint, demo_scan(demo.manifest)
    looked = ", ".join(str(d.root) for d in candidates)
    raise FileNotFoundError(f"no demo checkpoint and scans found (looked in {looked}); build the demo with "
                            "`python -m core.firstrun`, or pass --checkpoint and --scan")


def demo_scan(manifest: str | Path) -> Path:
    """The first 3D scan of a non-neutral expression at its highest intensity in ``manifest`` (else its first row)."""
    from core.datasets import read_manifest

    rows = read_manifest(manifest)
    if not rows:
        raise ValueError(f"{manifest}: the demo manifest lists no scans")
    expressive = [row for row in rows if row.kind == "3d" and row.label != "neutral"]
    if not expressive:
        return Path(rows[0].path)
    return Path(max(expressive, key=lambda row: row.intensity or 0).path)


def run(config: SelfTestConfig) -> SelfTestReport:
    """Load the model and analyse one scan; every failure becomes a report with ok False and the reason."""
    device_text, checkpoint, scan = "", config.checkpoint, config.scan
    try:
        import torch

        if config.device == "cuda" and not cuda_status()[0]:
            raise ValueError(f"--device cuda was asked for but CUDA is not usable: {cuda_status()[1]}")
        device = torch.device(config.device or ("cuda" if cuda_status()[0] else "cpu"))
        device_text = describe_device(device)
        if not checkpoint or not scan:
            demo_ckpt, demo_scan_path = default_inputs(config.data_dir)
            checkpoint, scan = checkpoint or str(demo_ckpt), scan or str(demo_scan_path)
        if not Path(scan).exists():
            raise FileNotFoundError(f"{scan}: scan not found")
        from core.inference import Analyzer

        start = time.perf_counter()
        analyzer = Analyzer(checkpoint, device=device)
        loaded = time.perf_counter()
        result = analyzer.analyze(scan)
        done = time.perf_counter()
    except Exception as exc:  # the self-test reports every failure instead of raising
        reason = str(exc) if isinstance(exc, (ValueError, OSError)) and str(exc) else f"{type(exc).__name__}: {exc}"
        return SelfTestReport(False, reason, device_text, str(checkpoint), str(scan))
    probs = {label: float(p) for label, p in result.probabilities.items()}
    values = list(probs.values())
    ok = bool(values) and all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in values) and abs(sum(values) - 1) < 1e-4
    reason = "" if ok else f"the probabilities are not a distribution: {probs}"
    return SelfTestReport(ok, reason, device_text, str(checkpoint), str(scan), probs, result.top,
                          round(loaded - start, 3), round(done - loaded, 3))


def parse_args(argv: list[str] | None = None) -> SelfTestConfig:
    parser = argparse.ArgumentParser(prog="smile-vlm-analyzer --self-test",
                                     description="Analyse one demo scan without a window and report the device.")
    parser.add_argument("--checkpoint", default="", help="checkpoint (default: the bundled demo's)")
    parser.add_argument("--scan", default="", help="scan file or 4D sequence (default: a demo scan)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="", help="default: CUDA when present")
    parser.add_argument("--data-dir", default="", help="user data folder searched after the bundle")
    parser.add_argument("--json", action="store_true", dest="json_output", help="print one JSON object")
    args = parser.parse_args(argv)
    return SelfTestConfig(args.checkpoint, args.scan, args.device, args.data_dir, args.json_output)


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 passed, 1 failed (reason on stderr), 2 bad arguments."""
    config = parse_args(argv)
    report = run(config)
    if config.json_output:
        print(json.dumps(asdict(report)), flush=True)
    else:
        lines = report.lines()
        print("\n".join(lines[:-1] if not report.ok else lines), flush=True)
    if not report.ok:
        print(f"self-test FAILED: {report.reason}", file=sys.stderr, flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

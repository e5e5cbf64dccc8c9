"""Build the workstation bundle: ``make bundle`` = ``.venv/bin/python packaging/build.py [options]``.

Steps: (1) make sure the first-run demo (demo scans + the default checkpoint trained on them) exists in the demo
data folder (default build/demo-data), building it with ``python -m core.firstrun --data-dir DIR`` when it is
missing (minutes on a few CPU cores; reused by later builds); (2) run PyInstaller on
packaging/smile_vlm_analyzer.spec into dist/ (work files in build/pyinstaller/); (3) print the bundle's folder, its
executable, its size and the build times.

Options: --demo-data DIR (an existing user data folder with a ready demo works too, e.g. the app's own),
--dist DIR, --work DIR, --clean (drop PyInstaller's cache first), --verbose (PyInstaller's full log).
Exit status 0 built, 1 failed (the reason on stderr).
"""

from __future__ import annotations

import argparse
import os
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "smile-vlm-analyzer"
SPEC = ROOT / "packaging" / "smile_vlm_analyzer.spec"
#: Environment variable through which the spec learns the demo's data folder.
ENV_DEMO = "SMILE_VLM_BUNDLE_DEMO"


@dataclass(frozen=True)
class BuildConfig:
    """demo_data: the first-run demo's data folder (core.firstrun.DemoPaths layout), built when incomplete;
    dist / work: PyInstaller's output and work folders; clean: drop PyInstaller's cache first; verbose: its full
    log; python: the interpreter that runs the first run and PyInstaller (the project's venv)."""

    demo_data: Path = ROOT / "build" / "demo-data"
    dist: Path = ROOT / "dist"
    work: Path = ROOT / "build" / "pyinstaller"
    spec: Path = SPEC
    clean: bool = False
    verbose: bool = False
    python: str = sys.executable

    @property
    def bundle(self) -> Path:
        """The one-folder bundle: dist/smile-vlm-analyzer."""
        return self.dist / NAME

    @property
    def executable(self) -> Path:
        return self.bundle / (NAME + (".exe" if os.name == "nt" else ""))


@dataclass(frozen=True)
class BuildResult:
    """The built bundle: its folder and executable, size in bytes (regular files, links not followed) and file
    count, and the seconds spent building the demo (0 when it was there) and running PyInstaller."""

    bundle: Path
    executable: Path
    size_bytes: int
    files: int
    demo_s: float
    pyinstaller_s: float

    def lines(self) -> list[str]:
        mib = self.size_bytes / 2**20
        total = self.demo_s + self.pyinstaller_s
        return [
            f"bundle:      {self.bundle}",
            f"executable:  {self.executable}",
            f"size:        {mib:,.0f} MiB ({mib / 1024:.2f} GiB, {self.files:,} files)",
            f"build time:  {minutes(total)} (PyInstaller {minutes(self.pyinstaller_s)}"
            + (f", first-run demo {minutes(self.demo_s)})" if self.demo_s else "; demo reused)"),
            f"self-test:   {self.executable} --self-test",
        ]


def minutes(seconds: float) -> str:
    """"12 min 05 s" / "42 s"."""
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def folder_size(folder: Path) -> tuple[int, int]:
    """(bytes, files) of the regular files under ``folder``; symbolic links count as nothing (du's view)."""
    total = count = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
                count += 1
    return total, count


def ensure_demo(config: BuildConfig) -> float:
    """Build the first-run demo into ``config.demo_data`` unless it is ready; the seconds it took (0 when ready)."""
    from core.firstrun import DemoPaths

    if DemoPaths(config.demo_data).is_ready():
        print(f"build: first-run demo ready in {config.demo_data}", flush=True)
        return 0.0
    print(f"build: building the first-run demo into {config.demo_data} (a few minutes, once)", flush=True)
    start = time.perf_counter()
    subprocess.run([config.python, "-m", "core.firstrun", "--data-dir", str(config.demo_data)], cwd=ROOT,
                   check=True)
    if not DemoPaths(config.demo_data).is_ready():
        raise RuntimeError(f"{config.demo_data}: the first run finished but the demo is not ready")
    return time.perf_counter() - start


def run_pyinstaller(config: BuildConfig) -> float:
    """PyInstaller on the spec (the demo folder passed through $SMILE_VLM_BUNDLE_DEMO); the seconds it took."""
    cmd = [config.python, "-m", "PyInstaller", "--noconfirm", "--distpath", str(config.dist),
           "--workpath", str(config.work), "--log-level", "INFO" if config.verbose else "WARN"]
    if config.clean:
        cmd.append("--clean")
    cmd.append(str(config.spec))
    print(f"build: PyInstaller {config.spec.name} -> {config.bundle} (several minutes)", flush=True)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env={**os.environ, ENV_DEMO: str(config.demo_data)}, check=True)
    if not config.executable.is_file():
        raise RuntimeError(f"{config.executable}: PyInstaller finished but the executable is missing")
    return time.perf_counter() - start


def build(config: BuildConfig) -> BuildResult:
    """Demo (when missing), then the bundle; CalledProcessError / RuntimeError when a step fails."""
    demo_s = ensure_demo(config)
    pyinstaller_s = run_pyinstaller(config)
    size, files = folder_size(config.bundle)
    return BuildResult(config.bundle, config.executable, size, files, demo_s, pyinstaller_s)


def parse_args(argv: list[str] | None = None) -> BuildConfig:
    defaults = BuildConfig()
    parser = argparse.ArgumentParser(prog="packaging/build.py", description="Build the workstation bundle (one "
                                     "folder, PyInstaller) with the first-run demo and the default checkpoint.")
    parser.add_argument("--demo-data", default=str(defaults.demo_data),
                        help="the first-run demo's data folder, built there when missing (default: %(default)s)")
    parser.add_argument("--dist", default=str(defaults.dist), help="output folder (default: %(default)s)")
    parser.add_argument("--work", default=str(defaults.work), help="PyInstaller's work folder (default: %(default)s)")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache before building")
    parser.add_argument("--verbose", action="store_true", help="PyInstaller's full log")
    args = parser.parse_args(argv)
    return BuildConfig(demo_data=Path(args.demo_data).expanduser().absolute(),
                       dist=Path(args.dist).expanduser().absolute(), work=Path(args.work).expanduser().absolute(),
                       clean=args.clean, verbose=args.verbose)


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    sys.path.insert(0, str(ROOT))  # core (for the demo's paths) when run as a script from a checkout
    try:
        result = build(config)
    except subprocess.CalledProcessError as exc:
        step = " ".join(str(part) for part in exc.cmd[1:3])
        print(f"build: FAILED: `python {step}` exited with status {exc.returncode} (its messages are above)",
              file=sys.stderr)
        return 1
    except (RuntimeError, OSError) as exc:
        print(f"build: FAILED: {exc}", file=sys.stderr)
        return 1
    print("\n".join(result.lines()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

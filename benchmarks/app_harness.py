"""What the app benchmarks (bench_app*.py) share: re-running under Xvfb when there is no display, and waiting on the
Qt event loop for a condition."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable

SCREEN = "-screen 0 1280x1024x24"


def needs_display() -> bool:
    return sys.platform.startswith("linux") and not os.environ.get("DISPLAY")


def rerun_under_xvfb(script: str) -> int:
    """Run ``script`` again with this process's arguments under ``xvfb-run``; its exit status (2: no xvfb-run)."""
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print("no display and no xvfb-run: run this on a desktop, or install xvfb", file=sys.stderr)
        return 2
    return subprocess.call([xvfb, "-a", "-s", SCREEN, sys.executable, os.path.abspath(script), *sys.argv[1:]])


def wait_for(app, predicate: Callable[[], bool], timeout: float = 120.0) -> None:
    """Process ``app``'s events until ``predicate()`` holds; TimeoutError after ``timeout`` seconds."""
    end = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > end:
            raise TimeoutError("timed out")
        app.processEvents()
        time.sleep(0.001)

"""A render run in a child process, for the concurrency and kill tests of the render cache (and the benchmark).

    python tests/core/render/cache_child.py SPEC.json

SPEC: {"manifest", "cache", "config" (RenderConfig dict), "delay" (seconds slept before each render, so runs
overlap), "ready" and "go" (optional files: touch "ready" once imported, then wait for "go" to exist),
"kill_on_put" (optional n: SIGKILL this process on the n-th index record, after that row's entry is written and
before its record is: the worst moment), "out" (where the summary JSON goes)}.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from core.datasets import read_manifest  # noqa: E402
from core.render import RenderCache, RenderConfig  # noqa: E402
from core.render.cache_index import CacheIndex  # noqa: E402


def main(spec_file: str) -> None:
    spec = json.loads(Path(spec_file).read_text())
    rows = read_manifest(spec["manifest"])
    cache = RenderCache(spec["cache"], RenderConfig.from_dict(spec["config"]))
    delay = float(spec.get("delay", 0.0))
    real_render = RenderCache.render_path

    def slow_render(self, path, kind, orientation=""):
        time.sleep(delay)
        return real_render(self, path, kind, orientation)

    RenderCache.render_path = slow_render
    kill_on = spec.get("kill_on_put")
    if kill_on:
        real_put = CacheIndex.put
        puts = {"n": 0}

        def put_then_die(self, path, entry):
            puts["n"] += 1
            if puts["n"] == kill_on:
                os.kill(os.getpid(), signal.SIGKILL)
            return real_put(self, path, entry)

        CacheIndex.put = put_then_die
    if spec.get("ready"):
        Path(spec["ready"]).touch()
    if spec.get("go"):
        while not Path(spec["go"]).exists():
            time.sleep(0.005)
    start = time.perf_counter()
    summary = cache.render_manifest(rows, progress=False)
    result = {"rendered": summary.rendered, "cached": summary.cached, "shared": summary.shared,
              "failed": [list(f) for f in summary.failed], "total": summary.total,
              "seconds": time.perf_counter() - start}
    Path(spec["out"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])

"""Entry point of the workstation bundle (``smile-vlm-analyzer``, built by packaging/build.py).

    smile-vlm-analyzer [PATH] [app options]   the desktop app (app.main); on the first start the demo shipped in the
                                              bundle is copied into the user's data folder (core.bundle.install_demo)
    smile-vlm-analyzer --self-test [options]  analyse a demo scan without a window, print the probabilities and the
                                              device, exit 0 (passed) / 1 (failed, reason on stderr); no Qt is loaded
    smile-vlm-analyzer --check-gl             report whether OpenGL can draw the 3D view
    smile-vlm-analyzer -m core[.MODULE] ARGS  run a module of the engine like ``python -m`` does: the app starts its
                                              first run (``-m core.firstrun``) and its training runs (``-m core``)
                                              as ``sys.executable -m ...``, and inside the bundle sys.executable is
                                              this program
"""

from __future__ import annotations

import multiprocessing
import sys

SELF_TEST = "--self-test"


def data_dir_option(argv: list[str]) -> str:
    """The value of the app's ``--data-dir`` option in ``argv`` ('' when absent)."""
    for i, arg in enumerate(argv):
        if arg == "--data-dir" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--data-dir="):
            return arg.split("=", 1)[1]
    return ""


def run_module(argv: list[str]) -> int:
    """``-m MODULE ARGS``: run MODULE (only the engine's modules, ``core`` and below) as ``__main__``."""
    import runpy

    if len(argv) < 2 or not (argv[1] == "core" or argv[1].startswith("core.")):
        print("smile-vlm-analyzer: -m runs the engine's modules only (core, core.firstrun, ...)", file=sys.stderr)
        return 2
    sys.argv = [argv[1], *argv[2:]]
    try:
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    return 0


def install_bundled_demo(argv: list[str]) -> None:
    """Copy the shipped demo into the user's data folder unless a complete one is there; a failure (read-only
    home, full disk) is reported and the app starts anyway (it then offers to build the demo itself)."""
    from core.bundle import install_demo
    from core.firstrun import data_dir

    target = data_dir(data_dir_option(argv) or None)
    try:
        if install_demo(target):
            print(f"SMILE-VLM Analyzer: installed the demo into {target}", file=sys.stderr, flush=True)
    except OSError as exc:
        print(f"SMILE-VLM Analyzer: could not install the bundled demo into {target}: {exc}", file=sys.stderr,
              flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == SELF_TEST:
        from core.selftest import main as self_test

        return self_test(argv[1:])
    if argv and argv[0] == "-m":
        return run_module(argv)
    from app.gl_check import display_problem  # no Qt loaded yet

    if not display_problem() and "--check-gl" not in argv and not any(a in ("-h", "--help") for a in argv):
        install_bundled_demo(argv)
    from app.main import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())

"""`smile-vlm` command line. Each subcommand lives in its own module of this package and exposes
``register(subparsers)``; the handler turns the parsed arguments into a frozen config dataclass
before calling into core, so no argparse namespace ever reaches an engine module."""

from __future__ import annotations

import argparse
import importlib
import sys

from core.errors import describe_os_error, printable

# Subcommand modules, in the order they appear in --help.
COMMANDS = ["index", "render", "synth", "pretrain", "build-model", "predict", "explain", "app", "benchmark"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smile-vlm",
        description="SMILE-VLM Analyzer: multi-view vision-language 3D/4D facial expression analysis.",
    )
    from core import __version__

    parser.add_argument("--version", action="version", version=f"smile-vlm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"core.cli.{name.replace('-', '_')}_cmd").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    _printable_streams()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except ValueError as exc:  # ScanError is a ValueError
        message = printable(exc)
    except OSError as exc:  # a full disk, a read-only or vanished folder, ...: one line, not a traceback
        # ours (FileNotFoundError("x: config file not found")) carry no errno and are already a sentence
        message = describe_os_error(exc) if exc.errno is not None else printable(exc)
    except RecursionError:
        message = "input nested too deeply"
    print(f"smile-vlm {args.command}: error: {message}", file=sys.stderr)
    return 1


def _printable_streams() -> None:
    """Let stdout and stderr print any file name: under a UTF-8 locale Python refuses the surrogate escapes of a
    name that is not valid UTF-8 (UnicodeEncodeError while reporting it); write those as backslash escapes."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (AttributeError, ValueError, OSError):
                pass


if __name__ == "__main__":
    sys.exit(main())

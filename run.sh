#!/usr/bin/env bash
# SMILE-VLM Analyzer: one script does all set-up on a fresh Debian/Ubuntu machine.
#   ./run.sh            set up, then run the main job (see README)
#   ./run.sh test       set up, then run the test suite headless (what CI runs)
#   ./run.sh setup      set up only
# Set-up: system libraries for Qt/VTK (apt-get when root, else the exact command is printed),
# a .venv with Python 3.11, and the project installed into it (re-installed only when pyproject.toml changes).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

SYS_PKGS=(xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
          libxcb-xinerama0 libxcb-xkb1 libxcb-shape0 libxcb-randr0 libegl1 libgl1)

system_libs() {
    command -v dpkg-query >/dev/null 2>&1 || { echo "run.sh: not a Debian/Ubuntu system; install the equivalents of: ${SYS_PKGS[*]}" >&2; return 0; }
    local missing=()
    for p in "${SYS_PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        echo "run.sh: installing system libraries: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "run.sh: these system libraries are missing; install them, then run again:" >&2
        echo "    sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
}

find_python() {
    for c in python3.11 python3; do
        if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            echo "$c"; return 0
        fi
    done
    echo "run.sh: Python 3.11 is required (python3.11 not found)" >&2; exit 1
}

venv() {
    local py stamp want
    py=$(find_python)
    [ -x .venv/bin/python ] || "$py" -m venv .venv
    want=$(sha256sum pyproject.toml | cut -c1-16)
    stamp=.venv/.smile-vlm-installed
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "run.sh: installing the project into .venv (first time: a few minutes)"
        .venv/bin/python -m pip install -q --upgrade pip
        .venv/bin/python -m pip install -q -e ".[dev]"
        echo "$want" > "$stamp"
    fi
}

setup() { system_libs; venv; }

cmd=${1:-main}
case "$cmd" in
    setup) setup ;;
    test)
        setup; shift || true
        .venv/bin/lint-imports
        xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m pytest "$@"
        ;;
    bundle)
        setup; shift || true
        .venv/bin/python packaging/build.py "$@"
        ;;
    main)
        setup; shift || true
        if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
            # The app builds the demo (synthetic scans + a small model trained on them) on its first start.
            exec "$ROOT/.venv/bin/smile-vlm" app "$@"
        fi
        echo "run.sh: no display: building the demo and analysing it on the command line (the app needs a desktop)"
        "$ROOT/.venv/bin/python" -m core.firstrun
        # Zero-shot analysis of one demo scan per expression and of the demo's 4D sequences.
        mapfile -t demo < <("$ROOT/.venv/bin/python" - <<'PY'
from core.datasets import read_manifest
from core.firstrun import DemoPaths, data_dir
paths = DemoPaths(data_dir())
print(paths.checkpoint)
seen = set()
for row in read_manifest(paths.manifest):
    if (row.kind, row.label) not in seen and row.label != "neutral":
        seen.add((row.kind, row.label))
        print(row.path)
PY
)
        exec "$ROOT/.venv/bin/smile-vlm" predict --checkpoint "${demo[0]}" "${demo[@]:1}"
        ;;
    *) echo "usage: ./run.sh [test|setup]" >&2; exit 2 ;;
esac

"""OpenGL check at start-up: the 3D viewer (VTK 9) needs an OpenGL 3.2 context; say clearly when there is none.

Before the main window is created, :func:`probe` makes a 3.2 core-profile context on an offscreen surface and reads
the version the driver really gave. :func:`gl_verdict` (pure, unit-tested) decides: fine; too old or no context and
a software renderer not tried yet (Linux: Mesa llvmpipe via LIBGL_ALWAYS_SOFTWARE; Windows: QT_OPENGL=software), in
which case the app restarts itself once with that environment (the variable SMILE_VLM_GL_FALLBACK marks the restart,
so it cannot loop); or still failing, in which case a message box (and stderr) says what is wrong and what to do.
Remote desktop sessions often offer only OpenGL 1.1-2.1: that is the usual cause.

$SMILE_VLM_SKIP_GL_CHECK=1 skips the check. ``--check-gl`` prints the probe and the verdict and exits (0 usable).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

#: The OpenGL version VTK 9's renderer needs.
MIN_VERSION = (3, 2)
#: Set in the restarted process's environment: the software renderer has been tried.
ENV_FALLBACK = "SMILE_VLM_GL_FALLBACK"
#: Set to 1 to skip the check.
ENV_SKIP = "SMILE_VLM_SKIP_GL_CHECK"
#: Qt platforms that draw no window on a screen: nothing to check.
HEADLESS_PLATFORMS = ("offscreen", "minimal")
#: Renderer names (lower case) of software rasterisers.
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "software rasterizer", "gdi generic",
                      "microsoft basic render")
#: What to do when nothing worked, per platform (sys.platform prefix).
ADVICE = {
    "linux": ("Install or update the graphics driver (for software rendering, Mesa: "
              "sudo apt-get install libgl1-mesa-dri libegl1). Over remote desktop, use a session with "
              "OpenGL 3.2 or newer (e.g. VirtualGL, or a GPU-accelerated remote desktop) or the workstation's own "
              "screen."),
    "win32": ("Update the graphics driver. Over Remote Desktop, ask IT to enable the group policy \"Use hardware "
              "graphics adapters for all Remote Desktop Services sessions\", or use the workstation's own screen."),
    "darwin": "Update macOS, or use the computer's own screen rather than a remote session.",
}
SELF_TEST_HINT = "The analysis itself can be checked without a window: smile-vlm-analyzer --self-test."


@dataclass(frozen=True)
class GLInfo:
    """What the probe found: version (major, minor) or None when no context could be made; the driver's strings."""

    version: tuple[int, int] | None
    vendor: str = ""
    renderer: str = ""
    version_string: str = ""
    error: str = ""


@dataclass(frozen=True)
class GLVerdict:
    """ok: the viewer can draw; software: the renderer is a software rasteriser; retry_software: restart with the
    software renderer; message: one paragraph for the user (what was found, what is wrong, what to do)."""

    ok: bool
    message: str
    software: bool = False
    retry_software: bool = False


def _platform_key(platform: str) -> str:
    return next((key for key in ADVICE if platform.startswith(key)), "")


def software_environment(platform: str = sys.platform) -> dict[str, str]:
    """Environment variables that select the platform's software OpenGL ({} when it offers none)."""
    key = _platform_key(platform)
    if key == "linux":
        # Mesa's llvmpipe, also when libglvnd would pick the NVIDIA driver's GLX.
        return {"LIBGL_ALWAYS_SOFTWARE": "1", "GALLIUM_DRIVER": "llvmpipe", "__GLX_VENDOR_LIBRARY_NAME": "mesa"}
    if key == "win32":
        return {"QT_OPENGL": "software"}
    return {}


def gl_verdict(info: GLInfo, platform: str = sys.platform, fallback_tried: bool = False) -> GLVerdict:
    """The decision for ``info`` on ``platform``; ``fallback_tried``: this process already runs the software
    renderer after a restart."""
    renderer = info.renderer or "unknown renderer"
    software = any(name in info.renderer.lower() for name in SOFTWARE_RENDERERS)
    want = f"{MIN_VERSION[0]}.{MIN_VERSION[1]}"
    if info.version is not None and tuple(info.version) >= MIN_VERSION:
        found = f"OpenGL {info.version[0]}.{info.version[1]} ({renderer})"
        if software:
            return GLVerdict(True, f"{found}: software rendering, the 3D view works but is slower", software=True)
        return GLVerdict(True, found)
    if info.version is None:
        problem = "No OpenGL context could be created" + (f" ({info.error})." if info.error else ".")
    else:
        problem = (f"The graphics driver offers only OpenGL {info.version[0]}.{info.version[1]} ({renderer}); "
                   f"the 3D viewer needs OpenGL {want} or newer.")
    if software_environment(platform) and not fallback_tried:
        return GLVerdict(False, f"{problem} Trying software rendering.", software, retry_software=True)
    tried = " Software rendering did not help either." if fallback_tried else ""
    advice = ADVICE.get(_platform_key(platform), "Install or update the graphics driver.")
    return GLVerdict(False, f"{problem}{tried} {advice} {SELF_TEST_HINT}", software)


def display_problem(environ=None, platform: str = sys.platform) -> str:
    """Why no window can be shown ('' when one can): on Linux, no X11/Wayland display and no Qt platform chosen."""
    env = os.environ if environ is None else environ
    if not platform.startswith("linux") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") \
            or env.get("QT_QPA_PLATFORM"):
        return ""
    return ("No display: the SMILE-VLM Analyzer window needs a desktop session (DISPLAY or WAYLAND_DISPLAY is not "
            f"set). Start it from the desktop, or over SSH with X forwarding (ssh -X). {SELF_TEST_HINT}")


def probe() -> GLInfo:
    """Make an OpenGL 3.2 core context on an offscreen surface (a QGuiApplication must exist) and read it back."""
    from PySide6.QtGui import QOffscreenSurface, QOpenGLContext, QSurfaceFormat

    fmt = QSurfaceFormat()
    fmt.setVersion(*MIN_VERSION)
    fmt.setProfile(QSurfaceFormat.CoreProfile)
    context = QOpenGLContext()
    context.setFormat(fmt)
    if not context.create():
        return GLInfo(None, error="the graphics driver refused to create an OpenGL context")
    surface = QOffscreenSurface()
    surface.setFormat(context.format())
    surface.create()
    try:
        if not surface.isValid() or not context.makeCurrent(surface):
            return GLInfo(None, error="an OpenGL context was created but could not be made current")
        got = context.format()
        functions = context.functions()
        strings = [str(functions.glGetString(name) or "") for name in (0x1F00, 0x1F01, 0x1F02)]
        context.doneCurrent()
        return GLInfo((got.majorVersion(), got.minorVersion()), *strings)
    finally:
        surface.destroy()


def check_opengl(platform_name: str) -> GLVerdict | None:
    """The verdict for this process (None when skipped: $SMILE_VLM_SKIP_GL_CHECK, or a headless Qt platform)."""
    if os.environ.get(ENV_SKIP, "").strip() not in ("", "0") or platform_name in HEADLESS_PLATFORMS:
        return None
    return gl_verdict(probe(), sys.platform, fallback_tried=bool(os.environ.get(ENV_FALLBACK)))


def restart_command() -> list[str]:
    """The command line that started this process (the bundle's executable, or the Python interpreter's)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, *sys.argv[1:]]
    return [sys.executable, *sys.orig_argv[1:]]


def restart_with_software_rendering() -> int:
    """Run this program again with the software renderer (POSIX: replaces this process); its exit status."""
    env = {**os.environ, **software_environment(), ENV_FALLBACK: "1"}
    cmd = restart_command()
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(cmd[0], cmd, env)
    return subprocess.call(cmd, env=env)


def show_failure(message: str) -> None:
    """The message on stderr and in a message box (drawn without OpenGL)."""
    print(f"SMILE-VLM Analyzer: {message}", file=sys.stderr, flush=True)
    from PySide6.QtWidgets import QApplication, QMessageBox

    if QApplication.instance() is not None:
        QMessageBox.critical(None, "SMILE-VLM Analyzer: OpenGL", message)


def report() -> int:
    """``--check-gl``: print the probe and the verdict; 0 when the viewer can draw."""
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    if app.platformName() in HEADLESS_PLATFORMS:
        print(f"Qt platform {app.platformName()!r} shows no windows: nothing to check")
        return 0
    info = probe()
    verdict = gl_verdict(info, sys.platform, fallback_tried=bool(os.environ.get(ENV_FALLBACK)))
    print(f"platform:  {app.platformName()}\nvendor:    {info.vendor}\nrenderer:  {info.renderer}\n"
          f"version:   {info.version_string or info.error}\nverdict:   {'ok' if verdict.ok else 'NOT USABLE'}\n"
          f"{verdict.message}")
    if verdict.retry_software:
        env = " ".join(f"{k}={v}" for k, v in software_environment().items())
        print(f"The app restarts itself with {env}.")
    return 0 if verdict.ok else 1

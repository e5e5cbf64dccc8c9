"""app.gl_check: the verdict (pure), the display check, the software-rendering restart, and a real probe under the
test's Qt platform (Xvfb + Mesa in CI, or offscreen)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import gl_check
from app.gl_check import GLInfo, gl_verdict

NVIDIA = GLInfo((4, 6), "NVIDIA Corporation", "NVIDIA RTX A4000/PCIe/SSE2", "4.6.0 NVIDIA 550.54")
LLVMPIPE = GLInfo((4, 5), "Mesa", "llvmpipe (LLVM 15.0.7, 256 bits)", "4.5 (Core Profile) Mesa 23.2.1")
RDP = GLInfo((1, 1), "Microsoft Corporation", "GDI Generic", "1.1.0")
OLD_INTEL = GLInfo((2, 1), "Intel", "Mesa DRI Intel(R) G41", "2.1 Mesa 20.0")


def test_hardware_opengl_is_fine():
    verdict = gl_verdict(NVIDIA, "linux")
    assert verdict.ok and not verdict.software and not verdict.retry_software
    assert verdict.message == "OpenGL 4.6 (NVIDIA RTX A4000/PCIe/SSE2)"
    assert gl_verdict(GLInfo((3, 2), renderer="x"), "win32").ok  # the minimum is enough


def test_software_opengl_works_but_says_so():
    verdict = gl_verdict(LLVMPIPE, "linux", fallback_tried=True)
    assert verdict.ok and verdict.software and not verdict.retry_software
    assert "software rendering" in verdict.message and "llvmpipe" in verdict.message


@pytest.mark.parametrize("platform, env", [("linux", "LIBGL_ALWAYS_SOFTWARE"), ("win32", "QT_OPENGL")])
def test_too_old_first_tries_software_rendering(platform, env):
    verdict = gl_verdict(OLD_INTEL, platform)
    assert not verdict.ok and verdict.retry_software
    assert "offers only OpenGL 2.1 (Mesa DRI Intel(R) G41)" in verdict.message and "needs OpenGL 3.2" in verdict.message
    assert verdict.message.endswith("Trying software rendering.")
    assert env in gl_check.software_environment(platform)


def test_still_failing_after_the_fallback_says_what_to_do():
    verdict = gl_verdict(RDP, "win32", fallback_tried=True)
    assert not verdict.ok and not verdict.retry_software and verdict.software  # GDI Generic is a software renderer
    assert "OpenGL 1.1 (GDI Generic)" in verdict.message
    assert "Software rendering did not help either." in verdict.message
    assert "Remote Desktop" in verdict.message and "--self-test" in verdict.message


def test_no_context_at_all():
    info = GLInfo(None, error="the graphics driver refused to create an OpenGL context")
    first = gl_verdict(info, "linux")
    assert first.retry_software and first.message.startswith(
        "No OpenGL context could be created (the graphics driver refused to create an OpenGL context).")
    last = gl_verdict(info, "linux", fallback_tried=True)
    assert not last.ok and not last.retry_software
    assert "sudo apt-get install libgl1-mesa-dri libegl1" in last.message


def test_a_platform_without_software_opengl_goes_straight_to_the_advice():
    verdict = gl_verdict(GLInfo(None), "darwin")
    assert not verdict.ok and not verdict.retry_software
    assert "No OpenGL context could be created." in verdict.message and "macOS" in verdict.message
    unknown = gl_verdict(GLInfo((2, 0), renderer="r"), "sunos5")
    assert not unknown.retry_software and "Install or update the graphics driver." in unknown.message


def test_software_environment_per_platform():
    assert gl_check.software_environment("linux") == {
        "LIBGL_ALWAYS_SOFTWARE": "1", "GALLIUM_DRIVER": "llvmpipe", "__GLX_VENDOR_LIBRARY_NAME": "mesa"}
    assert gl_check.software_environment("win32") == {"QT_OPENGL": "software"}
    assert gl_check.software_environment("darwin") == {}


def test_display_problem():
    assert "DISPLAY or WAYLAND_DISPLAY is not set" in gl_check.display_problem({}, "linux")
    assert "ssh -X" in gl_check.display_problem({}, "linux")
    for env in ({"DISPLAY": ":0"}, {"WAYLAND_DISPLAY": "wayland-0"}, {"QT_QPA_PLATFORM": "offscreen"}):
        assert gl_check.display_problem(env, "linux") == ""
    assert gl_check.display_problem({}, "win32") == ""  # Windows and macOS always have a screen session


def test_check_is_skipped_when_asked_or_headless(monkeypatch):
    monkeypatch.setenv(gl_check.ENV_SKIP, "1")
    assert gl_check.check_opengl("xcb") is None
    monkeypatch.delenv(gl_check.ENV_SKIP)
    assert gl_check.check_opengl("offscreen") is None


class Replaced(Exception):
    """Stands for os.execve, which never returns."""


def test_restart_uses_the_software_renderer_once(monkeypatch):
    calls = []

    def fake_execve(path, argv, env):
        calls.append((path, argv, env))
        raise Replaced

    def fake_call(argv, env):
        calls.append((argv[0], argv, env))
        return 0

    monkeypatch.delenv(gl_check.ENV_FALLBACK, raising=False)
    monkeypatch.setattr(os, "execve", fake_execve)
    monkeypatch.setattr(gl_check.subprocess, "call", fake_call)  # never start this test run again
    try:
        gl_check.restart_with_software_rendering()
    except Replaced:
        pass
    (path, argv, env), = calls
    assert path == sys.executable and argv == gl_check.restart_command()
    assert env[gl_check.ENV_FALLBACK] == "1"  # the restarted process knows, so it cannot loop
    assert all(env[k] == v for k, v in gl_check.software_environment().items())


def test_restart_command_of_a_bundle(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "argv", ["/opt/smile-vlm-analyzer/smile-vlm-analyzer", "scan.wrl"])
    monkeypatch.setattr(sys, "executable", "/opt/smile-vlm-analyzer/smile-vlm-analyzer")
    assert gl_check.restart_command() == ["/opt/smile-vlm-analyzer/smile-vlm-analyzer", "scan.wrl"]


def test_check_gl_reports_the_real_context():
    """``python -m app --check-gl`` probes a real context under the test's platform (Xvfb + Mesa in CI) and prints
    the driver's strings and the verdict. It runs in a child process: a GL context made inside the test process
    shares Mesa's state with the VTK windows of later tests, which crashed the test run."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, gl_check.ENV_FALLBACK: "1"}
    env.pop(gl_check.ENV_SKIP, None)
    proc = subprocess.run([sys.executable, "-m", "app", "--check-gl"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=180)
    out = proc.stdout + proc.stderr
    if gl_check.display_problem(env):
        assert proc.returncode == 2 and "No display" in out
    elif "shows no windows" in out:
        assert proc.returncode == 0
    else:
        assert "renderer:" in out and "version:" in out and "verdict:" in out, out
        usable = "verdict:   ok" in out
        assert proc.returncode == (0 if usable else 1), out
        if not usable:
            assert "OpenGL" in out and gl_check.SELF_TEST_HINT in out

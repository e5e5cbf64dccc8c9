"""app.main.configure_torch: after it, a VTK/OpenGL context may come before torch._dynamo (which the model-loading
worker imports later). Without triton loaded first, that order segfaults with Mesa (exit -11)."""

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import sys
    from app.main import configure_torch
    configure_torch()
    import numpy as np
    from core.render.backend import thread_renderer
    from core.scans.standin import stand_in_face
    face = stand_in_face(0.1, 12)
    r = thread_renderer()
    r.set_geometry(face.vertices, face.faces)
    r.set_colours()
    r.render(np.eye(3), 32, 1.0)  # an OpenGL context now exists
    import torch._dynamo  # noqa: F401
    print("ok", "triton" in sys.modules and sys.modules["triton"] is not None)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Mesa/LLVM clash is a Linux matter")
def test_opengl_context_before_torch_dynamo_is_safe_after_configure_torch():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout}\n{out.stderr[-2000:]}"
    assert out.stdout.strip().startswith("ok")

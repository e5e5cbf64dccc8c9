"""The offscreen VTK renderer behind :func:`core.render.render_views`: one window per thread, reused.

The window draws an unlit, per-vertex-coloured mesh (or point splats) with an orthographic camera and
reads the RGB pixels back. Everything that costs time on a software OpenGL (Mesa llvmpipe) is set up
once: multisampling is off (the default 8x MSAA made a 112 px render ~3x slower), the mapper is static
(it does not re-run the pipeline on every Render, ~1.4x faster), lighting is off (colours are the
channels themselves), and the pixel readback goes into one reused ``vtkUnsignedCharArray`` through
``GetPixelData`` (RGB, no alpha). When only the data change, the numpy buffers behind the VTK arrays
are overwritten in place and marked modified instead of rebuilding the pipeline.

Threading: VTK/OpenGL contexts belong to a thread, so :func:`thread_renderer` keeps one
:class:`OffscreenRenderer` per thread (``threading.local``); the same thread always gets the same one,
and it is released when the thread ends. Use a renderer only in the thread that created it.
"""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (registers the OpenGL implementations)
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonCore import VTK_ID_TYPE, vtkPoints, vtkUnsignedCharArray
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper, vtkRenderer, vtkRenderWindow

_local = threading.local()

# VTK objects of renderers released by a thread other than the one that created them. Finalising an
# OpenGL window from a foreign thread breaks that thread's own current context (its renders come out
# blank), so such objects are parked here instead, never finalised. Only happens when a reference to a
# renderer outlives its thread; the usual per-thread renderers die in their own thread.
_foreign_released: list[dict] = []

#: Largest splat diameter in pixels for point clouds.
MAX_POINT_SIZE = 16.0


def _new_window() -> vtkRenderWindow:
    """An offscreen render window: EGL directly on a Linux machine without a display (this skips VTK's
    failed X connection attempt and its warning), VTK's platform default otherwise."""
    window = None
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        egl = getattr(vtkmodules.vtkRenderingOpenGL2, "vtkEGLRenderWindow", None)
        if egl is not None:
            window = egl()
    if window is None:
        window = vtkRenderWindow()
    window.SetOffScreenRendering(1)
    window.SetMultiSamples(0)
    window.SetAlphaBitPlanes(0)
    if hasattr(window, "SupportsOpenGL") and not window.SupportsOpenGL():
        raise RuntimeError(
            f"offscreen rendering is not available ({window.GetClassName()}): no usable OpenGL "
            "(install Mesa's libEGL/libGL, or run under a display / xvfb-run)"
        )
    return window


class OffscreenRenderer:
    """A reusable offscreen window drawing one coloured mesh or point cloud.

    Usage per scan: :meth:`set_geometry` once, then per view :meth:`set_colours` + :meth:`render`.
    Geometry is in world units; the camera is orthographic (see :meth:`render`).
    """

    def __init__(self) -> None:
        self._owner = threading.get_ident()
        self.window = _new_window()
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(0.0, 0.0, 0.0)
        self.renderer.SetAutomaticLightCreation(0)
        self.renderer.RemoveAllLights()
        self.window.AddRenderer(self.renderer)
        self._size = 0

        self._points = vtkPoints()
        self._polydata = vtkPolyData()
        self._polydata.SetPoints(self._points)
        self._mapper = vtkPolyDataMapper()
        self._mapper.SetInputData(self._polydata)
        self._mapper.SetColorModeToDirectScalars()
        self._mapper.SetScalarModeToUsePointData()
        self._mapper.ScalarVisibilityOn()
        self._mapper.StaticOn()
        self._actor = vtkActor()
        self._actor.SetMapper(self._mapper)
        prop = self._actor.GetProperty()
        prop.LightingOff()
        prop.SetAmbient(1.0)
        prop.SetDiffuse(0.0)
        prop.SetSpecular(0.0)
        self.renderer.AddActor(self._actor)
        self._camera = self.renderer.GetActiveCamera()
        self._camera.ParallelProjectionOn()

        self._pixels = vtkUnsignedCharArray()
        # numpy buffers that back the VTK arrays (kept alive here; VTK does not own them)
        self._xyz: np.ndarray | None = None
        self._rgb: np.ndarray | None = None
        self._rgb_vtk = None
        self._faces: np.ndarray | None = None
        self._is_points: bool | None = None
        self._n_vertices = -1
        self._cell_buffers: tuple = ()

    def __del__(self) -> None:
        if threading.get_ident() != getattr(self, "_owner", threading.get_ident()):
            _foreign_released.append(dict(self.__dict__))

    # -- data -------------------------------------------------------------------------------------------
    def set_geometry(self, vertices: np.ndarray, faces: np.ndarray | None, point_size: float = 1.0) -> None:
        """Load (V, 3) vertices and (F, 3) triangles, or ``faces=None`` for a point cloud drawn as round
        splats of ``point_size`` pixels. Arrays are updated in place when the vertex count (and the
        triangle list) is unchanged, as for the frames of a 4D sequence with fixed topology."""
        v = np.asarray(vertices, dtype=np.float32)
        n = len(v)
        if n != self._n_vertices:
            self._xyz = np.array(v, dtype=np.float32, order="C")
            self._points.SetData(numpy_to_vtk(self._xyz, deep=False))
            self._rgb = np.zeros((n, 3), dtype=np.uint8)
            self._rgb_vtk = numpy_to_vtk(self._rgb, deep=False)
            self._rgb_vtk.SetName("channels")
            self._polydata.GetPointData().SetScalars(self._rgb_vtk)
            self._n_vertices = n
            self._faces = None
            self._is_points = None
        else:
            np.copyto(self._xyz, v)
            self._points.GetData().Modified()
            self._points.Modified()

        is_points = faces is None or len(faces) == 0
        if is_points:
            if self._is_points is not True:
                conn = np.arange(n, dtype=np.int64)
                self._set_cells(conn, 1, verts=True)
                self._is_points = True
                self._faces = None
            prop = self._actor.GetProperty()
            prop.SetRepresentationToPoints()
            prop.RenderPointsAsSpheresOn()
            prop.SetPointSize(float(np.clip(point_size, 1.0, MAX_POINT_SIZE)))
        else:
            f = np.asarray(faces, dtype=np.int64)
            if self._is_points is not False or self._faces is None or not (
                self._faces.shape == f.shape and np.array_equal(self._faces, f)
            ):
                self._faces = np.array(f, order="C")
                self._set_cells(self._faces.ravel(), 3, verts=False)
                self._is_points = False
            prop = self._actor.GetProperty()
            prop.SetRepresentationToSurface()
            prop.RenderPointsAsSpheresOff()
        self._polydata.Modified()

    def _set_cells(self, connectivity: np.ndarray, per_cell: int, verts: bool) -> None:
        offsets = np.arange(0, len(connectivity) + 1, per_cell, dtype=np.int64)
        conn = np.ascontiguousarray(connectivity, dtype=np.int64)
        cells = vtkCellArray()
        cells.SetData(
            numpy_to_vtk(offsets, deep=False, array_type=VTK_ID_TYPE),
            numpy_to_vtk(conn, deep=False, array_type=VTK_ID_TYPE),
        )
        self._cell_buffers = (offsets, conn)
        empty = vtkCellArray()
        if verts:
            self._polydata.SetVerts(cells)
            self._polydata.SetPolys(empty)
        else:
            self._polydata.SetPolys(cells)
            self._polydata.SetVerts(empty)

    def set_colours(self, rgb: np.ndarray | None = None) -> np.ndarray:
        """Per-vertex colours (V, 3) uint8, shown exactly (no lighting, no blending).

        With ``rgb`` None, returns the colour buffer itself after marking it modified: callers may write
        into it directly (before the next :meth:`render`) instead of passing a copy.
        """
        if self._rgb is None:
            raise ValueError("set_geometry must be called before set_colours")
        if rgb is not None:
            if rgb.shape != self._rgb.shape:
                raise ValueError(f"colours must have shape {self._rgb.shape}, got {rgb.shape}")
            np.copyto(self._rgb, rgb, casting="unsafe")
        self._rgb_vtk.Modified()
        return self._rgb

    # -- drawing ----------------------------------------------------------------------------------------
    def render(self, rotation: np.ndarray, size: int, half_height: float, distance: float = 3.0,
               out: np.ndarray | None = None) -> np.ndarray:
        """Draw with an orthographic camera and return the image (size, size, 3) uint8, row 0 at the top.

        rotation (3, 3): camera-to-world rotation; its columns are the camera's right, up and backward
        axes, so the camera sits at ``distance * rotation[:, 2]`` looking at the origin. half_height: half
        of the visible height in world units (VTK's parallel scale). ``out`` (size, size, 3) uint8 is filled
        and returned when given.
        """
        if size != self._size:
            self.window.SetSize(size, size)
            self._size = size
        r = np.asarray(rotation, dtype=np.float64)
        cam = self._camera
        cam.SetFocalPoint(0.0, 0.0, 0.0)
        cam.SetPosition(*(distance * r[:, 2]))
        cam.SetViewUp(*r[:, 1])
        cam.SetParallelScale(half_height)
        cam.SetClippingRange(max(distance - 2.0, 1e-3), distance + 2.0)
        self.window.Render()
        self.window.GetPixelData(0, 0, size - 1, size - 1, 0, self._pixels, 0)
        flat = vtk_to_numpy(self._pixels)
        img = flat.reshape(size, size, 3)[::-1]  # OpenGL rows run bottom to top
        if out is None:
            return img.copy()
        np.copyto(out, img)
        return out


def thread_renderer() -> OffscreenRenderer:
    """The calling thread's renderer, created on first use and reused afterwards."""
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        renderer = OffscreenRenderer()
        _local.renderer = renderer
    return renderer

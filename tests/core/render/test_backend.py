from __future__ import annotations

import gc
import threading

import numpy as np

from core.render import render_views, thread_renderer
from core.render.views import camera_rotation


def _square(z=0.0):
    v = np.array([[-0.3, -0.3, z], [0.3, -0.3, z], [0.3, 0.3, z], [-0.3, 0.3, z]], dtype=np.float32)
    return v, np.array([[0, 1, 2], [0, 2, 3]])


def test_colours_are_drawn_exactly_on_a_black_background():
    r = thread_renderer()
    v, f = _square()
    r.set_geometry(v, f)
    r.set_colours(np.tile(np.array([[10, 200, 77]], np.uint8), (4, 1)))
    img = r.render(camera_rotation(0), 32, 0.5)
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    assert np.array_equal(img[16, 16], [10, 200, 77])
    assert np.all(img[0, 0] == 0) and np.all(img[-1, -1] == 0)
    # the square spans 0.6 of the 1.0-unit view: about 19 of 32 pixels per side
    assert abs(int((img[..., 1] > 0).sum()) - 19 * 19) < 3 * 19


def test_rows_run_top_to_bottom_and_columns_left_to_right():
    r = thread_renderer()
    v, f = _square()
    r.set_geometry(v, f)
    colours = np.array([[0, 0, 0], [255, 0, 0], [255, 255, 0], [0, 255, 0]], np.uint8)  # R grows with x, G with y
    r.set_colours(colours)
    img = r.render(camera_rotation(0), 32, 0.5).astype(int)
    assert img[16, 22, 0] > img[16, 10, 0]  # +x on the right
    assert img[10, 16, 1] > img[22, 16, 1]  # +y at the top


def test_geometry_arrays_are_updated_in_place():
    r = thread_renderer()
    v, f = _square()
    r.set_geometry(v, f)
    buffer, cells = r._xyz, r._cell_buffers
    r.set_colours(np.full((4, 3), 255, np.uint8))
    small = r.render(camera_rotation(0), 32, 0.5)
    r.set_geometry(v * 0.5, f)  # same vertex count and triangles: same buffers, new data drawn
    assert r._xyz is buffer and r._cell_buffers is cells
    r.set_colours(np.full((4, 3), 255, np.uint8))
    smaller = r.render(camera_rotation(0), 32, 0.5)
    assert (smaller[..., 0] > 0).sum() < 0.5 * (small[..., 0] > 0).sum()


def test_same_window_is_reused_across_calls_and_sizes(symmetric_face):
    render_views(symmetric_face, yaws=(0,), size=32)
    renderer, window = thread_renderer(), thread_renderer().window
    render_views(symmetric_face, yaws=(0, 30), size=48)
    assert thread_renderer() is renderer and thread_renderer().window is window
    assert window.GetSize()[0] == 48


def test_each_thread_gets_its_own_renderer(symmetric_face):
    main_image = render_views(symmetric_face, yaws=(0,), size=32)
    seen = {}

    def work():
        seen["image"] = render_views(symmetric_face, yaws=(0,), size=32)
        seen["renderer"] = thread_renderer()
        seen["again"] = thread_renderer()

    t = threading.Thread(target=work)
    t.start()
    t.join(timeout=60)
    assert seen["renderer"] is seen["again"]
    assert seen["renderer"] is not thread_renderer()
    assert np.array_equal(seen["image"], main_image)
    # the thread's renderer, released here in the main thread, must not break the main thread's one
    seen.clear()
    gc.collect()
    assert np.array_equal(render_views(symmetric_face, yaws=(0,), size=32), main_image)

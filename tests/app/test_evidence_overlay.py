"""app.widgets.evidence_overlay: the evidence coloured onto the viewer's mesh or point cloud with a labelled colour
bar naming the class; hiding it restores the normal look exactly; a 4D sequence's map on the first frame."""

import numpy as np
import pytest

from app.widgets.evidence_overlay import EVIDENCE_ARRAY, UNSEEN_COLOUR
from core.explain import saliency
from core.scans import Scan

from .conftest import face


def _picture(viewer) -> np.ndarray:
    viewer.plotter.render()
    return np.asarray(viewer.plotter.screenshot(None, return_img=True)).copy()


def _mapper_state(viewer) -> tuple:
    m = viewer.actor.GetMapper()
    return (m.GetScalarVisibility(), m.GetScalarMode(), m.GetArrayName(), m.GetScalarRange(), m.GetColorMode(),
            m.GetLookupTable(), m.GetInterpolateScalarsBeforeMapping())


def test_the_map_shows_with_a_titled_bar_and_hiding_restores_the_look_exactly(viewer, analyzer, qtbot):
    scan = face(0.1, n=20)
    viewer.show_scan(scan)
    before, state, info = _picture(viewer), _mapper_state(viewer), viewer.info.text()
    label = analyzer.labels[2]
    result = saliency(analyzer, scan, label)
    with qtbot.waitSignal(viewer.evidence.shownChanged, check_params_cb=lambda on: on):
        viewer.evidence.show(result)
    overlay = viewer.evidence
    assert overlay.shown and overlay.coloured and overlay.title() == f"Evidence for {label}"
    assert overlay.bar.GetVisibility() and overlay.bar.GetLookupTable().GetAnnotation(1) == "1 = strongest"
    values = viewer.evidence.drawn_values()
    assert np.array_equal(np.isnan(values), ~result.seen)  # no view sees them: NaN, drawn grey
    assert np.allclose(values[result.seen], result.values[result.seen])
    assert viewer.actor.GetMapper().GetScalarVisibility() and viewer.actor.GetMapper().GetArrayName() == EVIDENCE_ARRAY
    assert "grey = seen by no view" in viewer.info.text() and "grey" in viewer.info.toolTip()
    coloured = _picture(viewer)
    assert not np.array_equal(coloured, before)
    grey = np.array([int(UNSEEN_COLOUR[i:i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(coloured[..., :3].astype(int) - grey).max(axis=-1) < 40).sum() > 50  # unseen vertices drawn

    other = saliency(analyzer, scan, analyzer.labels[0])  # another class replaces the map and the title
    overlay.show(other)
    assert overlay.title() == f"Evidence for {analyzer.labels[0]}"
    assert len([p for p in viewer.plotter.renderer.GetViewProps() if p is overlay.bar]) == 1

    with qtbot.waitSignal(overlay.shownChanged, check_params_cb=lambda on: not on):
        overlay.hide()
    assert not overlay.shown and overlay.bar is None and overlay.drawn_values() is None
    assert EVIDENCE_ARRAY not in viewer.mesh.point_data  # the scan's own data never carried them
    assert _mapper_state(viewer) == state and viewer.info.text() == info
    assert np.array_equal(_picture(viewer), before)  # exactly the normal look


def test_a_point_cloud_gets_its_points_coloured(viewer, analyzer):
    cloud = Scan(face(0.1, n=20).vertices, None, "cloud")
    viewer.show_scan(cloud)
    before = _picture(viewer)
    result = saliency(analyzer, cloud, analyzer.labels[1])
    viewer.evidence.show(result)
    assert viewer.evidence.coloured and viewer.evidence.drawn_values().shape == (cloud.n_vertices,)
    assert viewer.actor.prop.style == "Points" and not np.array_equal(_picture(viewer), before)
    viewer.evidence.hide()
    assert np.array_equal(_picture(viewer), before)


def test_a_sequence_shows_its_map_on_the_first_frame(viewer, analyzer):
    frames = [face(b) for b in (0.0, 0.1, 0.2)]
    frames.append(face(0.3, n=14))  # a frame with another vertex count
    viewer.show_sequence(frames)
    viewer.set_frame(2)
    result = saliency(analyzer, frames, analyzer.labels[0])
    assert result.input.is_sequence
    viewer.evidence.show(result)
    assert viewer.frame_index == 0 and viewer.evidence.coloured  # the map belongs to the first frame
    viewer.step_frame(1)
    assert viewer.evidence.coloured and viewer.mesh.n_points == frames[0].n_vertices  # same vertices: kept
    assert np.array_equal(viewer.evidence.drawn_values(), viewer.evidence.values, equal_nan=True)
    viewer.set_frame(3)
    assert not viewer.evidence.coloured and not viewer.evidence.bar.GetVisibility()
    assert viewer.evidence.drawn_values() is None
    assert not viewer.actor.GetMapper().GetScalarVisibility()
    assert "first frame only" in viewer.info.text()
    viewer.set_frame(0)
    assert viewer.evidence.coloured and viewer.evidence.bar.GetVisibility()
    assert "grey = seen by no view" in viewer.info.text()


def test_another_scan_drops_the_map_and_a_mismatch_is_refused(viewer, analyzer):
    scan = face(0.1)
    viewer.show_scan(scan)
    result = saliency(analyzer, scan, analyzer.labels[0])
    viewer.evidence.show(result)
    bar = viewer.evidence.bar
    other = face(0.1, n=14)
    viewer.show_scan(other)  # the viewer forgets the overlay with the old actor
    assert not viewer.evidence.shown and bar not in list(viewer.plotter.renderer.GetViewProps())
    assert "grey" not in viewer.info.text()
    with pytest.raises(ValueError, match="values"):
        viewer.evidence.show(result)
    assert not viewer.evidence.shown
    viewer.clear()
    with pytest.raises(ValueError, match="no scan"):
        viewer.evidence.show(result)

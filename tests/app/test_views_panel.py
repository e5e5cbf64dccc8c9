import numpy as np
import pytest

from app.widgets.views_panel import ViewsPanel, view_pixmap, yaw_caption


@pytest.fixture
def panel(qtbot):
    p = ViewsPanel()
    qtbot.addWidget(p)
    p.show()
    yield p
    p.close()


def test_three_views_with_weights(panel):
    rng = np.random.default_rng(0)
    views = rng.integers(0, 255, (3, 32, 32, 3), dtype=np.uint8)
    weights = [0.2, 0.5, 0.3]
    panel.set_views(views, weights, yaws=(-30, 0, 30))
    assert panel.n_views() == 3
    assert sum(panel.weights()) == pytest.approx(1.0)
    assert panel.weight_texts() == ["w<sub>1</sub> = 0.200", "w<sub>2</sub> = 0.500", "w<sub>3</sub> = 0.300"]
    cards = panel._cards[:3]
    assert [c.bar.value() for c in cards] == [200, 500, 300]
    assert [c.caption.text() for c in cards] == [yaw_caption(-30), yaw_caption(0), yaw_caption(30)]
    assert "3 geometry images" in panel.title.text()
    assert not cards[0].image.pixmap().isNull()


def test_dynamic_images_fewer_views_and_pending_weights(panel):
    views = np.zeros((3, 16, 16, 3), np.uint8)
    panel.set_views(views, [1 / 3] * 3, dynamic=True)
    assert "dynamic images (4D)" in panel.title.text()
    panel.set_views(views[:2], None)  # re-used cards; one hidden; weights pending
    assert panel.n_views() == 2 and panel.weights() == []
    assert not panel._cards[2].isVisibleTo(panel)
    assert panel.weight_texts() == ["w = \u2026", "w = \u2026"]
    panel.clear()
    assert panel.n_views() == 0 and panel.hint.isVisibleTo(panel)
    with pytest.raises(ValueError):
        panel.set_views(np.zeros((32, 32, 3), np.uint8))


def test_pixmap_shows_the_pixels(qtbot):
    view = np.zeros((8, 8, 3), np.uint8)
    view[:, :4] = (255, 0, 0)
    image = view_pixmap(view, 16).toImage()
    assert image.width() == 16
    assert image.pixelColor(1, 1).red() == 255 and image.pixelColor(14, 1).red() == 0

from app.widgets.curves import LossCurves, thin


def test_thin_keeps_the_last_point_and_the_limit():
    steps = list(range(1, 10_001))
    xs, ys = thin(steps, [float(s) for s in steps], limit=100)
    assert len(xs) <= 101 and xs[-1] == 10_000 and ys[-1] == 10_000.0 and xs[0] == 1
    assert thin([1, 2], [3.0, 4.0], limit=100) == ([1, 2], [3.0, 4.0])


def test_figure_is_built_when_first_shown_with_the_series_so_far(qtbot):
    curves = LossCurves()
    qtbot.addWidget(curves)
    series = {"loss": ([1, 2, 3], [10.0, 5.0, 0.5]), "mv_bt": ([1, 2, 3], [8.0, 4.0, 0.4]),
              "samples_per_s": ([1, 2, 3], [6.0, 7.0, 7.5])}
    curves.set_series(series)
    assert curves.figure is None  # nothing drawn (nor matplotlib imported) while hidden
    assert curves.point_count("loss") == 3 and curves.point_count("vl_align") == 0
    curves.show()
    qtbot.waitExposed(curves)
    assert curves.figure is not None
    assert list(curves._lines["loss"].get_xdata()) == [1, 2, 3]
    assert curves._lines["mv_bt"].get_visible() and not curves._lines["vl_align"].get_visible()
    assert curves.ax_loss.get_yscale() == "log"  # spans more than a decade
    curves.set_series({"loss": ([1, 2], [1.0, 2.0])})  # once built, updates draw directly
    assert list(curves._lines["loss"].get_ydata()) == [1.0, 2.0] and curves.ax_loss.get_yscale() == "linear"
    assert curves.point_count("mv_bt") == 0
    curves.close()

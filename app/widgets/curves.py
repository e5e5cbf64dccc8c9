"""Live training curves: the loss terms (top, log scale while every value is positive) and the throughput in
samples/s (bottom) against the optimizer step, drawn with matplotlib's Qt canvas.

Only the presentation lives here: the series come from app.controllers.training.RunState. Long series are thinned
to at most MAX_DRAWN points per line (every k-th point, the last one always kept) so a redraw stays cheap; the
canvas is redrawn lazily (draw_idle) and only when a series changed. matplotlib is imported, and the figure built,
only when the curves are first shown (it costs about 0.3 s of the app's start-up otherwise).
"""

from __future__ import annotations

from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from app.controllers.training import LOSS_TERMS, THROUGHPUT

MAX_DRAWN = 2000
_LABELS = {
    "loss": "total loss",
    "mv_bt": "multi-view Barlow Twins",
    "vl_align": "vision-language alignment",
    "red_min": "redundancy minimisation",
    THROUGHPUT: "samples/s",
}


def thin(steps: list[int], values: list[float], limit: int = MAX_DRAWN) -> tuple[list[int], list[float]]:
    """At most about ``limit`` evenly strided points, the last point kept."""
    n = len(steps)
    if n <= limit:
        return steps, values
    k = -(-n // limit)
    xs, ys = steps[::k], values[::k]
    if xs[-1] != steps[-1]:
        xs, ys = xs + [steps[-1]], ys + [values[-1]]
    return xs, ys


class LossCurves(QWidget):
    """Per-term loss curves and throughput; :meth:`set_series` replaces what is shown."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.figure = self.canvas = None
        self._lines = {}
        self._counts: dict[str, int] = {k: 0 for k in (*LOSS_TERMS, THROUGHPUT)}
        self._series: dict[str, tuple[list[int], list[float]]] = {}
        self._signature: tuple = ()
        self._legend = None
        self.setMinimumHeight(200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if self.figure is None:
            self._build()
            self._draw()
        super().showEvent(event)

    def _build(self) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(5, 3.6), dpi=90, layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.canvas.setMinimumHeight(200)
        self.ax_loss, self.ax_speed = self.figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
        self.ax_loss.set_ylabel("loss")
        self.ax_speed.set_ylabel("samples/s")
        self.ax_speed.set_xlabel("step")
        for ax in (self.ax_loss, self.ax_speed):  # small type: the curves live in a side panel
            ax.grid(True, alpha=0.3)
            ax.tick_params(labelsize=8)
            ax.yaxis.label.set_size(9)
            ax.xaxis.label.set_size(9)
        for term in LOSS_TERMS:
            (self._lines[term],) = self.ax_loss.plot([], [], label=_LABELS[term], lw=1.8 if term == "loss" else 1.2)
        (self._lines[THROUGHPUT],) = self.ax_speed.plot([], [], color="0.35", lw=1.0)
        self._layout.addWidget(self.canvas)

    def point_count(self, term: str = "loss") -> int:
        """How many points of ``term`` the curves hold (before thinning)."""
        return self._counts.get(term, 0)

    def set_series(self, series: dict[str, tuple[list[int], list[float]]]) -> None:
        """Show ``series`` (term -> (steps, values)); terms absent or empty are hidden."""
        signature = tuple((k, len(v[0]), v[0][-1] if v[0] else None, v[1][-1] if v[1] else None)
                          for k, v in sorted(series.items()))
        if signature == self._signature:
            return
        self._signature = signature
        self._series = dict(series)
        for term in self._counts:
            self._counts[term] = len(series.get(term, ([], []))[0])
        if self.figure is not None:
            self._draw()

    def _draw(self) -> None:
        from matplotlib.ticker import NullFormatter

        series = self._series
        low, high = float("inf"), 0.0
        shown = []
        for term, line in self._lines.items():
            steps, values = series.get(term, ([], []))
            xs, ys = thin(list(steps), list(values))
            line.set_data(xs, ys)
            line.set_visible(bool(xs))
            if xs and term != THROUGHPUT:
                shown.append(line)
                low, high = min(low, min(ys)), max(high, max(ys))
        # log scale when the loss spans more than a decade (and is positive), else linear
        self.ax_loss.set_yscale("log" if shown and low > 0 and high / low > 10 else "linear")
        self.ax_loss.yaxis.set_minor_formatter(NullFormatter())  # "6×10⁰ 4×10⁰ …" would crowd a small panel
        for ax in (self.ax_loss, self.ax_speed):
            ax.relim(visible_only=True)
            ax.autoscale_view()
        if self._legend is not None:
            self._legend.remove()
            self._legend = None
        if shown:
            self._legend = self.ax_loss.legend(handles=shown, loc="upper right", fontsize="small")
        self.canvas.draw_idle()

    def clear(self) -> None:
        self.set_series({})

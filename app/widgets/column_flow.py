"""A layout of equal-width columns whose rows wrap like text: as many columns as the width allows (up to
``max_columns``), so a form of label/field cells is three columns wide in a wide panel and one column in a narrow
one, without a scroll bar and without clipping a field.

Each widget takes one column, or ``span`` columns (0: a whole row); one that does not fit on the current row starts
the next. Hidden widgets take no room. The layout reports heightForWidth, so a box layout or a scroll area above it
gives it the height of its rows at the width it has. (superqt's QFlowLayout wraps too, but gives each widget its
size hint: fields of different widths would not line up in columns.)
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QStyle, QWidget, QWidgetItem


class ColumnFlowLayout(QLayout):
    """See the module docstring. ``column_width``: a column's least width (0: the widest one-column widget's minimum
    width); ``preferred_columns``: how many columns the size hint asks for."""

    def __init__(self, parent: QWidget | None = None, max_columns: int = 3, column_width: int = 0,
                 preferred_columns: int = 2):
        super().__init__(parent)
        self._items: list[tuple[QLayoutItem, int]] = []
        self.max_columns = max(1, max_columns)
        self.column_width = column_width
        self.preferred_columns = max(1, min(preferred_columns, self.max_columns))

    # ---------------------------------------------------------------- items
    def addWidget(self, widget: QWidget, span: int = 1) -> None:  # noqa: N802 (Qt API)
        """Add ``widget`` taking ``span`` columns (0: a whole row)."""
        self.addChildWidget(widget)
        self._items.append((QWidgetItem(widget), span))
        self.invalidate()

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt API)
        self._items.append((item, 1))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt API)
        return self._items[index][0] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt API)
        if 0 <= index < len(self._items):
            item = self._items.pop(index)[0]
            self.invalidate()
            return item
        return None

    # ---------------------------------------------------------------- geometry
    def _spacing(self) -> int:
        space = self.spacing()
        if space >= 0:
            return space
        parent = self.parentWidget()
        style = parent.style() if parent is not None else None
        return style.pixelMetric(QStyle.PixelMetric.PM_LayoutHorizontalSpacing) if style is not None else 6

    def _shown(self) -> list[tuple[QLayoutItem, int]]:
        return [(item, span) for item, span in self._items if not item.isEmpty()]

    def cell_width(self) -> int:
        """The least width of one column."""
        widths = [item.minimumSize().width() for item, span in self._shown() if span == 1]
        return max([self.column_width, *widths, 1])

    def columns(self, width: int) -> int:
        """How many columns fit in ``width`` (the layout's margins excluded)."""
        space = self._spacing()
        return max(1, min(self.max_columns, (width + space) // (self.cell_width() + space)))

    def _inner_width(self, columns: int) -> int:
        space = self._spacing()
        wide = [item.minimumSize().width() for item, span in self._shown() if span != 1]
        return max([columns * self.cell_width() + (columns - 1) * space, *wide])

    def _margins_size(self) -> QSize:
        m = self.contentsMargins()
        return QSize(m.left() + m.right(), m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt API)
        """One column wide; as tall as the rows are at the widest arrangement (heightForWidth gives the rest)."""
        margins = self._margins_size()
        widest = self._inner_width(self.max_columns) + margins.width()
        return QSize(self._inner_width(1) + margins.width(), self.heightForWidth(widest))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        width = self._inner_width(self.preferred_columns) + self._margins_size().width()
        return QSize(width, self.heightForWidth(width))

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt API)
        return Qt.Orientation.Horizontal

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt API)
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt API)
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def rows(self, width: int) -> list[list[tuple[QLayoutItem, int, int]]]:
        """The arrangement at ``width`` (margins excluded): rows of (item, first column, columns spanned)."""
        n = self.columns(width)
        rows: list[list[tuple[QLayoutItem, int, int]]] = []
        row: list[tuple[QLayoutItem, int, int]] = []
        column = 0
        for item, span in self._shown():
            taken = n if span <= 0 else min(span, n)
            if column + taken > n and row:
                rows.append(row)
                row, column = [], 0
            row.append((item, column, taken))
            column += taken
        if row:
            rows.append(row)
        return rows

    def _arrange(self, rect: QRect, apply: bool) -> int:
        m = self.contentsMargins()
        inner = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        space = self._spacing()
        n = self.columns(inner.width())
        pitch = (inner.width() + space) / n  # one column and the space after it
        y = inner.y()
        for row in self.rows(inner.width()):
            placed = []
            height = 0
            for item, column, taken in row:
                left = inner.x() + round(column * pitch)
                right = inner.x() + round((column + taken) * pitch) - space
                width = max(right - left, 0)
                hint = item.heightForWidth(width) if item.hasHeightForWidth() else item.sizeHint().height()
                height = max(height, hint, item.minimumSize().height())
                placed.append((item, left, width))
            if apply:
                for item, left, width in placed:
                    item.setGeometry(QRect(left, y, width, height))
            y += height + space
        used = y - space - inner.y() if y > inner.y() else 0
        return used + m.top() + m.bottom()

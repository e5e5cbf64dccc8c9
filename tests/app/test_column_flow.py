"""ColumnFlowLayout: as many equal columns as the width allows, whole-row widgets, hidden widgets taking no room, a
height for each width, and no widget over another."""

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from app.widgets.column_flow import ColumnFlowLayout


def make(qtbot, n_cells=7, wide=1):
    host = QWidget()
    qtbot.addWidget(host)
    layout = ColumnFlowLayout(host, max_columns=3, column_width=100)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(6)
    cells = [QLineEdit(f"cell {i}") for i in range(n_cells)]
    for cell in cells:
        layout.addWidget(cell)
    rows = [QLabel(f"row {i}") for i in range(wide)]
    for row in rows:
        layout.addWidget(row, span=0)
    return host, layout, cells, rows


def test_columns_follow_the_width(qtbot):
    host, layout, _, _ = make(qtbot)  # noqa: F841 (the host keeps the layout alive)
    assert layout.columns(99) == 1 and layout.columns(205) == 1
    assert layout.columns(206) == 2 and layout.columns(312) == 3 and layout.columns(2000) == 3  # max_columns
    arrangement = layout.rows(320)
    assert [len(r) for r in arrangement] == [3, 3, 1, 1]  # 7 cells in three columns, then the whole-row label
    assert [(column, span) for _, column, span in arrangement[3]] == [(0, 3)]
    assert layout.heightForWidth(320) < layout.heightForWidth(210) < layout.heightForWidth(100)
    assert layout.minimumSize().width() == 100  # one column
    assert layout.sizeHint().width() == 206  # two columns preferred


def test_geometry_is_a_grid_without_overlap_and_hidden_widgets_take_no_room(qtbot):
    host, layout, cells, rows = make(qtbot)
    host.resize(320, layout.heightForWidth(320))
    host.show()
    qtbot.waitExposed(host)
    rects = [w.geometry() for w in (*cells, rows[0])]
    for i, a in enumerate(rects):
        assert host.rect().contains(a)
        assert not any(a.intersects(b) for b in rects[i + 1:])
    assert cells[0].x() == cells[3].x() and cells[1].x() == cells[4].x()  # columns line up
    assert max(c.width() for c in cells[:3]) - min(c.width() for c in cells[:3]) <= 1  # equal, to the rounding
    assert rows[0].width() == 320  # a whole row

    tall = layout.heightForWidth(320)
    for cell in cells[3:6]:
        cell.hide()
    assert [len(r) for r in layout.rows(320)] == [3, 1, 1] and layout.heightForWidth(320) < tall
    layout.setGeometry(host.rect())
    assert cells[0].y() < cells[6].y() < rows[0].y() and cells[6].x() == cells[0].x()  # it closes the gap


def test_a_span_wider_than_the_columns_takes_the_row(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    layout = ColumnFlowLayout(host, max_columns=3, column_width=100)
    layout.setSpacing(6)
    for span in (1, 2, 2, 1):
        layout.addWidget(QLineEdit(), span=span)
    assert [[(c, s) for _, c, s in row] for row in layout.rows(320)] == [[(0, 1), (1, 2)], [(0, 2), (2, 1)]]
    assert [[(c, s) for _, c, s in row] for row in layout.rows(150)] == [[(0, 1)], [(0, 1)], [(0, 1)], [(0, 1)]]
    assert layout.count() == 4 and layout.takeAt(0) is not None and layout.count() == 3 and layout.takeAt(9) is None

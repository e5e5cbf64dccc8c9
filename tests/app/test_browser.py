import pytest
from PySide6.QtCore import Qt

from app.widgets.browser import BrowserPanel
from core.datasets import ManifestRow


def rows(tmp_path):
    out = []
    for subject, label, intensity in (("F0001", "happiness", 4), ("F0001", "sadness", 2), ("M0002", "happiness", 1),
                                      ("M0002", "neutral", None), ("F0003", "surprise", 3)):
        code = f"{subject}_{label[:2].upper()}{intensity or 0:02d}"
        out.append(ManifestRow(tmp_path / f"{code}.wrl", subject, label, intensity, "3d", 1, "bu3dfe", code))
    out.append(ManifestRow(tmp_path / "seq", "F0001", "surprise", None, "4d", 20, "bu4dfe", "F0001_Surprise"))
    return out


@pytest.fixture
def browser(qtbot):
    b = BrowserPanel()
    qtbot.addWidget(b)
    b.show()
    yield b
    b.close()


def test_columns_and_filter(browser, tmp_path):
    data = rows(tmp_path)
    browser.set_rows(data, str(tmp_path / "demo.csv"))
    model = browser.proxy
    assert model.rowCount() == 6
    assert [model.headerData(c, Qt.Horizontal) for c in range(6)] == [
        "File", "Subject", "Label", "Intensity", "Kind", "Frames"]
    assert [model.index(0, c).data() for c in range(6)] == ["F0001_HA04.wrl", "F0001", "happiness", "4", "3d", "1"]
    assert model.index(5, 0).data() == f"{tmp_path.name}/seq"  # a sequence folder with its parent
    assert "6 scans from demo.csv (1 sequences)" in browser.status.text()
    browser.filter_edit.setText("HAPPI")  # any column, case-insensitive
    assert [r.path.name for r in browser.visible_rows()] == ["F0001_HA04.wrl", "M0002_HA01.wrl"]
    assert "2 of 6" in browser.status.text()
    browser.filter_edit.setText("m0002")
    assert {r.label for r in browser.visible_rows()} == {"happiness", "neutral"}
    browser.filter_edit.clear()
    browser.table.sortByColumn(3, Qt.AscendingOrder)  # intensity sorts numerically, blanks first
    assert [r.intensity for r in browser.visible_rows()] == [None, None, 1, 2, 3, 4]


def test_keyboard_navigation_selects_scans(browser, qtbot, tmp_path):
    data = rows(tmp_path)
    browser.set_rows(data)
    with qtbot.waitSignal(browser.scanSelected, timeout=3000) as sig:
        browser.select_row(0)
    assert sig.args[0] is data[0]
    browser.table.setFocus()
    with qtbot.waitSignal(browser.scanSelected, timeout=3000) as sig:
        qtbot.keyClick(browser.table, Qt.Key_Down)
    assert sig.args[0] is data[1]
    selected = []
    browser.scanSelected.connect(selected.append)
    for _ in range(3):  # held arrow key: only the row it stops on is analysed
        qtbot.keyClick(browser.table, Qt.Key_Down)
    qtbot.waitUntil(lambda: len(selected) > 0, timeout=3000)
    qtbot.wait(300)
    assert selected[-1] is data[4] and browser.current_row() is data[4]
    assert len(selected) < 3  # debounced (exactly one unless the machine stalls between key presses)


def test_open_buttons_ask_the_window(browser, qtbot):
    assert browser.format_box.currentData() == "auto" and browser.format_box.currentText() == "Auto-detect"
    assert [browser.format_box.itemData(i) for i in range(browser.format_box.count())] == [
        "auto", "bu3dfe", "bu4dfe", "bosphorus", "bp4d"]
    with qtbot.waitSignal(browser.openDatasetRequested, timeout=1000) as sig:
        browser.dataset_button.click()
    assert sig.args == ["auto"]
    browser.set_format("bu4dfe")  # the list overrides the detection
    with qtbot.waitSignal(browser.openDatasetRequested, timeout=1000) as sig:
        browser.dataset_button.click()
    assert sig.args == ["bu4dfe"]
    with qtbot.waitSignal(browser.openManifestRequested, timeout=1000):
        browser.manifest_button.click()
    browser.clear()
    assert browser.rows() == [] and browser.status.text() == "No data set open."


def test_several_terms_no_analysis_while_typing_and_no_carry_over(browser, qtbot, tmp_path):
    """Issue 14, item 15: the filter matches several terms, typing never analyses a row, and a new data set
    starts unfiltered."""
    data = rows(tmp_path)
    browser.set_rows(data, "first.csv")
    with qtbot.waitSignal(browser.scanSelected, timeout=3000):
        browser.select_row(0)
    selected = []
    browser.scanSelected.connect(selected.append)
    for text in ("s", "su", "sur", "surp", "surprise 4d"):
        browser.filter_edit.setText(text)
    assert [r.path.name for r in browser.visible_rows()] == ["seq"]
    browser.filter_edit.setText("f0001 happ")
    assert [r.path.name for r in browser.visible_rows()] == ["F0001_HA04.wrl"]
    qtbot.wait(400)
    assert selected == []  # rows the filter made current were not analysed
    browser.set_rows(data[:3], "second.csv")
    assert browser.filter_edit.text() == "" and len(browser.visible_rows()) == 3
    assert "3 scans from second.csv" in browser.status.text()


def test_the_file_column_is_on_screen_in_a_narrow_dock(qtbot, tmp_path):
    """Issue 14, item 15: the file column used to be the last of six 100-pixel columns, off the right edge of the
    380-pixel dock."""
    browser = BrowserPanel()
    qtbot.addWidget(browser)
    browser.resize(380, 500)
    browser.show()
    qtbot.waitExposed(browser)
    data = [ManifestRow(tmp_path / "F0001" / f"F0001_{c}0{i}WH_F3D.wrl", "F0001", "happiness", i, "3d", 1, "bu3dfe",
                        c) for c in ("AN", "HA") for i in range(1, 5)]
    browser.set_rows(data, "bu3dfe.csv")
    table = browser.table
    name_width = table.fontMetrics().horizontalAdvance("F0001_AN01WH_F3D.wrl")
    assert table.columnViewportPosition(0) == 0
    assert name_width <= table.columnWidth(0) <= table.viewport().width()  # the whole name, on screen
    long = [ManifestRow(tmp_path / ("x" * 200 + ".obj"), "S1", "fear", None, "3d", 1, "user", "x")]
    browser.set_rows(long, "long.csv")
    assert table.columnWidth(0) <= 0.6 * table.viewport().width() + 1  # a long name is elided, not the table
    assert table.columnViewportPosition(1) < table.viewport().width()

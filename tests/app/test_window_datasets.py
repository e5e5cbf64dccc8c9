"""The main window with layout detection, the 4D-folder name check and the batch results table (issue 14, items 15
and 16)."""

from .conftest import face, write_scan, write_sequence


def message(window, qtbot, action, level, timeout=60_000):
    with qtbot.waitSignal(window.banner.messageShown, timeout=timeout,
                          check_params_cb=lambda lvl, text: lvl == level) as sig:
        action()
    return sig.args[1]


def test_open_dataset_detects_the_layout_and_a_wrong_choice_is_one_sentence(window, qtbot, tmp_path):
    dataset = tmp_path / "BU3DFE"
    (dataset / "F0001").mkdir(parents=True)
    for name in ("F0001_HA04WH_F3D.wrl", "F0001_SA02WH_F3D.wrl"):
        write_scan(dataset / "F0001" / name)
    assert window.browser.format_box.currentData() == "auto"
    text = message(window, qtbot, lambda: window.open_dataset(str(dataset)), "info")
    assert text == "BU3DFE: detected the BU-3DFE layout (2 of 2 scan files named like F0001/F0001_AN01WH_F3D.wrl)."
    assert sorted(r.label for r in window.browser.rows()) == ["happiness", "sadness"]
    assert (window.data_dir / "manifests" / "BU3DFE-bu3dfe.csv").is_file()

    error = message(window, qtbot, lambda: window.open_dataset(str(dataset), "bosphorus"), "error")
    assert error == ("Cannot open data set: BU3DFE is not a Bosphorus folder (none of its 2 scan files is named like "
                     "bs000/bs000_E_HAPPY_0.bnt); it looks like BU-3DFE: choose Auto-detect or BU-3DFE.")
    (tmp_path / "mine").mkdir()
    write_scan(tmp_path / "mine" / "head.obj")
    error = message(window, qtbot, lambda: window.open_dataset(str(tmp_path / "mine"), "auto"), "error")
    assert "mine is in no known data-set layout" in error and "\n" not in error
    assert len(window.browser.rows()) == 2  # the open data set stays


def test_a_folder_of_differently_named_scans_opened_as_a_sequence_is_warned_about(window, qtbot, tmp_path):
    folder = tmp_path / "F0001"
    folder.mkdir()
    for i, name in enumerate(("F0001_AN01WH_F3D.obj", "F0001_HA02WH_F3D.obj", "F0001_SU04WH_F3D.obj")):
        write_scan(folder / name, face(0.1 * i))
    text = message(window, qtbot, lambda: window.open_path(str(folder)), "warning")
    assert text.startswith("The 3 files of F0001 do not share one frame-numbered name")
    seq = write_sequence(tmp_path / "seq", 3)  # 000.obj, 001.obj, 002.obj: frames of one sequence
    shown = []
    window.banner.messageShown.connect(lambda level, text: shown.append(level))
    with qtbot.waitSignal(window.controller.resultReady, timeout=60_000,
                          check_params_cb=lambda s: s.result.source == seq):
        window.open_path(seq)
    assert "warning" not in shown


def test_analyse_folder_on_a_bu4dfe_tree_fills_the_results_table(window, qtbot, tmp_path):
    root = tmp_path / "BU4DFE"
    for expression in ("Happy", "Sad"):
        write_sequence(root / "F001" / expression, 3)
    assert window.batch_results.rows_shown() == []
    with qtbot.waitSignal(window.batch.finished, timeout=120_000) as sig:
        window.start_batch_folder(str(root), str(tmp_path / "out.csv"))
    outcome = sig.args[0]
    assert [r.path for r in outcome.records] == [str(root / "F001" / "Happy"), str(root / "F001" / "Sad")]
    shown = window.batch_results.rows_shown()
    assert [(r.name, r.subject, r.truth) for r in shown] == [("Happy", "F001", "happiness"), ("Sad", "F001", "sadness")]
    assert window.batch_results.summary.text() == outcome.table.line()
    assert window.batch_results.summary.text().startswith("Accuracy ")
    assert window.docks["batch"].isVisible()
    with qtbot.waitSignal(window.controller.resultReady, timeout=60_000,
                          check_params_cb=lambda s: s.result.source == str(root / "F001" / "Sad")):
        window.batch_results.inputActivated.emit(str(root / "F001" / "Sad"))

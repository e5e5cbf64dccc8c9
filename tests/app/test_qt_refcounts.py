"""The Qt binding must keep Python's reference counts straight: PySide6 6.12.0's wheels, on Python 3.11 (where None
is not immortal), returned None from every void call without a reference, so None lost one reference per call
until Python freed it and the app died (pyproject pins PySide6 below 6.12 for that)."""

import sys

import pytest
from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    fired = Signal()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12: its count never drops")
def test_void_qt_calls_do_not_steal_references_to_none(qtbot):
    label = QLabel("x")
    qtbot.addWidget(label)
    emitter = _Emitter()
    calls = {
        "processEvents": QCoreApplication.processEvents,
        "sendPostedEvents": QCoreApplication.sendPostedEvents,
        "QWidget.update": label.update,
        "QLabel.setText": lambda: label.setText("y"),
        "Signal.emit": emitter.fired.emit,
    }
    drift = {}
    for name, call in calls.items():
        before = sys.getrefcount(None)
        for _ in range(500):
            call()
        drift[name] = sys.getrefcount(None) - before
    assert all(abs(d) < 100 for d in drift.values()), f"references to None gained/lost per 500 calls: {drift}"

"""Keys in the 3D view: only the application's documented shortcuts act, never VTK's own key bindings.

VTK's interactor style reacts to keys of its own (``w``/``s`` wireframe/surface, ``p`` a pick box that stays, ``3``
red-blue stereo that Reset does not undo, ``f`` fly-to, ``e``/``q`` exit, ``j``/``t`` joystick/trackball, ``u``
user callback, ``r`` its own reset); pyvista and pyvistaqt add more. :class:`VtkKeyBlocker`, installed on the
QtInteractor widget, drops every key press and release before the widget hands it to VTK. The window's QAction
shortcuts (View ▸ Reset ``R``, Front ``1``, Left ``2``, Right ``3``, Previous/Next frame ``←``/``→``, Play/pause
``Space``, Show evidence ``E``) still fire: Qt matches shortcuts on the ShortcutOverride event, which the blocker lets
through unaccepted, before any key press is delivered. Mouse interaction (rotate, pan, zoom) is untouched.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject

class VtkKeyBlocker(QObject):
    """Event filter: key presses and releases never reach VTK's interactor (see the module docstring)."""

    BLOCKED = (QEvent.Type.KeyPress, QEvent.Type.KeyRelease)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.ShortcutOverride:
            event.ignore()  # not taken by the view: the window's shortcuts get the key
            return False
        return event.type() in self.BLOCKED

"""SMILE-VLM Analyzer desktop application (PySide6 + pyvistaqt) over the ``core`` engine.

Start it with ``smile-vlm app [PATH]`` or ``python -m app [PATH]``.
"""

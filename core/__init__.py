"""SMILE-VLM engine: scan I/O, datasets, rendering, synthetic data, model, training and inference.

This package never imports Qt or pyvistaqt (an import-linter contract in pyproject.toml checks it).
"""

__version__ = "0.1.0"

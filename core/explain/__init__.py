"""Evidence on the mesh: which vertices of a scan make the model see a class (no Qt; callable from a worker thread).

``saliency(analyzer, scan_or_sequence, class_name) -> VertexSaliency`` (:mod:`core.explain.saliency`): a
gradient-based map of the class's zero-shot score over each rendered view (:mod:`core.explain.gradcam`), carried to
the visible vertices of the scan as stored through the renderer's camera and combined with the fusion weights
(:mod:`core.explain.vertex_map`), in [0, 1]. ``prepare`` renders once for several classes (its stages apart, VTK
and the rest on separate threads: :mod:`core.explain.staged`); ``write_ply`` /
``write_png`` save a result (:mod:`core.explain.output`); :mod:`core.explain.sanity` holds Adebayo et al.'s checks.
Settings: :class:`ExplainSettings` (resources/explain.json).
"""

from core.explain.saliency import ExplainInput, VertexSaliency, prepare, saliency
from core.explain.settings import ExplainSettings

__all__ = ["ExplainInput", "ExplainSettings", "VertexSaliency", "prepare", "saliency"]

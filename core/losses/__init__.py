"""SMILE-VLM losses, one module per equation (paper Eq. 1–4, 6, 8–9, 10)."""

from core.losses.barlow_twins import mv_barlow_twins
from core.losses.cross_correlation import cross_correlation, redundancy_objective, standardize
from core.losses.redundancy_min import redundancy_min
from core.losses.smile_vlm import LossWeights, smile_vlm_loss
from core.losses.vl_align import vl_align

__all__ = [
    "LossWeights",
    "cross_correlation",
    "mv_barlow_twins",
    "redundancy_min",
    "redundancy_objective",
    "smile_vlm_loss",
    "standardize",
    "vl_align",
]
